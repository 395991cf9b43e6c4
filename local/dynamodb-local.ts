/**
 * The local ledger's database: AWS's own DynamoDB Local, run in memory from the
 * jar that the npm package `amplify-dynamodb-simulator` ships, so the ledger
 * code talks to it through the real AWS SDK exactly as it does in Lambda.
 *
 * The one promise this file keeps above all: no orphan java process. Java runs
 * under a tiny `sh` watchdog that blocks on a pipe from this process; when the
 * pipe reaches end-of-file (stop() closed it, or this process died in any way,
 * SIGKILL included, since the kernel closes a dead process's pipes) the
 * watchdog stops java, waits for it and removes its scratch directory.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { RollgateError } from '../functions/errors.js';

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** The endpoint to give an SDK client, e.g. `http://127.0.0.1:8123`. */
  readonly endpoint: string;
  /** The TCP port it listens on. */
  readonly port: number;
  /** Stops java and waits until it is gone. Calling it again is harmless. */
  stop(): Promise<void>;
}

/** Options of {@link startDynamoDbLocal}. */
export interface StartDynamoDbLocalOptions {
  /**
   * The port to listen on. A taken port is then an error rather than a retry.
   * @default a free port
   */
  readonly port?: number;
  /**
   * How long to wait for DynamoDB Local to answer a request.
   * @default 30_000
   */
  readonly startTimeoutMs?: number;
  /**
   * The java executable to run.
   * @default `$ROLLGATE_JAVA`, else `$JAVA_HOME/bin/java`, else `java` on the PATH
   */
  readonly javaCommand?: string;
  /**
   * A directory to keep the tables in (`-dbPath`, with `-sharedDb` so every
   * access key and region sees the same ones): they survive a restart. It is
   * created if missing.
   * @default in memory (`-inMemory`): gone when it stops
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocal.UsageNotes.html
   */
  readonly dbPath?: string;
}

const MINIMUM_JAVA_VERSION = 17;
const DEFAULT_START_TIMEOUT_MS = 30_000;
const FREE_PORT_ATTEMPTS = 3;
/** How long stop() lets java shut down cleanly before killing it. */
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 16_384;
/** Bound of one readiness request; DynamoDB Local answers in milliseconds once up. */
const PROBE_TIMEOUT_MS = 1_000;
const WORK_DIR_PREFIX = 'rollgate-dynamodb-local-';
/** Fake credentials: DynamoDB Local accepts any, and tests never reach AWS. */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

const INSTALL_HINT =
  "rollgate's local ledger runs DynamoDB Local, which needs Java " +
  `${MINIMUM_JAVA_VERSION} or newer. Install it (Debian/Ubuntu: ` +
  'sudo apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17) ' +
  'or set JAVA_HOME to a Java 17+ installation.';

/** Java is missing, cannot run, or is older than 17. */
export class JavaNotFoundError extends RollgateError {
  public constructor(
    public readonly javaCommand: string,
    problem: string,
    public readonly foundVersion?: number,
    options?: { cause?: unknown },
  ) {
    super(`${problem}. ${INSTALL_HINT}`, options);
  }
}

/** Why DynamoDB Local failed to start. */
export type DynamoDbLocalStartFailure = 'port-in-use' | 'exited' | 'timeout';

/** DynamoDB Local did not come up; `output` is the tail of java's output. */
export class DynamoDbLocalStartError extends RollgateError {
  public constructor(
    public readonly port: number,
    public readonly reason: DynamoDbLocalStartFailure,
    public readonly output: string,
    options?: { cause?: unknown; startTimeoutMs?: number },
  ) {
    super(
      `DynamoDB Local on port ${port} ${describeFailure(reason, options?.startTimeoutMs)}; ` +
        (output.trim() === '' ? 'java printed nothing' : `last output of java:\n${output}`),
      options,
    );
  }
}

