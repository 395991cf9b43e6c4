/**
 * `npm start -- --serve` as a user runs it: the real process (local/demo.ts
 * --serve) with its ledger on disk, driven by the real CLI (cli/bin/rollgate.js
 * --local --json) in its own process, found through the state file the server
 * writes. Ctrl-C stops it and removes that file; started again on the same
 * --data-dir, the ledger still holds what the first run did.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findLocalState } from '../../cli/local-state.js';
import type { Release } from '../../functions/domain/release.js';
import { ROOT } from '../cli/run-node.js';

/** The server, as the test started it: its process and what it printed. */
interface Server {
  readonly child: ChildProcess;
  output: string;
  readonly exited: Promise<number | null>;
}

let dir: string;
let dataDir: string;
let statePath: string;
let servers: Server[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-serve-'));
  dataDir = join(dir, 'ledger');
  statePath = join(dir, 'state', 'local.json');
  servers = [];
});

afterEach(async () => {
  // Whatever happened: no server of this test outlives it (SIGKILL after a grace, its DynamoDB Local with it).
  for (const server of servers) {
    if (server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGINT');
      if (!(await Promise.race([server.exited.then(() => true), sleep(15_000, false)]))) server.child.kill('SIGKILL');
    }
  }
  for (const pid of await noDynamoDbLocalOn(dataDir, 15_000)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The two ways to run the stack: `npm start -- --serve` (local/demo.ts) and the package's bin, `rollgate local`. */
const ENTRY_POINTS = {
  'npm start -- --serve': ['--import', 'tsx', 'local/demo.ts', '--serve'],
  'rollgate local': ['cli/bin/rollgate.js', 'local'],
} as const;

/** Starts the stack one way and resolves once its state file names a live process and it has printed its ready lines. */
async function startServer(entry: keyof typeof ENTRY_POINTS): Promise<Server> {
  const child = spawn(process.execPath, [...ENTRY_POINTS[entry], '--data-dir', dataDir], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0', ROLLGATE_LOCAL_STATE: statePath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => {
      resolve(code);
    }));
  const server: Server = { child, output: '', exited };
  servers.push(server);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (server.output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (server.output += chunk));
  await until(() => findLocalState(statePath)?.pid === child.pid && server.output.includes('Ctrl-C stops the stack'), 90_000, () => server.output);
  return server;
}

/** Runs `rollgate --local --json …` as its own process (the package's bin); its exit status and the one JSON document. */
function rollgate(...argv: string[]): Promise<{ code: number | null; doc: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['cli/bin/rollgate.js', '--local', '--json', ...argv], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ROLLGATE_LOCAL_STATE: statePath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, doc: JSON.parse(stdout) as Record<string, unknown>, stderr });
      } catch {
        reject(new Error(`rollgate ${argv.join(' ')} exited ${String(code)} without one JSON document:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** Polls `condition` until it holds; fails with `context()` past `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${String(timeoutMs)} ms; output so far:\n${context().slice(-3000)}`);
    await sleep(200);
  }
}

/** Pids of DynamoDB Local processes (the watchdog or java) keeping their tables in `directory`. */
function dynamoDbLocalPids(directory: string): number[] {
  const absolute = resolvePath(directory);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited while we looked
    }
    if (args.some((arg) => arg.endsWith('DynamoDBLocal.jar')) && args[args.indexOf('-dbPath') + 1] === absolute) pids.push(Number(entry));
  }
  return pids;
}

/** Waits until no DynamoDB Local runs on `directory`; the pids still running past `timeoutMs`. */
async function noDynamoDbLocalOn(directory: string, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let pids = dynamoDbLocalPids(directory);
  while (pids.length > 0 && Date.now() < deadline) {
    await sleep(200);
    pids = dynamoDbLocalPids(directory);
  }
  return pids;
}

/** Ctrl-C: resolves with the exit status. */
async function interrupt(server: Server): Promise<number | null> {
  server.child.kill('SIGINT');
  return Promise.race([server.exited, sleep(60_000).then(() => Promise.reject(new Error(`the server did not exit on SIGINT:\n${server.output.slice(-3000)}`)))]);
}

describe('npm start -- --serve and rollgate local', () => {
  it('the CLI ships v2 through npm start -- --serve (release → watch → history, status); Ctrl-C exits 0 and removes the state file; a restart as rollgate local on the same --data-dir still has the release and the stable version', async () => {
    const first = await startServer('npm start -- --serve');

    const started = await rollgate('release', 'checkout', 'v2', '--reason', 'ship it through serve');
    expect(started.code, started.stderr).toBe(0);
    const { releaseId } = started.doc.release as Release;

    // The sample's configured plan: 10 % → 50 % → 100 %, no approval, bakes of seconds.
    const watched = await rollgate('watch', 'checkout', '--interval', '1');
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.doc.release).toMatchObject({ releaseId, version: 'v2', status: 'SUCCEEDED', outcome: 'PROMOTED' });

    const history = await rollgate('history', 'checkout');
    expect(history.code).toBe(0);
    expect((history.doc.items as Release[]).map((r) => [r.releaseId, r.version, r.status, r.outcome])).toEqual([[releaseId, 'v2', 'SUCCEEDED', 'PROMOTED']]);
    const status = await rollgate('status', 'checkout');
    expect(status.code).toBe(0);
    expect(status.doc).toMatchObject({ stable: { version: 'v2' } });
    expect(status.doc.activeRelease).toBeNull();
    // The release events, as the stack publishes them (EventBridge's on AWS), printed in order.
    await until(() => first.output.includes('event Release Succeeded: checkout/prod v2'), 30_000, () => first.output);
    const events = [...first.output.matchAll(/event (Release [A-Za-z ]+): checkout\/prod v2/g)].map((m) => m[1]);
    expect(events).toEqual(['Release Started', 'Release Promoted', 'Release Succeeded']);

    expect(await interrupt(first)).toBe(0);
    expect(first.output).toContain('stopping the local stack');
    expect(existsSync(statePath)).toBe(false);
    expect(await noDynamoDbLocalOn(dataDir, 15_000)).toEqual([]);
    // With no server, the CLI says so by name.
    const none = await rollgate('status', 'checkout');
    expect(none.code).toBe(1);
    expect(none.doc).toMatchObject({ error: { name: 'LocalServerNotRunningError' } });

    // Restarted the other way, on the same directory.
    const second = await startServer('rollgate local');
    expect(second.output).toContain('v2 stable');
    const again = await rollgate('history', 'checkout');
    expect((again.doc.items as Release[]).map((r) => [r.releaseId, r.version, r.status, r.outcome])).toEqual([[releaseId, 'v2', 'SUCCEEDED', 'PROMOTED']]);
    expect((await rollgate('status', 'checkout')).doc).toMatchObject({ stable: { version: 'v2' } });

    expect(await interrupt(second)).toBe(0);
    expect(existsSync(statePath)).toBe(false);
    expect(await noDynamoDbLocalOn(dataDir, 15_000)).toEqual([]);
  }, 240_000);
});
