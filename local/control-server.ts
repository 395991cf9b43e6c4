/**
 * The control API on loopback: the same dispatcher the control Lambda runs
 * (functions/control/api.ts) over a {@link LocalRuntime}, behind a node:http
 * server on 127.0.0.1 that does what API Gateway's AWS_IAM authorization
 * does — every request must carry a valid SigV4 signature for
 * `execute-api`/`us-east-1` from one of the given local credentials
 * (./sigv4-verifier.ts), and the credential's principal ARN is the caller.
 * An unsigned or forged request is answered 403 with a named error before
 * anything is read or changed. The `rollgate` CLI talks to it exactly as it
 * talks to the deployed API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ReleaseExecution, ReleaseStarter, StartOutcome } from '../functions/adapters/aws/sfn-release-starter.js';
import { errorBodyOf, handleControlRequest, statusOf } from '../functions/control/api.js';
import { ExecutionAlreadyExistsError, InvalidInputError } from '../functions/errors.js';
import type { ControlDeps, TrafficWindow } from '../functions/control/operations.js';
import type { LocalRuntime } from './runtime.js';
import { SigV4Verifier, type LocalCredential } from './sigv4-verifier.js';
import { closeServer, listenOnLoopback } from './loopback-server.js';

/** Bodies beyond this are refused (API Gateway's own limit is far higher; control bodies are small). */
const MAX_BODY_BYTES = 64 * 1024;

export interface ControlServerOptions {
  readonly runtime: LocalRuntime;
  /** Who may call, each as the principal ARN API Gateway would see. */
  readonly credentials: readonly LocalCredential[];
  /** @default a free port */
  readonly port?: number;
  /** The clock signatures are checked against. @default the system clock */
  readonly now?: () => Date;
  /** The periods the traffic route reads. @default {@link LOCAL_TRAFFIC_WINDOW} */
  readonly trafficWindow?: TrafficWindow;
}

/** A running control server. */
export interface RunningControlServer {
  /** e.g. `http://127.0.0.1:40125`: what the CLI signs requests for. */
  readonly endpoint: string;
  /** Failures answered 5xx (a ledger outage, a bug), for the caller to log or a test to assert on. */
  readonly serverErrors: readonly unknown[];
  close(): Promise<void>;
}

/** The ReleaseStarter of the local runtime: StartExecution on its engine, a name used before is "already started". */
export class LocalReleaseStarter implements ReleaseStarter {
  public constructor(private readonly runtime: LocalRuntime) {}

  public start(release: ReleaseExecution): Promise<StartOutcome> {
    try {
      const execution = this.runtime.startRelease(release.input, { name: release.executionName });
      return Promise.resolve({ started: true, executionArn: execution.executionArn });
    } catch (error) {
      if (error instanceof ExecutionAlreadyExistsError) {
        return Promise.resolve({ started: false, executionName: release.executionName, reason: `already started: ${error.message}` });
      }
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/**
 * Traffic per version over the last minute, in 1 s periods: local releases last seconds (bakes are
 * compressed to 2 s), and a release's traffic counts only from its first whole period on.
 */
export const LOCAL_TRAFFIC_WINDOW = { periodSeconds: 1, periods: 60 } as const;

/** The control operations' dependencies over a local runtime: its ledger, engine, simulated cloud and decision path. */
export function localControlDeps(runtime: LocalRuntime, trafficWindow: TrafficWindow = LOCAL_TRAFFIC_WINDOW): ControlDeps {
  return {
    config: runtime.deps.config,
    ledger: runtime.ledger,
    starter: new LocalReleaseStarter(runtime),
    executions: runtime.deps.executions,
    alarms: runtime.deps.alarms,
    callbacks: runtime.deps.callbacks,
    steps: runtime.deps,
    decisions: runtime.decisionDeps,
    // What the simulated routers saw (nothing without the HTTP cloud); bakes are seconds here, so are the periods.
    traffic: runtime.cloud,
    trafficWindow,
    now: () => new Date(),
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new InvalidInputError('request', 'body', `is larger than ${String(MAX_BODY_BYTES)} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** The control API on 127.0.0.1. */
export const ControlServer = {
  /**
   * Starts the server on a free port (or `port`) of 127.0.0.1 over `runtime`,
   * letting in only requests signed with one of `credentials`.
   */
  async start(options: ControlServerOptions): Promise<RunningControlServer> {
    const verifier = new SigV4Verifier(options.credentials, options.now);
    const deps = localControlDeps(options.runtime, options.trafficWindow);
    const serverErrors: unknown[] = [];
    const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
      try {
        const url = new URL(request.url ?? '/', 'http://127.0.0.1');
        const body = await readBody(request);
        const query: Record<string, string | string[]> = {};
        for (const key of new Set(url.searchParams.keys())) {
          const values = url.searchParams.getAll(key);
          query[key] = values.length === 1 ? (values[0] ?? '') : values;
        }
        // Verified before anything else: an unsigned or forged request reads and changes nothing.
        const principalArn = await verifier.verify({ method: request.method ?? 'GET', path: url.pathname, query, headers: request.headers, body });
        const result = await handleControlRequest(
          deps,
          {
            method: request.method ?? 'GET',
            path: url.pathname,
            query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v])),
            body: body.length === 0 ? undefined : body.toString('utf8'),
          },
          { principalArn },
          (error) => serverErrors.push(error),
        );
        send(response, result.status, result.body);
      } catch (error) {
        send(response, statusOf(error), errorBodyOf(error));
      }
    };
    const server = createServer((request, response) => {
      void serve(request, response);
    });
    const port = await listenOnLoopback(server, { port: options.port });
    return {
      endpoint: `http://127.0.0.1:${String(port)}`,
      serverErrors,
      close: () => closeServer(server),
    };
  },
};
