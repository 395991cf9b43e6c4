/**
 * Steady load for the local router: requests at a fixed rate to a loopback
 * URL, bounded in count and in time, stopping by itself at whichever bound
 * comes first (or when stopped). It refuses any host but the loopback one.
 *
 * {@link TrafficGenerator} sends from a thread of its own (traffic.worker.ts):
 * the engine's event loop being busy does not hold requests back, nor does
 * the load take the engine's time. {@link TrafficLoop} is the sending itself.
 */
import { Agent, request as httpRequest } from 'node:http';
import { SimWorker } from './sim-worker.js';

export interface TrafficOptions {
  /** Where to send requests; must be on 127.0.0.1, ::1 or localhost. */
  readonly url: string;
  /** Requests per second. */
  readonly ratePerSecond: number;
  /** Stop after this many requests. */
  readonly maxRequests: number;
  /** Stop after this long, in ms. */
  readonly maxDurationMs: number;
  /** Requests in flight at most; beyond it a tick is skipped (and counted). @default 64 */
  readonly maxInFlight?: number;
  /** Per request. @default 5000 */
  readonly timeoutMs?: number;
  /** Paths cycled through. @default ['/'] */
  readonly paths?: readonly string[];
  /** Extra headers on every request (e.g. the dark-canary header). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TrafficTotals {
  readonly sent: number;
  /** Answered with a status below 500. */
  readonly ok: number;
  /** Answered 5xx, or the connection failed. */
  readonly failed: number;
  /** Ticks skipped because `maxInFlight` requests were still waiting. */
  readonly skipped: number;
}

/** What the parent asks the traffic worker. */
export type TrafficCommand = { readonly op: 'stop' };
/** What the traffic worker tells the parent by itself. */
export type TrafficEvent = { readonly kind: 'finished'; readonly totals: TrafficTotals };

const IDLE_CONNECTION_MS = 5_000;
const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
const ENTRY = new URL(`./traffic.worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** Throws on a non-loopback URL or bounds out of range. */
function validate(options: TrafficOptions): void {
  const target = new URL(options.url);
  if (!LOOPBACK.has(target.hostname)) throw new RangeError(`traffic goes to loopback only, not ${target.hostname}`);
  if (!(options.ratePerSecond > 0 && options.ratePerSecond <= 5_000)) throw new RangeError('ratePerSecond must be in (0, 5000]');
  if (!(options.maxRequests > 0) || !(options.maxDurationMs > 0)) throw new RangeError('maxRequests and maxDurationMs must be positive');
}

/** The load, sent from its own worker thread; it keeps the process alive until it finished. */
export class TrafficGenerator {
  private readonly worker: SimWorker<TrafficCommand, TrafficEvent>;
  private readonly done: Promise<TrafficTotals>;

  private constructor(options: TrafficOptions) {
    validate(options);
    this.worker = new SimWorker<TrafficCommand, TrafficEvent>(ENTRY, options, 'the traffic worker');
    this.worker.keepAlive(true);
    this.done = new Promise((resolve, reject) => {
      this.worker.onEvent((event) => {
        resolve(event.totals);
        void this.worker.terminate();
      });
      this.worker.onExit(reject);
    });
    // Nobody may be waiting for it (a caller that only ever stops it).
    this.done.catch(() => undefined);
  }

  /** Starts sending as soon as its thread is up; throws at once on options {@link TrafficLoop} refuses. */
  public static start(options: TrafficOptions): TrafficGenerator {
    return new TrafficGenerator(options);
  }

  /** Resolves with the totals once it stopped by itself (or was stopped) and nothing is in flight. */
  public finished(): Promise<TrafficTotals> {
    return this.done;
  }

  /** Stops sending; resolves once the requests in flight are answered. */
  public async stop(): Promise<TrafficTotals> {
    try {
      await this.worker.call<TrafficTotals>({ op: 'stop' });
    } catch {
      // The worker finished and is gone already: its totals are in.
    }
    return this.done;
  }
}

/** The sending: on whatever thread creates it (the traffic worker's). */
export class TrafficLoop {
  private sent = 0;
  private ok = 0;
  private failed = 0;
  private skipped = 0;
  private inFlight = 0;
  private readonly agent: Agent;
  private readonly timer: NodeJS.Timeout;
  private readonly deadline: NodeJS.Timeout;
  private readonly done: Promise<TrafficTotals>;
  private finish: () => void = () => undefined;
  private stopped = false;

  public constructor(private readonly options: TrafficOptions) {
    validate(options);
    // An idle connection is dropped after 5 s, long before the router's idle timeout (60 s, the ALB's):
    // however late the router's event loop runs its timers, it never closes one a request was just sent on.
    this.agent = new Agent({ keepAlive: true, maxSockets: options.maxInFlight ?? 64, timeout: IDLE_CONNECTION_MS });
    const started = performance.now();
    const interval = 1000 / options.ratePerSecond;
    this.done = new Promise((resolve) => {
      this.finish = () => { resolve(this.totals()); };
    });
    // Catch up on ticks the event loop delayed, so the rate holds on a busy process.
    const tick = () => {
      const due = Math.min(options.maxRequests, Math.floor((performance.now() - started) / interval) + 1);
      while (!this.stopped && this.sent + this.skipped < due) this.send();
      if (this.sent + this.skipped >= options.maxRequests) void this.stop();
    };
    this.timer = setInterval(tick, Math.max(1, Math.min(20, interval)));
    this.deadline = setTimeout(() => {
      void this.stop();
    }, options.maxDurationMs);
    tick();
  }

  public totals(): TrafficTotals {
    return { sent: this.sent, ok: this.ok, failed: this.failed, skipped: this.skipped };
  }

  /** Resolves with the totals once it stopped by itself (or was stopped) and nothing is in flight. */
  public finished(): Promise<TrafficTotals> {
    return this.done;
  }

  /** Stops sending; resolves once the requests in flight are answered. */
  public stop(): Promise<TrafficTotals> {
    if (!this.stopped) {
      this.stopped = true;
      clearInterval(this.timer);
      clearTimeout(this.deadline);
      this.settleIfIdle();
    }
    return this.done;
  }

  private send(): void {
    if (this.inFlight >= (this.options.maxInFlight ?? 64)) {
      this.skipped++;
      return;
    }
    const paths = this.options.paths ?? ['/'];
    const path = paths[this.sent % paths.length] ?? '/';
    this.sent++;
    this.inFlight++;
    let counted = false;
    const count = (good: boolean) => {
      if (counted) return;
      counted = true;
      if (good) this.ok++;
      else this.failed++;
      this.inFlight--;
      this.settleIfIdle();
    };
    const request = httpRequest(new URL(path, this.options.url), { agent: this.agent, headers: this.options.headers, timeout: this.options.timeoutMs ?? 5_000 }, (response) => {
      response.resume();
      response.on('end', () => { count((response.statusCode ?? 500) < 500); });
      response.on('error', () => { count(false); });
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => { count(false); });
    request.end();
  }

  private settleIfIdle(): void {
    if (this.stopped && this.inFlight === 0) {
      this.agent.destroy();
      this.finish();
    }
  }
}
