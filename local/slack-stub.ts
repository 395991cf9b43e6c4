/**
 * A local stand-in for the Slack Web API: a real HTTP server on loopback that
 * answers the methods rollgate calls (chat.postMessage, chat.update,
 * chat.postEphemeral, usergroups.users.list, users.info) the way Slack does —
 * `{ ok: true, … }` or `{ ok: false, error }`, a bearer token checked on every
 * call — and records every message, so the demo and the tests see what
 * approvers would see without anything leaving the machine.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, listenOnLoopback } from './loopback-server.js';

/** A workspace member the stub knows. */
export interface StubUser {
  readonly id: string;
  readonly name: string;
  readonly realName?: string;
  readonly email?: string;
}

export interface SlackStubOptions {
  /** The only bot token the stub accepts. */
  readonly botToken: string;
  readonly users?: readonly StubUser[];
  /** User group id → member user ids. */
  readonly userGroups?: Readonly<Record<string, readonly string[]>>;
  /** @default 127.0.0.1 */
  readonly host?: string;
}

/** A channel message as it stands now (after any chat.update). */
export interface StubMessage {
  readonly channel: string;
  readonly ts: string;
  text: string;
  blocks: unknown[];
  /** Every version: the post, then each update. */
  readonly history: { text: string; blocks: unknown[] }[];
}

export interface StubEphemeral {
  readonly channel: string;
  readonly user: string;
  readonly text: string;
}

export interface StubCall {
  readonly method: string;
  readonly args: Readonly<Record<string, unknown>>;
}

type Answer = Record<string, unknown>;

export class LocalSlackStub {
  /** Base URL of the Web API, e.g. `http://127.0.0.1:40123/api/`. */
  public readonly baseUrl: string;
  public readonly calls: StubCall[] = [];
  public readonly messages: StubMessage[] = [];
  public readonly ephemerals: StubEphemeral[] = [];
  private readonly listeners: ((message: StubMessage) => void)[] = [];
  private readonly failures = new Map<string, string>();
  private readonly outages = new Map<string, string>();
  private counter = 0;

  private constructor(
    private readonly server: Server,
    private readonly options: SlackStubOptions,
  ) {
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://${options.host ?? '127.0.0.1'}:${String(address.port)}/api/`;
  }

