/**
 * The approval endpoint on a local HTTP server (node:http on loopback): the
 * same {@link ApprovalEndpoint} the Lambda Function URL runs, so Slack-style
 * clicks (signed like Slack signs them) and a real browser reach the real
 * handler. {@link startLocalSlackApprovals} wires the whole local Slack side:
 * the Web API stand-in, the Slack notifier for the local runtime, and this
 * server, with fresh random secrets; nothing leaves the machine.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Callbacks, Ledger, Notifier } from '../functions/ports.js';
import { ApprovalEndpoint, type ApprovalEndpointOptions } from '../functions/approval/endpoint.js';
import { parseCookies, type HttpRequest } from '../functions/approval/http.js';
import { staticSlackSecrets, type SlackSecretValues } from '../functions/approval/secrets.js';
import { SlackApprovalNotifier } from '../functions/approval/slack-notifier.js';
import { SlackWebApi } from '../functions/adapters/slack/web-api.js';
import { approvalChannel, fourEyesFor, type RollgateConfig } from '../functions/config.js';
import type { LocalNotifierContext } from './runtime.js';
import { LocalSlackStub, type StubUser } from './slack-stub.js';
import { closeServer, listenOnLoopback } from './loopback-server.js';

const MAX_BODY_BYTES = 64 * 1024;

export interface LocalApprovalServerOptions extends ApprovalEndpointOptions {
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** @default a free port */
  readonly port?: number;
  /** Run the sweeper (timeouts, releases that stopped waiting) this often; 0 = never. @default 1000 */
  readonly sweepIntervalMs?: number;
}

export class LocalApprovalServer {
  /** e.g. `http://127.0.0.1:40124` */
  public readonly baseUrl: string;
  /** Errors of sweeper runs; tests assert there are none. */
  public readonly sweepErrors: unknown[] = [];
  private readonly sweeper: NodeJS.Timeout | undefined;

  private constructor(
    private readonly server: Server,
    public readonly endpoint: ApprovalEndpoint,
    host: string,
    sweepIntervalMs: number,
  ) {
    this.baseUrl = `http://${host}:${String((server.address() as AddressInfo).port)}`;
    this.sweeper =
      sweepIntervalMs > 0
        ? setInterval(() => {
            this.endpoint.sweep().catch((error: unknown) => this.sweepErrors.push(error));
          }, sweepIntervalMs)
        : undefined;
    this.sweeper?.unref();
  }

  public static async start(options: LocalApprovalServerOptions): Promise<LocalApprovalServer> {
    const host = options.host ?? '127.0.0.1';
    let origin = '';
    const endpoint = new ApprovalEndpoint(options);
    const server = createServer((request, response) => {
      void serve(endpoint, origin, request, response);
    });
    await listenOnLoopback(server, { port: options.port, host });
    const started = new LocalApprovalServer(server, endpoint, host, options.sweepIntervalMs ?? 1000);
    origin = started.baseUrl;
    return started;
  }

  /** The personal approval link for a Slack user (what "Open in browser" hands out in Slack). */
  public personalLink(approvalId: string, userId: string): Promise<string> {
    return this.endpoint.personalLink(approvalId, userId, this.baseUrl);
  }

  /** A URL on this server. */
  public url(path: string): string {
    return new URL(path, this.baseUrl).toString();
  }

  public close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    return closeServer(this.server);
  }
}

async function serve(endpoint: ApprovalEndpoint, origin: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        response.writeHead(413, { 'content-type': 'text/plain; charset=utf-8' }).end('request body too large');
        return;
      }
      chunks.push(chunk);
    }
  } catch {
    response.destroy();
    return;
  }
  const url = new URL(request.url ?? '/', origin);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  const httpRequest: HttpRequest = {
    method: (request.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    headers,
    cookies: parseCookies(request.headers.cookie === undefined ? [] : [request.headers.cookie]),
    rawBody: Buffer.concat(chunks),
    origin,
  };
  const answer = await endpoint.handle(httpRequest);
  response.writeHead(answer.status, {
    ...answer.headers,
    ...(answer.cookies === undefined || answer.cookies.length === 0 ? {} : { 'set-cookie': [...answer.cookies] }),
  });
  response.end(answer.body);
}

