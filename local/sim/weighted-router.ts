/**
 * The local load balancer: a real HTTP reverse proxy on loopback that does
 * what the ALB listener rollgate drives does. Each request first meets the
 * header-routed rules (the dark canary), lowest priority number first; then
 * the default action's weighted forward: a target group is drawn with the
 * current weights (from a seeded generator, so a run repeats), and the
 * request goes round-robin to one of that group's targets. The weights and
 * rules are read for every request, so a change applies to the very next one.
 *
 * Like an ALB it answers 503 itself when no target group has weight, 502 when
 * the target refuses the connection or breaks it, 504 when it does not answer
 * in time. Every request is reported (target group, status, latency) for the
 * metrics the alarms are computed from.
 *
 * The latency reported is the target's response time as the target itself
 * measured it ({@link TARGET_TIME_HEADER}), the ALB's TargetResponseTime: the
 * router runs on the engine's event loop, and its own clock would count the
 * engine's lag as the target's. Answers the router gives itself (502, 503,
 * 504) and targets that report no time keep the router's own time.
 */
import { Agent, createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { seededRandom } from './random.js';
import { TARGET_TIME_HEADER, targetTimeOf } from './version-server.js';
import { closeServer, listenOnLoopback } from '../loopback-server.js';

/** A header-routed listener rule forwarding to one target group. */
export interface HeaderRule {
  readonly headerName: string;
  readonly headerValue: string;
  readonly priority: number;
  readonly targetGroupArn: string;
}

/** Where the router reads the listener's state, request by request. */
export interface RouteTable {
  /** Percent (or any weight) per target group of the weighted forward action. */
  weights(): ReadonlyMap<string, number>;
  /** The header-routed rules in front of the default action. */
  headerRules(): readonly HeaderRule[];
  /** Base URLs (`http://127.0.0.1:port`) of the targets registered in a target group. */
  targets(targetGroupArn: string): readonly string[];
}

/** One request the router handled. */
export interface RoutedRequest {
  /** Undefined when the router answered 503 itself (no target group had weight). */
  readonly targetGroupArn: string | undefined;
  readonly via: 'header-rule' | 'weighted' | 'none';
  /** The target's base URL, when one was chosen. */
  readonly target: string | undefined;
  readonly status: number;
  /**
   * The target's response time in ms, as the target reported it (TargetResponseTime); when the
   * router answered itself or the target reported none, from the request's arrival at the router
   * to the end of the answer ({@link routerMs}).
   */
  readonly latencyMs: number;
  /** From the request's arrival at the router to the end of the answer, in ms, on the router's clock. */
  readonly routerMs: number;
  /** When the answer ended (ms since the epoch). */
  readonly at: number;
}

export interface WeightedRouterOptions {
  readonly table: RouteTable;
  /** Seed of the weighted draw. @default 1 */
  readonly seed?: number | string;
  /** How long a target may take to answer before the router answers 504. @default 5000 */
  readonly targetTimeoutMs?: number;
  /** Called for every request, once answered. */
  readonly onRequest?: (request: RoutedRequest) => void;
}

export class WeightedRouter {
  private readonly random: () => number;
  private readonly roundRobin = new Map<string, number>();
  // Idle connections to targets are dropped after 5 s, long before a target's own idle timeout (65 s):
  // however late this event loop runs, no request goes out on one the target is closing.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64, timeout: 5_000 });
  private readonly server: Server;
  private address = '';

  private constructor(private readonly options: WeightedRouterOptions) {
    this.random = seededRandom(options.seed ?? 1);
    this.server = createServer((request, response) => {
      this.forward(request, response);
    });
    // The ALB's default idle timeout.
    this.server.keepAliveTimeout = 60_000;
  }

  /** e.g. `http://127.0.0.1:41234` */
  public get url(): string {
    return this.address;
  }

  /** Listens on 127.0.0.1, on a free port. */
  public static async start(options: WeightedRouterOptions): Promise<WeightedRouter> {
    const router = new WeightedRouter(options);
    const { server } = router;
    router.address = `http://127.0.0.1:${String(await listenOnLoopback(server))}`;
    return router;
  }

  /** The target group the next request would go to (header rules, then the weighted draw). */
  public chooseTargetGroup(headers: IncomingMessage['headers']): { targetGroupArn: string | undefined; via: RoutedRequest['via'] } {
    const rules = [...this.options.table.headerRules()].sort((a, b) => a.priority - b.priority);
    for (const rule of rules) {
      const value = headers[rule.headerName.toLowerCase()];
      if ((Array.isArray(value) ? value : [value]).includes(rule.headerValue)) return { targetGroupArn: rule.targetGroupArn, via: 'header-rule' };
    }
    const weighted = [...this.options.table.weights()].filter(([, weight]) => weight > 0);
    const total = weighted.reduce((sum, [, weight]) => sum + weight, 0);
    if (total === 0) return { targetGroupArn: undefined, via: 'none' };
    let draw = this.random() * total;
    for (const [targetGroupArn, weight] of weighted) {
      draw -= weight;
      if (draw < 0) return { targetGroupArn, via: 'weighted' };
    }
    return { targetGroupArn: weighted.at(-1)?.[0], via: 'weighted' };
  }

  public close(): Promise<void> {
    this.agent.destroy();
    return closeServer(this.server);
  }

  private forward(request: IncomingMessage, response: ServerResponse): void {
    const started = performance.now();
    const { targetGroupArn, via } = this.chooseTargetGroup(request.headers);
    let reported = false;
    const chosen: { target?: string } = {};
    const report = (status: number, targetMs?: number) => {
      if (reported) return;
      reported = true;
      const routerMs = performance.now() - started;
      this.options.onRequest?.({ targetGroupArn, via, target: chosen.target, status, latencyMs: targetMs ?? routerMs, routerMs, at: Date.now() });
    };
    const answerSelf = (status: number, message: string) => {
      report(status);
      request.resume();
      if (response.headersSent || response.destroyed) {
        response.destroy();
        return;
      }
      response.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(message) }).end(message);
    };
    if (targetGroupArn === undefined) {
      answerSelf(503, 'no target group has weight');
      return;
    }
    const targets = this.options.table.targets(targetGroupArn);
    if (targets.length === 0) {
      answerSelf(503, 'no targets registered in the target group');
      return;
    }
    const next = this.roundRobin.get(targetGroupArn) ?? 0;
    this.roundRobin.set(targetGroupArn, (next + 1) % targets.length);
    chosen.target = targets[next % targets.length] ?? '';
    const target = new URL(chosen.target);
    const headers = { ...request.headers };
    delete headers.connection;
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers, agent: this.agent, timeout: this.options.targetTimeoutMs ?? 5_000 },
      (answer) => {
        const status = answer.statusCode ?? 502;
        response.writeHead(status, answer.headers);
        answer.pipe(response);
        const targetMs = targetTimeOf(answer.headers[TARGET_TIME_HEADER]);
        answer.on('end', () => { report(status, targetMs); });
        answer.on('error', () => { answerSelf(502, 'target broke the connection'); });
      },
    );
    upstream.on('timeout', () => {
      upstream.destroy();
      answerSelf(504, 'target did not answer in time');
    });
    upstream.on('error', () => { answerSelf(502, 'target refused or broke the connection'); });
    request.pipe(upstream);
  }
}
