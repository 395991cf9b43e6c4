/**
 * The CLI in this process (cli/rollgate.ts's run, the function the bin
 * calls), and a local control plane for it to talk to: the control server
 * over a local runtime, found through a state file as `npm start -- --serve`
 * writes it. Shared by the CLI tests that need what a child process cannot
 * show cheaply (a fixed clock, a terminal) or a runtime to assert on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeLocalState } from '../../cli/local-state.js';
import type { Io } from '../../cli/commands/context.js';
import { run } from '../../cli/rollgate.js';
import type { TrafficWindow } from '../../functions/control/operations.js';
import { ControlServer, type RunningControlServer } from '../../local/control-server.js';
import type { LocalRuntime } from '../../local/runtime.js';
import type { LocalCredential } from '../../local/sigv4-verifier.js';

/** What one CLI run did. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI with `argv` and `env`; real time unless `io` says otherwise. */
export async function runInProcess(argv: readonly string[], env: NodeJS.ProcessEnv, io: Partial<Pick<Io, 'isTTY' | 'now' | 'sleep'>> = {}): Promise<CliRun> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  err.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const code = await run(argv, { out, err, isTTY: io.isTTY ?? false, now: io.now ?? (() => Date.now()), sleep: io.sleep ?? ((ms) => sleep(ms)) }, env);
  return { code, stdout, stderr };
}

/** A control server over a runtime, its state file in a directory of its own. */
export interface LocalControlPlane {
  readonly server: RunningControlServer;
  /** The directory of the state file, for the test's own files (plans); removed on close. */
  readonly dir: string;
  /** Runs `rollgate --local …` against this control plane. */
  cli(...argv: string[]): Promise<CliRun>;
  /** Writes `body` as JSON into the directory; its path. */
  writeJson(name: string, body: unknown): string;
  close(): Promise<void>;
}

/** Starts the control server over `runtime`, letting `operator` in, and writes the state file `--local` finds. */
export async function startLocalControlPlane(runtime: LocalRuntime, operator: LocalCredential, trafficWindow?: TrafficWindow): Promise<LocalControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), 'rollgate-cli-'));
  const statePath = join(dir, 'local.json');
  const server = await ControlServer.start({ runtime, credentials: [operator], ...(trafficWindow === undefined ? {} : { trafficWindow }) });
  writeLocalState({ version: 1, endpoint: server.endpoint, region: 'us-east-1', ...operator, pid: process.pid }, statePath);
  return {
    server,
    dir,
    cli: (...argv) => runInProcess(['--local', ...argv], { ROLLGATE_LOCAL_STATE: statePath }),
    writeJson: (name, body) => {
      const path = join(dir, name);
      writeFileSync(path, JSON.stringify(body));
      return path;
    },
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