  /** Starts the stub on a free loopback port. */
  public static async start(options: SlackStubOptions): Promise<LocalSlackStub> {
    const ready: { stub?: LocalSlackStub } = {};
    const server = createServer((request, response) => {
      void readBody(request).then((body) => {
        const answer = ready.stub === undefined ? { ok: false, error: 'starting' } : ready.stub.answer(request, body);
        response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify(answer));
      });
    });
    await listenOnLoopback(server, { host: options.host });
    ready.stub = new LocalSlackStub(server, options);
    return ready.stub;
  }

  /** Calls `listener` with every message posted (not updated). */
  public onMessage(listener: (message: StubMessage) => void): void {
    this.listeners.push(listener);
  }

  /** Makes the next call of `method` answer `{ ok: false, error }`. */
  public failNext(method: string, error: string): void {
    this.failures.set(method, error);
  }

  /** Makes every call of `method` answer `{ ok: false, error }` until {@link restore} (Slack down); the calls are still recorded. */
  public failAll(method: string, error: string): void {
    this.outages.set(method, error);
  }

  /** Ends a {@link failAll} outage of `method`. */
  public restore(method: string): void {
    this.outages.delete(method);
  }

  /** The message posted at `channel`/`ts`. */
  public message(channel: string, ts: string): StubMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  public close(): Promise<void> {
    return closeServer(this.server);
  }

  private answer(request: IncomingMessage, raw: string): Answer {
    const method = (request.url ?? '').replace(/^\/api\//, '').replace(/\?.*$/, '');
    if (request.method !== 'POST') return { ok: false, error: 'invalid_request' };
    if (request.headers.authorization !== `Bearer ${this.options.botToken}`) return { ok: false, error: 'invalid_auth' };
    const args = parseArgs(request.headers['content-type'] ?? '', raw);
    if (args === undefined) return { ok: false, error: 'invalid_json' };
    this.calls.push({ method, args });
    const outage = this.outages.get(method);
    if (outage !== undefined) return { ok: false, error: outage };
    const failure = this.failures.get(method);
    if (failure !== undefined) {
      this.failures.delete(method);
      return { ok: false, error: failure };
    }
    const str = (name: string) => (typeof args[name] === 'string' ? args[name] : undefined);
    const blocks = Array.isArray(args.blocks) ? (args.blocks as unknown[]) : [];
    switch (method) {
      case 'chat.postMessage': {
        const channel = str('channel');
        if (channel === undefined || !/^[A-Z0-9]+$/.test(channel)) return { ok: false, error: 'channel_not_found' };
        this.counter += 1;
        const ts = `${String(Math.floor(Date.now() / 1000))}.${String(this.counter).padStart(6, '0')}`;
        const message: StubMessage = { channel, ts, text: str('text') ?? '', blocks, history: [{ text: str('text') ?? '', blocks }] };
        this.messages.push(message);
        for (const listener of this.listeners) listener(message);
        return { ok: true, channel, ts, message: { text: message.text, blocks } };
      }
      case 'chat.update': {
        const message = this.message(str('channel') ?? '', str('ts') ?? '');
        if (message === undefined) return { ok: false, error: 'message_not_found' };
        message.text = str('text') ?? message.text;
        message.blocks = blocks;
        message.history.push({ text: message.text, blocks });
        return { ok: true, channel: message.channel, ts: message.ts };
      }
      case 'chat.postEphemeral': {
        const channel = str('channel');
        const user = str('user');
        if (channel === undefined || user === undefined) return { ok: false, error: 'invalid_arguments' };
        this.ephemerals.push({ channel, user, text: str('text') ?? '' });
        return { ok: true, message_ts: `${String(Math.floor(Date.now() / 1000))}.000000` };
      }
      case 'usergroups.users.list': {
        const members = this.options.userGroups?.[str('usergroup') ?? ''];
        return members === undefined ? { ok: false, error: 'no_such_subteam' } : { ok: true, users: [...members] };
      }
      case 'users.info': {
        const user = this.options.users?.find((u) => u.id === str('user'));
        if (user === undefined) return { ok: false, error: 'user_not_found' };
        return {
          ok: true,
          user: { id: user.id, name: user.name, real_name: user.realName, deleted: false, is_bot: false, profile: { email: user.email, real_name: user.realName, display_name: '' } },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', () => {
      resolve('');
    });
  });
}

/** Slack takes JSON or form-encoded arguments (form values may hold JSON, e.g. `blocks`). */
function parseArgs(contentType: string, raw: string): Record<string, unknown> | undefined {
  if (contentType.startsWith('application/json')) {
    try {
      const json: unknown = JSON.parse(raw);
      return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }
  const args: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(raw)) {
    if (key === 'blocks') {
      try {
        args[key] = JSON.parse(value);
      } catch {
        return undefined;
      }
    } else {
      args[key] = value;
    }
  }
  return args;
}

/** A click on a button of a message, as Slack's interactivity payload describes it. */
export interface BlockActionsClick {
  /** The workspace the click comes from. */
  readonly teamId: string;
  /** Who clicks (a Slack user id). */
  readonly userId: string;
  /** The message the button is on. */
  readonly channel: string;
  readonly messageTs: string;
  readonly messageText?: string;
  /** The button's `action_id` and `value`. */
  readonly actionId: string;
  readonly value: string;
}

/**
 * The body Slack posts to the interactivity URL for a button click:
 * `payload=<block_actions JSON>`, form-encoded (what the endpoint verifies
 * the signature of, byte for byte).
 * https://api.slack.com/reference/interaction-payloads/block-actions
 */
export function blockActionsBody(click: BlockActionsClick, nowSeconds: number): string {
  const payload = {
    type: 'block_actions',
    team: { id: click.teamId, domain: 'local' },
    user: { id: click.userId, username: click.userId.toLowerCase(), team_id: click.teamId },
    api_app_id: 'A0ROLLGATE',
    container: { type: 'message', message_ts: click.messageTs, channel_id: click.channel, is_ephemeral: false },
    channel: { id: click.channel, name: 'releases' },
    message: { ts: click.messageTs, ...(click.messageText === undefined ? {} : { text: click.messageText }) },
    actions: [{ action_id: click.actionId, block_id: 'rollgate_approval', value: click.value, type: 'button', action_ts: `${String(nowSeconds)}.000100` }],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