function describeFailure(reason: DynamoDbLocalStartFailure, startTimeoutMs: number | undefined): string {
  switch (reason) {
    case 'port-in-use':
      return 'could not bind its port (already in use)';
    case 'exited':
      return 'exited before it answered';
    case 'timeout':
      return startTimeoutMs === undefined ? 'did not answer in time' : `did not answer within ${startTimeoutMs} ms`;
  }
}

/**
 * The watchdog between node and java. Arguments: $1 the scratch directory,
 * then the java command line. Its stdin is a pipe whose only writer is node.
 * Background jobs of a non-interactive shell read /dev/null, so the pipe is
 * handed to the stdin reader explicitly as fd 3. The reader is a builtin loop
 * in a subshell, so killing that subshell leaves nothing behind.
 */
const WATCHDOG = `
workdir=$1; shift
exec 3<&0
"$@" </dev/null 3<&- &
java_pid=$!
trap 'kill -TERM "$java_pid" 2>/dev/null' TERM INT HUP
(
  trap - TERM INT HUP
  while read -r _line; do :; done
  kill -TERM "$java_pid" 2>/dev/null
) <&3 &
reader_pid=$!
exec 3<&-
status=0
while kill -0 "$java_pid" 2>/dev/null; do
  wait "$java_pid"
  status=$?
done
kill "$reader_pid" 2>/dev/null
case $workdir in
  */${WORK_DIR_PREFIX}*) rm -rf "$workdir" ;;
esac
exit "$status"
`;

/** Keeps the last characters of java's output for error messages. */
class OutputTail {
  private text = '';

  public append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > OUTPUT_TAIL_CHARS) {
      this.text = this.text.slice(-OUTPUT_TAIL_CHARS);
    }
  }

  public includes(pattern: RegExp): boolean {
    return pattern.test(this.text);
  }

  public lastLines(count = 40): string {
    return this.text.trimEnd().split('\n').slice(-count).join('\n');
  }
}

class DynamoDbLocalProcess implements DynamoDbLocal {
  public readonly endpoint: string;
  public readonly output = new OutputTail();
  public readonly exited: Promise<void>;
  private hasExited = false;
  private stopping: Promise<void> | undefined;

  public constructor(
    private readonly child: ChildProcess,
    public readonly port: number,
    private readonly workDir: string,
  ) {
    this.endpoint = `http://127.0.0.1:${port}`;
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.output.append(chunk);
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.output.append(chunk);
    });
    // Ending the pipe to a watchdog that already died raises EPIPE; nothing to do.
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      const onGone = (): void => {
        this.hasExited = true;
        running.delete(this);
        resolve();
      };
      child.once('exit', onGone);
      child.once('error', (error) => {
        this.output.append(`failed to run sh: ${error.message}\n`);
        onGone();
      });
    });
  }

  public get isRunning(): boolean {
    return !this.hasExited;
  }

  public stop(): Promise<void> {
    this.stopping ??= this.shutDown();
    return this.stopping;
  }

  /** Last resort for the process 'exit' hook, where nothing can be awaited. */
  public killNow(): void {
    if (!this.hasExited) {
      this.signalGroup('SIGTERM');
    }
  }

  private async shutDown(): Promise<void> {
    if (!this.hasExited) {
      // End-of-file on its stdin is what makes the watchdog stop java.
      this.child.stdin?.destroy();
      if (!(await settlesWithin(this.exited, STOP_GRACE_MS))) {
        this.signalGroup('SIGKILL');
        await settlesWithin(this.exited, STOP_GRACE_MS);
      }
    }
    // The watchdog removes it itself, unless it was killed before it could.
    rmSync(this.workDir, { recursive: true, force: true });
  }

  /** The watchdog leads its own process group, which also holds java. */
  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) {
      return;
    }
    try {
      process.kill(-pid, signal);
    } catch {
      // The group is already gone.
    }
  }
}

const running = new Set<DynamoDbLocalProcess>();
let exitHookInstalled = false;

