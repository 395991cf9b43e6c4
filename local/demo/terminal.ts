/**
 * The demo's terminal: every action of a scenario is a `rollgate` command
 * line, printed (`$ rollgate release checkout v2 --env prod ...`) and then
 * run exactly as the CLI runs it — the same command parser and commands
 * (cli/commands/program.ts) and the same SigV4-signing client
 * (cli/control-client.ts) — against the control API on loopback
 * (local/control-server.ts: the control Lambda's dispatcher behind the
 * signature check API Gateway's AWS_IAM authorization does). So the demo
 * exercises what users use, and a newcomer reads the CLI off the demo.
 *
 * Two people sit at it: Dana, the operator who starts releases, and Alice,
 * who approves them from her own credentials (four-eyes: the starter may not
 * approve). The control API records each one's principal ARN as the actor.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, Outcome } from '../../cli/commands/context.js';
import { parse } from '../../cli/commands/program.js';
import { ControlClient } from '../../cli/control-client.js';
import type { PlanInput } from '../../functions/domain/plan.js';
import { ControlServer, type RunningControlServer } from '../control-server.js';
import type { LocalRuntime } from '../runtime.js';
import { CONTROL_SIGNING, type LocalCredential } from '../sigv4-verifier.js';
import { DEMO_APPROVER_ARN, DEMO_OPERATOR_ARN } from './scenarios.js';

/** Who types the command: the operator (starts, watches, aborts) or the second approver. */
export type DemoUser = 'operator' | 'approver';

/** A command the CLI refused or that ended badly (exit status 1): the demo's script went wrong. */
export class DemoCommandFailedError extends Error {
  public override readonly name = 'DemoCommandFailedError';
}

/** A credential the control server accepts for this run only (made up, loopback only). */
function credentialFor(principalArn: string): LocalCredential {
  return { accessKeyId: `DEMO${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(24).toString('base64url'), principalArn };
}

/** A stream that hands each complete line to `line`. */
function lineSink(line: (text: string) => void): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const text of lines) line(text);
      callback();
    },
  });
}

/** The control API on loopback for the demo's two users, and their terminal. */
export class DemoTerminal {
  private readonly clients: Readonly<Record<DemoUser, ControlClient>>;
  private readonly planFiles = new Map<string, string>();
  private planDir: string | undefined;
  /** Once closed, a command still running (a stopped demo's watch) prints nothing more. */
  private closed = false;

  private constructor(
    private readonly server: RunningControlServer,
    credentials: Readonly<Record<DemoUser, LocalCredential>>,
    private readonly say: (line: string) => void,
  ) {
    const client = (credential: LocalCredential) => new ControlClient({ endpoint: server.endpoint, region: CONTROL_SIGNING.region, credentials: credential });
    this.clients = { operator: client(credentials.operator), approver: client(credentials.approver) };
  }

  /** Starts the control server over `runtime`, letting in the operator's and the approver's credentials only. */
  public static async start(runtime: LocalRuntime, say: (line: string) => void): Promise<DemoTerminal> {
    const credentials = { operator: credentialFor(DEMO_OPERATOR_ARN), approver: credentialFor(DEMO_APPROVER_ARN) };
    const server = await ControlServer.start({ runtime, credentials: [credentials.operator, credentials.approver] });
    return new DemoTerminal(server, credentials, say);
  }

  /** e.g. `http://127.0.0.1:40125`. */
  public get endpoint(): string {
    return this.server.endpoint;
  }

  /** Requests the control server answered 5xx: out-of-band failures the demo counts. */
  public get errors(): readonly unknown[] {
    return this.server.serverErrors;
  }

  /** The user's client, for the demo's own reads (watching a release is getRelease, as `rollgate watch` polls it). */
  public client(user: DemoUser = 'operator'): ControlClient {
    return this.clients[user];
  }

  /**
   * Prints `$ rollgate <argv>` and runs it as the CLI does, as `options.as`
   * (the operator by default); its output is printed below, indented.
   * Resolves with the command's outcome (its JSON document is what `--json`
   * would print).
   *
   * @throws DemoCommandFailedError when the command is refused, or its exit status is not one of `options.exitCodes` (0)
   */
  public async run(argv: readonly string[], options: { readonly as?: DemoUser; readonly exitCodes?: readonly number[] } = {}): Promise<Outcome> {
    const user = options.as ?? 'operator';
    this.say(`   $ rollgate ${argv.map(quote).join(' ')}${user === 'approver' ? `      # as ${DEMO_APPROVER_ARN}` : ''}`);
    const out = lineSink((line) => {
      if (!this.closed) this.say(`     ${line}`);
    });
    const ctx: Context = {
      client: () => Promise.resolve(this.clients[user]),
      json: false,
      io: { out, err: out, isTTY: false, now: () => Date.now(), sleep: (ms) => sleep(ms) },
    };
    const invocation = parse(argv);
    if (invocation === undefined || 'help' in invocation) throw new DemoCommandFailedError(`rollgate ${argv.join(' ')}: not a command`);
    let outcome: Outcome;
    try {
      outcome = await invocation.run(ctx);
    } catch (error) {
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      this.say(`     ${why}`);
      throw new DemoCommandFailedError(`rollgate ${argv.join(' ')} failed: ${why}`, { cause: error });
    }
    for (const line of outcome.human.split('\n')) this.say(`     ${line}`);
    if (!(options.exitCodes ?? [0]).includes(outcome.exitCode)) throw new DemoCommandFailedError(`rollgate ${argv.join(' ')} exited ${String(outcome.exitCode)}`);
    return outcome;
  }

  /** The plan as a file for `rollgate release --plan-file` (one file per distinct plan, removed on close). */
  public planFile(plan: PlanInput): string {
    const text = `${JSON.stringify(plan, null, 2)}\n`;
    const known = this.planFiles.get(text);
    if (known !== undefined) return known;
    this.planDir ??= mkdtempSync(join(tmpdir(), 'rollgate-demo-'));
    const file = join(this.planDir, this.planFiles.size === 0 ? 'plan.json' : `plan-${String(this.planFiles.size + 1)}.json`);
    writeFileSync(file, text);
    this.planFiles.set(text, file);
    return file;
  }

  public async close(): Promise<void> {
    this.closed = true;
    await this.server.close();
    if (this.planDir !== undefined) rmSync(this.planDir, { recursive: true, force: true });
  }
}

/** An argument as a shell would need it typed. */
function quote(arg: string): string {
  return /^[\w./:@%+=,-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
