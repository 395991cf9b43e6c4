/**
 * One task of a simulated fleet: a small HTTP service on loopback that answers
 * as the version it runs. What makes a version good or bad is configured here:
 * an error rate (answers 500), added latency, crashing on start (nothing
 * listens), or never passing its health check.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from '../loopback-server.js';

/** How a version behaves on the wire. */
export interface VersionServerBehaviour {
  /**
   * Share of requests (0–1) answered with HTTP 500, spread evenly: request k
   * fails when ⌊k·rate⌋ grows, so any run of requests holds the same share.
   * Tasks of one fleet count their requests together ({@link ErrorSequence}). @default 0
   */
  readonly errorRate?: number;
  /** Added to every answer, health checks included. @default 0 */
  readonly latencyMs?: number;
  /** The process dies right after it starts: its port refuses connections. @default false */
  readonly crashOnStart?: boolean;
  /** Serves requests, but the health check path answers 503 forever. @default false */
  readonly neverHealthy?: boolean;
}

/** The path the target group health check requests. */
export const HEALTH_CHECK_PATH = '/healthz';

/**
 * The header a version server reports its own time in, from the request's
 * arrival to its answer (injected latency included): `Server-Timing: app;dur=<ms>`.
 * The router takes it as the target's response time, what the ALB's
 * TargetResponseTime measures, rather than its own clock, which runs on the
 * engine's event loop and would count the engine's lag as the target's.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 */
export const TARGET_TIME_HEADER = 'server-timing';

/** The target-side time (ms) a {@link TARGET_TIME_HEADER} value carries, if it carries one. */
export function targetTimeOf(value: string | string[] | undefined): number | undefined {
  const match = /(?:^|,)\s*app;dur=(\d+(?:\.\d+)?)/.exec(Array.isArray(value) ? value.join(',') : (value ?? ''));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Which requests fail for an error rate: the k-th request counted (from 0)
 * fails when ⌊(k+1)·rate⌋ > ⌊k·rate⌋. The tasks of a fleet share one, so the
 * fleet as a whole fails its share evenly; with a sequence per task, two
 * tasks behind a round-robin would fail in lockstep, two requests in a row
 * and then none for a while, which is not what a bad build does.
 */
export class ErrorSequence {
  private counted = 0;

  /** Counts one request; whether it fails. */
  public next(rate: number): boolean {
    const k = this.counted++;
    return Math.floor((k + 1) * rate) > Math.floor(k * rate);
  }
}

export class VersionServer {
  /** Requests answered (health checks excluded), and how many of them with a 5xx. */
  public served = 0;
  public failed = 0;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    public readonly version: string,
    public readonly name: string,
    public readonly url: string,
    private readonly server: Server | undefined,
  ) {}

  /** Starts a task of `version` on 127.0.0.1, on a free port; `errors` is shared by the tasks of a fleet (default: its own). */
  public static async start(version: string, name: string, behaviour: VersionServerBehaviour = {}, errors = new ErrorSequence()): Promise<VersionServer> {
    const errorRate = behaviour.errorRate ?? 0;
    if (!(errorRate >= 0 && errorRate <= 1)) throw new RangeError(`errorRate of ${version} must be between 0 and 1, not ${String(errorRate)}`);
    let instance: VersionServer | undefined;
    const server = createServer((request, response) => {
      instance?.answer(request, response, behaviour, errors);
    });
    // Above the load balancer's idle timeout (60 s), as AWS advises for targets, so the router closes idle connections first.
    server.keepAliveTimeout = 65_000;
    const url = `http://127.0.0.1:${String(await listenOnLoopback(server))}`;
    if (behaviour.crashOnStart === true) {
      // Started, then died: the port it had refuses connections from now on.
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
      instance = new VersionServer(version, name, url, undefined);
      return instance;
    }
    instance = new VersionServer(version, name, url, server);
    return instance;
  }

  /** Whether the process is up (a crashed one never was). */
  public get running(): boolean {
    return this.server?.listening ?? false;
  }

  /** Stops the task: open connections are cut, pending answers dropped. */
  public close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const server = this.server;
    return server === undefined ? Promise.resolve() : closeServer(server);
  }

  private answer(request: IncomingMessage, response: ServerResponse, behaviour: VersionServerBehaviour, errors: ErrorSequence): void {
    const arrived = performance.now();
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    let status = 200;
    if (path === HEALTH_CHECK_PATH) {
      status = behaviour.neverHealthy === true ? 503 : 200;
    } else {
      this.served++;
      if (errors.next(behaviour.errorRate ?? 0)) {
        status = 500;
        this.failed++;
      }
    }
    request.resume();
    const send = () => {
      if (response.destroyed) return;
      const body = JSON.stringify({ version: this.version, task: this.name, status });
      response.writeHead(status, {
        'content-type': 'application/json',
        'x-rollgate-version': this.version,
        'content-length': Buffer.byteLength(body),
        [TARGET_TIME_HEADER]: `app;dur=${(performance.now() - arrived).toFixed(2)}`,
      });
      response.end(body);
    };
    const latency = behaviour.latencyMs ?? 0;
    if (latency <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      send();
    }, latency);
    this.timers.add(timer);
  }
}