function trackRunning(instance: DynamoDbLocalProcess): void {
  running.add(instance);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const each of running) {
        each.killNow();
      }
    });
  }
}

async function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  const settled = await Promise.race([
    promise.then(() => true),
    delay(ms, false, { signal: timer.signal }).catch(() => false),
  ]);
  timer.abort();
  return settled;
}

/**
 * Starts DynamoDB Local in memory and resolves once it answers a request.
 * Without a `port`, it picks a free one and retries with another if that port
 * was taken before java could bind it.
 *
 * @throws {JavaNotFoundError} Java is missing or older than 17.
 * @throws {DynamoDbLocalStartError} DynamoDB Local did not come up.
 */
export async function startDynamoDbLocal(
  options: StartDynamoDbLocalOptions = {},
): Promise<DynamoDbLocal> {
  const javaCommand = resolveJavaCommand(options.javaCommand);
  await assertJavaVersion(javaCommand);
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const attempts = options.port === undefined ? FREE_PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await launch(javaCommand, port, startTimeoutMs, options.dbPath);
    } catch (error) {
      const portWasTaken = error instanceof DynamoDbLocalStartError && error.reason === 'port-in-use';
      if (!portWasTaken || attempt >= attempts) {
        throw error;
      }
    }
  }
}

/** Stops every DynamoDB Local this process started. */
export async function stopAllDynamoDbLocals(): Promise<void> {
  await Promise.all([...running].map((instance) => instance.stop()));
}

let uninstallSignalCleanup: (() => void) | undefined;

/**
 * Makes SIGINT and SIGTERM stop every DynamoDB Local, then exit with 130 or
 * 143. For programs such as the demo; not done on import because test runners
 * handle signals themselves. A second signal exits at once (the 'exit' hook
 * still signals java). Returns a function that removes the handlers.
 */
export function installSignalCleanup(): () => void {
  if (uninstallSignalCleanup !== undefined) {
    return uninstallSignalCleanup;
  }
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (stopping) {
      process.exit(code);
    }
    stopping = true;
    void stopAllDynamoDbLocals().finally(() => process.exit(code));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const uninstall = (): void => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    uninstallSignalCleanup = undefined;
  };
  uninstallSignalCleanup = uninstall;
  return uninstall;
}

function resolveJavaCommand(explicit: string | undefined): string {
  const fromEnv = process.env.ROLLGATE_JAVA;
  const javaHome = process.env.JAVA_HOME;
  if (explicit !== undefined) {
    return explicit;
  }
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromEnv;
  }
  if (javaHome !== undefined && javaHome !== '') {
    return join(javaHome, 'bin', 'java');
  }
  return 'java';
}

async function assertJavaVersion(javaCommand: string): Promise<void> {
  const banner = await new Promise<string>((resolve, reject) => {
    execFile(javaCommand, ['-version'], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(`${stderr}\n${stdout}`);
        return;
      }
      const problem =
        'code' in error && (error.code === 'ENOENT' || error.code === 'EACCES')
          ? `Java was not found (tried "${javaCommand}")`
          : `"${javaCommand} -version" failed: ${error.message}`;
      reject(new JavaNotFoundError(javaCommand, problem, undefined, { cause: error }));
    });
  });
  const version = parseJavaMajorVersion(banner);
  if (version === undefined) {
    throw new JavaNotFoundError(
      javaCommand,
      `could not read the Java version from "${javaCommand} -version": ${banner.trim()}`,
    );
  }
  if (version < MINIMUM_JAVA_VERSION) {
    throw new JavaNotFoundError(
      javaCommand,
      `Java ${version} was found at "${javaCommand}", which is too old`,
      version,
    );
  }
}

/**
 * Reads the major version from `java -version`: `openjdk version "17.0.15"`,
 * `java version "21"`, or the old scheme `java version "1.8.0_392"` (Java 8).
 */