// ───────────────────────────── the whole local Slack side ─────────────────────────────

export interface LocalSlackApprovalsOptions {
  /**
   * The channel approval requests go to. @default the service's, from the
   * configuration (`approvals.slackChannel`, else `slack.channel`), as the
   * Approval function picks it
   */
  readonly channel?: string;
  /** Workspace members the stand-in knows (for users.info: the four-eyes check). */
  readonly users?: readonly StubUser[];
  /** User group id → member ids (usergroups.users.list). */
  readonly userGroups?: Readonly<Record<string, readonly string[]>>;
  /** Passed to the endpoint. */
  readonly endpoint?: Partial<Omit<ApprovalEndpointOptions, 'ledger' | 'callbacks' | 'slack' | 'secrets'>>;
  readonly sweepIntervalMs?: number;
}

/** The local Slack side of approvals; see {@link startLocalSlackApprovals}. */
export interface LocalSlackApprovals {
  readonly stub: LocalSlackStub;
  readonly slack: SlackWebApi;
  readonly secrets: SlackSecretValues;
  /** For {@link LocalRuntimeOptions.notifier}: posts approval requests to the stand-in. */
  readonly notifier: (context: LocalNotifierContext) => Notifier;
  /**
   * Starts the approval endpoint on loopback for the runtime's ledger, engine
   * callbacks and configuration: four-eyes per service from it, as the
   * Lambda's (unless `endpoint.fourEyes` says otherwise).
   */
  serve(deps: { ledger: Ledger; callbacks: Callbacks; config: RollgateConfig }): Promise<LocalApprovalServer>;
  /** Stops the endpoint (if served) and the stand-in. */
  close(): Promise<void>;
}

/**
 * Starts the local Slack Web API stand-in and returns the notifier factory
 * for the local runtime and a way to serve the endpoint. Usage:
 *
 *   const approvals = await startLocalSlackApprovals({ users, userGroups });
 *   const runtime = await LocalRuntime.create({ dynamodbEndpoint, notifier: approvals.notifier });
 *   const server = await approvals.serve({ ledger: runtime.ledger, callbacks: runtime.engine.callbacks, config: runtime.deps.config });
 *   approvals.stub.onMessage(() => …server.personalLink(approvalId, 'U01ALICE')… ); // print the link
 */
export async function startLocalSlackApprovals(options: LocalSlackApprovalsOptions = {}): Promise<LocalSlackApprovals> {
  const secrets: SlackSecretValues = {
    botToken: `xoxb-local-${randomBytes(12).toString('hex')}`,
    signingSecret: randomBytes(16).toString('hex'),
    linkSigningKey: randomBytes(32).toString('base64url'),
  };
  const stub = await LocalSlackStub.start({
    botToken: secrets.botToken,
    ...(options.users === undefined ? {} : { users: options.users }),
    ...(options.userGroups === undefined ? {} : { userGroups: options.userGroups }),
  });
  const slack = new SlackWebApi({ botToken: () => Promise.resolve(secrets.botToken), baseUrl: stub.baseUrl });
  let server: LocalApprovalServer | undefined;
  return {
    stub,
    slack,
    secrets,
    notifier: ({ ledger, config, cloud }) =>
      new SlackApprovalNotifier({
        slack,
        ledger,
        channel: options.channel ?? ((request) => approvalChannel(config, request)),
        alarms: { source: cloud, config },
        fourEyes: (approval) => fourEyesFor(config, approval),
      }),
    async serve({ ledger, callbacks, config }) {
      server = await LocalApprovalServer.start({
        fourEyes: (approval) => fourEyesFor(config, approval),
        // The sweeper's, as in AWS: posts requests Slack did not take, without the alarm line.
        notifier: new SlackApprovalNotifier({
          slack,
          ledger,
          channel: options.channel ?? ((request) => approvalChannel(config, request)),
          fourEyes: (approval) => fourEyesFor(config, approval),
        }),
        ...options.endpoint,
        ledger,
        callbacks,
        slack,
        secrets: staticSlackSecrets(secrets),
        ...(options.sweepIntervalMs === undefined ? {} : { sweepIntervalMs: options.sweepIntervalMs }),
      });
      return server;
    },
    async close() {
      await server?.close();
      await stub.close();
    },
  };
}
