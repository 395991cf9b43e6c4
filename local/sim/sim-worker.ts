/**
 * A piece of the simulated cloud on its own thread: the version servers and
 * the load generator each run in a worker thread, so a busy engine (the
 * release flow, the ledger client, the routers on the main event loop) cannot
 * delay their answers or their requests, and the other way round.
 *
 * Worker threads die with their process, whatever ends it (Ctrl-C, a crash, a
 * test file done): nothing can outlive the demo or a test. A worker keeps its
 * process alive only while a call to it is pending ({@link SimWorker.call}) or
 * while the caller says so ({@link SimWorker.keepAlive}).
 *
 * The demo runs under tsx and the tests under vitest; neither applies its
 * TypeScript loader to a worker's entry on Node 20 (module hooks reach workers
 * from Node 22 on), so a `.ts` entry is booted through tsx's API.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, type MessagePort } from 'node:worker_threads';

/** What goes to a worker: a command with a call id. */
interface CallMessage<Command> {
  readonly id: number;
  readonly command: Command;
}

/** What comes back: the answer to a call, or an event the worker sends of its own accord. */
type ReplyMessage<Event> =
  | { readonly kind: 'answer'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'answer'; readonly id: number; readonly ok: false; readonly error: string }
  | { readonly kind: 'event'; readonly event: Event };

/** The worker exited (or failed to start) before it answered. */
export class SimWorkerExited extends Error {
  public override readonly name = 'SimWorkerExited';
}

/** The parent's side of a worker: calls with answers, and the events the worker sends. */
export class SimWorker<Command, Event = never> {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners: ((event: Event) => void)[] = [];
  private readonly exitListeners: ((error: Error) => void)[] = [];
  private nextId = 1;
  private held = false;
  private exited: Error | undefined;

  /** Starts the worker at `entry` (a module of local/sim), handing it `workerData`. */
  public constructor(entry: URL, workerData: unknown, what: string) {
    this.worker = bootWorker(entry, workerData);
    this.worker.unref();
    this.worker.on('message', (message: ReplyMessage<Event>) => {
      if (message.kind === 'event') {
        for (const listener of this.listeners) listener(message.event);
        return;
      }
      const waiting = this.pending.get(message.id);
      if (waiting === undefined) return;
      this.pending.delete(message.id);
      this.refresh();
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(new Error(message.error));
    });
    this.worker.on('error', (error) => {
      this.exited ??= new SimWorkerExited(`${what} failed: ${error.message}`, { cause: error });
    });
    this.worker.on('exit', (code) => {
      this.exited ??= new SimWorkerExited(`${what} exited (code ${String(code)})`);
      for (const waiting of this.pending.values()) waiting.reject(this.exited);
      this.pending.clear();
      for (const listener of this.exitListeners) listener(this.exited);
    });
  }

  /** Sends a command; resolves with the worker's answer (the caller states its type). */
  public call<Answer>(command: Command): Promise<Answer> {
    if (this.exited !== undefined) return Promise.reject(this.exited);
    const id = this.nextId++;
    const answer = new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    this.refresh();
    this.worker.postMessage({ id, command } satisfies CallMessage<Command>);
    return answer;
  }

  /** Called for every event the worker sends. */
  public onEvent(listener: (event: Event) => void): void {
    this.listeners.push(listener);
  }

  /** Called once the worker is gone, terminated or not: why. */
  public onExit(listener: (error: Error) => void): void {
    this.exitListeners.push(listener);
  }

  /** Whether the worker keeps the process alive even with no call pending (a running load does). */
  public keepAlive(hold: boolean): void {
    this.held = hold;
    this.refresh();
  }

  /** Stops the thread at once; pending calls reject. */
  public async terminate(): Promise<void> {
    this.held = false;
    if (this.exited === undefined) await this.worker.terminate();
  }

  private refresh(): void {
    if (this.held || this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }
}

/**
 * The worker's side: answers each call with `handle`'s result (or its error's
 * message), and sends events to the parent.
 */
export class SimWorkerPort<Command, Event = never> {
  private readonly port: MessagePort;

  public constructor(handle: (command: Command) => Promise<unknown>) {
    if (parentPort === null) throw new Error('SimWorkerPort runs in a worker thread only');
    const port = parentPort;
    this.port = port;
    port.on('message', (message: CallMessage<Command>) => {
      handle(message.command).then(
        (value) => {
          port.postMessage({ kind: 'answer', id: message.id, ok: true, value } satisfies ReplyMessage<Event>);
        },
        (error: unknown) => {
          port.postMessage({ kind: 'answer', id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) } satisfies ReplyMessage<Event>);
        },
      );
    });
  }

  public emit(event: Event): void {
    this.port.postMessage({ kind: 'event', event } satisfies ReplyMessage<Event>);
  }
}

function bootWorker(entry: URL, workerData: unknown): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData });
  // tsx's register() hooks this thread's module loader; then the entry (and what it imports) loads as TypeScript.
  const tsxApi = tsxEsmApi().href;
  const boot = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

/** tsx's ESM API module, found from here as this module resolves packages (the require condition would give its CommonJS build). */
function tsxEsmApi(): URL {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import?: { default?: string } } | undefined> };
  const path = exports['./esm/api']?.import?.default;
  if (path === undefined) throw new Error(`${manifest} has no ESM export of tsx/esm/api`);
  return new URL(path, pathToFileURL(manifest));
}