export function parseJavaMajorVersion(banner: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(banner);
  if (match?.[1] === undefined) {
    return undefined;
  }
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

function locateDynamoDbLocal(): { jar: string; libDir: string } {
  const manifest = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  const emulator = join(dirname(manifest), 'emulator');
  return { jar: join(emulator, 'DynamoDBLocal.jar'), libDir: join(emulator, 'DynamoDBLocal_lib') };
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') {
          resolve(address.port);
        } else {
          reject(new Error(`unexpected server address ${String(address)}`));
        }
      });
    });
  });
}

/** Where DynamoDB Local keeps its tables: in memory, or in `dbPath` (made absolute, created if missing). */
function storageArgs(dbPath: string | undefined): string[] {
  if (dbPath === undefined) return ['-inMemory'];
  const directory = resolvePath(dbPath);
  mkdirSync(directory, { recursive: true });
  return ['-dbPath', directory, '-sharedDb'];
}

/** Jetty reports a taken port this way, and then java hangs instead of exiting. */
const BIND_FAILURE = /BindException|Failed to bind/;

async function launch(javaCommand: string, port: number, startTimeoutMs: number, dbPath: string | undefined): Promise<DynamoDbLocal> {
  const { jar, libDir } = locateDynamoDbLocal();
  // DynamoDB Local writes dynamodb-local-metadata.json into its working
  // directory and extracts sqlite4java into java.io.tmpdir; both go into a
  // scratch directory that the watchdog removes.
  const workDir = mkdtempSync(join(tmpdir(), WORK_DIR_PREFIX));
  const javaArgs = [
    `-Djava.library.path=${libDir}`,
    `-Djava.io.tmpdir=${workDir}`,
    '-XX:-UsePerfData',
    // A short-lived local server: the C1 compiler alone and the serial GC start
    // it faster and take about a third less CPU over a test run than C2's
    // compile threads and G1, with no run long enough to repay them.
    '-XX:TieredStopAtLevel=1',
    '-XX:+UseSerialGC',
    '-jar',
    jar,
    ...storageArgs(dbPath),
    '-port',
    String(port),
    '-disableTelemetry',
  ];
  const child = spawn('sh', ['-c', WATCHDOG, 'rollgate-dynamodb-local', workDir, javaCommand, ...javaArgs], {
    cwd: workDir,
    // Its own process group: a terminal's Ctrl-C goes to node, which decides,
    // and stop() can kill the watchdog and java together.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const instance = new DynamoDbLocalProcess(child, port, workDir);
  trackRunning(instance);
  try {
    await waitUntilAnswering(instance, startTimeoutMs);
    return instance;
  } catch (error) {
    await instance.stop();
    throw error;
  }
}

async function waitUntilAnswering(instance: DynamoDbLocalProcess, startTimeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint: instance.endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: PROBE_TIMEOUT_MS,
      requestTimeout: PROBE_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
  const deadline = Date.now() + startTimeoutMs;
  let lastError: unknown;
  try {
    for (;;) {
      if (!instance.isRunning) {
        throw new DynamoDbLocalStartError(instance.port, 'exited', instance.output.lastLines(), {
          cause: lastError,
        });
      }
      if (instance.output.includes(BIND_FAILURE)) {
        throw new DynamoDbLocalStartError(instance.port, 'port-in-use', instance.output.lastLines());
      }
      if (Date.now() >= deadline) {
        throw new DynamoDbLocalStartError(instance.port, 'timeout', instance.output.lastLines(), {
          cause: lastError,
          startTimeoutMs,
        });
      }
      try {
        // Whatever accepts the connection may never answer (another server that
        // took the port), so each probe is bounded and the loop keeps watching.
        await client.send(new ListTablesCommand({ Limit: 1 }), {
          abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
        });
        return;
      } catch (error) {
        lastError = error;
      }
      await delay(100);
    }
  } finally {
    client.destroy();
  }
}
