/**
 * The few Slack Web API methods rollgate calls, over plain HTTPS (global
 * fetch): no Slack SDK, a timeout on every call, and Slack's `ok: false`
 * turned into {@link SlackApiError} carrying Slack's error code. The bot token
 * is read from a provider per call (cached by the provider) and never appears
 * in an error, a log line or a return value.
 *
 * The base URL is injectable so the local runtime and the tests talk to a
 * local stand-in (local/slack-stub.ts) and nothing leaves the machine.
 * https://api.slack.com/web
 */
import * as z from 'zod';
import { SlackApiError } from '../../errors.js';
import type { SlackMessageRef } from '../../domain/approval.js';

/** Slack's production Web API. */
export const SLACK_API_BASE_URL = 'https://slack.com/api/';

/** A Block Kit block; built by functions/approval/message.ts, opaque here. */
export type SlackBlock = Readonly<Record<string, unknown>>;

export interface SlackMessageInput {
  readonly channel: string;
  /** Notification and accessibility fallback for the blocks. */
  readonly text: string;
  readonly blocks: readonly SlackBlock[];
}

/** A Slack user as rollgate needs them: who they are, for the four-eyes check. */
export interface SlackUser {
  readonly id: string;
  readonly name: string | undefined;
  readonly realName: string | undefined;
  readonly displayName: string | undefined;
  readonly email: string | undefined;
  readonly deleted: boolean;
  readonly isBot: boolean;
}

/** The Slack Web API as the approval code uses it. */
export interface SlackApi {
  /** chat.postMessage: posts to a channel; returns where the message is. */
  postMessage(input: SlackMessageInput): Promise<SlackMessageRef>;
  /** chat.update: replaces a message's text and blocks. */
  updateMessage(input: SlackMessageInput & { readonly ts: string }): Promise<void>;
  /** chat.postEphemeral: a message in `channel` only `user` sees. */
  postEphemeral(input: { readonly channel: string; readonly user: string; readonly text: string; readonly blocks?: readonly SlackBlock[] }): Promise<void>;
  /** usergroups.users.list: the user ids in a user group. */
  userGroupMembers(userGroupId: string): Promise<string[]>;
  /** users.info: one user. */
  userInfo(userId: string): Promise<SlackUser>;
}

export interface SlackWebApiOptions {
  /** The bot token (`xoxb-…`), e.g. from {@link SlackSecrets}; called per request, so cache inside. */
  readonly botToken: () => Promise<string>;
  /** @default {@link SLACK_API_BASE_URL} */
  readonly baseUrl?: string;
  /** Per call. Interactivity must be answered within 3 s, so calls made while answering stay short. @default 2500 */
  readonly timeoutMs?: number;
}

const OkSchema = z.object({ ok: z.boolean(), error: z.string().optional() });
const PostMessageSchema = z.object({ channel: z.string(), ts: z.string() });
const UserGroupUsersSchema = z.object({ users: z.array(z.string()) });
const UserInfoSchema = z.object({
  user: z.object({
    id: z.string(),
    name: z.string().optional(),
    real_name: z.string().optional(),
    deleted: z.boolean().optional(),
    is_bot: z.boolean().optional(),
    profile: z
      .object({ email: z.string().optional(), display_name: z.string().optional(), real_name: z.string().optional() })
      .optional(),
  }),
});

/** {@link SlackApi} over HTTPS. Build once per container. */
export class SlackWebApi implements SlackApi {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  public constructor(private readonly options: SlackWebApiOptions) {
    const base = options.baseUrl ?? SLACK_API_BASE_URL;
    this.baseUrl = base.endsWith('/') ? base : `${base}/`;
    this.timeoutMs = options.timeoutMs ?? 2500;
  }

  public async postMessage(input: SlackMessageInput): Promise<SlackMessageRef> {
    const out = await this.call('chat.postMessage', 'json', {
      channel: input.channel,
      text: input.text,
      blocks: input.blocks,
      unfurl_links: false,
      unfurl_media: false,
    });
    const parsed = this.shape('chat.postMessage', PostMessageSchema, out);
    return { channel: parsed.channel, ts: parsed.ts };
  }

  public async updateMessage(input: SlackMessageInput & { readonly ts: string }): Promise<void> {
    await this.call('chat.update', 'json', { channel: input.channel, ts: input.ts, text: input.text, blocks: input.blocks });
  }

  public async postEphemeral(input: { channel: string; user: string; text: string; blocks?: readonly SlackBlock[] }): Promise<void> {
    await this.call('chat.postEphemeral', 'json', {
      channel: input.channel,
      user: input.user,
      text: input.text,
      ...(input.blocks === undefined ? {} : { blocks: input.blocks }),
    });
  }

  public async userGroupMembers(userGroupId: string): Promise<string[]> {
    // Read methods take form-encoded arguments (not every one accepts JSON).
    const out = await this.call('usergroups.users.list', 'form', { usergroup: userGroupId });
    return this.shape('usergroups.users.list', UserGroupUsersSchema, out).users;
  }

  public async userInfo(userId: string): Promise<SlackUser> {
    const { user } = this.shape('users.info', UserInfoSchema, await this.call('users.info', 'form', { user: userId }));
    return {
      id: user.id,
      name: user.name,
      realName: user.real_name ?? user.profile?.real_name,
      displayName: user.profile?.display_name === '' ? undefined : user.profile?.display_name,
      email: user.profile?.email,
      deleted: user.deleted ?? false,
      isBot: user.is_bot ?? false,
    };
  }

  private async call(method: string, encoding: 'json' | 'form', args: Record<string, unknown>): Promise<unknown> {
    const token = await this.options.botToken();
    let response: Response;
    try {
      response = await fetch(new URL(method, this.baseUrl), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': encoding === 'json' ? 'application/json; charset=utf-8' : 'application/x-www-form-urlencoded',
        },
        body:
          encoding === 'json'
            ? JSON.stringify(args)
            : new URLSearchParams(Object.entries(args).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      // The cause is a network error from fetch; it does not contain the request headers.
      throw new SlackApiError(method, timedOut ? 'timeout' : 'network', { cause: error });
    }
    if (response.status === 429) throw new SlackApiError(method, 'ratelimited');
    if (!response.ok) throw new SlackApiError(method, `http_${String(response.status)}`);
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new SlackApiError(method, 'invalid_response', { cause: error });
    }
    const ok = OkSchema.safeParse(body);
    if (!ok.success) throw new SlackApiError(method, 'invalid_response');
    if (!ok.data.ok) throw new SlackApiError(method, ok.data.error ?? 'unknown_error');
    return body;
  }

  private shape<S extends z.ZodType>(method: string, schema: S, body: unknown): z.output<S> {
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new SlackApiError(method, 'invalid_response');
    return parsed.data;
  }
}
