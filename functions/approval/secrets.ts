/**
 * The secrets of the approval path. In AWS they live in two Secrets Manager
 * secrets (JSON strings), so that each function can read only what it uses:
 *
 * - the bot-token secret, `{"botToken":"xoxb-…"}`, read by every approval
 *   function (the Approval step posts, the sweeper updates messages, the
 *   endpoint answers clicks);
 * - the signing secret, `{"signingSecret":"…","linkSigningKey":"…"}`, read by
 *   the approval endpoint only: whoever holds it can forge a Slack click or
 *   mint an approval link, so the Approval step and the sweeper never get it.
 *
 * The Lambda entries read them at cold start through providers that cache
 * (and re-read after `ttlMs`, so a rotation is picked up without a deploy).
 * The values never reach a log, an error message, a Slack message or a page.
 */
import * as z from 'zod';
import { InvalidInputError } from '../errors.js';
import { parseInput } from '../validation.js';

/** What the bot-token secret holds. */
export interface SlackBotTokenValues {
  /** The bot token (`xoxb-…`) for chat.postMessage, chat.update, chat.postEphemeral, usergroups.users.list, users.info. */
  readonly botToken: string;
}

/** What the signing secret holds: what lets a request speak for Slack or for an approver. */
export interface SlackSigningValues {
  /** The app's signing secret: verifies that interactivity requests come from Slack. */
  readonly signingSecret: string;
  /**
   * rollgate's own key (at least 32 random bytes, e.g. base64) for the
   * personal approval links and the CSRF tokens of the browser page. Not a
   * Slack value: rotating it invalidates the links already handed out.
   */
  readonly linkSigningKey: string;
}

/** Everything the approval endpoint uses. */
export interface SlackSecretValues extends SlackBotTokenValues, SlackSigningValues {}

/** The bot token, for every approval function. Implementations cache; `get` is called per request. */
export interface SlackBotToken {
  get(): Promise<SlackBotTokenValues>;
}

/** The signing secret and link key, for the approval endpoint only. Implementations cache; `get` is called per request. */
export interface SlackSigningSecrets {
  get(): Promise<SlackSigningValues>;
}

/** Where the endpoint's secrets come from: both of the above (see {@link combinedSlackSecrets}). */
export interface SlackSecrets {
  get(): Promise<SlackSecretValues>;
}

const BotTokenSchema = z.strictObject({ botToken: z.string().min(1) });

const SigningSchema = z.strictObject({
  signingSecret: z.string().min(1),
  linkSigningKey: z.string().min(32, 'must be at least 32 characters of random'),
});

const SlackSecretValuesSchema = z.strictObject({ ...BotTokenSchema.shape, ...SigningSchema.shape });

/** The JSON of a secret string, or undefined; deliberately no cause: a JSON parser's message may quote the secret. */
function json(secretString: string | undefined): unknown {
  try {
    return JSON.parse(secretString ?? '');
  } catch {
    return undefined;
  }
}

/**
 * Parses the bot-token secret's JSON string (`{"botToken":…}`).
 * Errors name the missing or extra field, never a value.
 */
export function parseSlackBotTokenSecret(secretString: string | undefined): SlackBotTokenValues {
  const value = json(secretString);
  // Every approval function reads this secret: a signing secret kept in it would be theirs too.
  const extra = typeof value === 'object' && value !== null ? Object.keys(value).find((key) => key !== 'botToken') : undefined;
  if (extra !== undefined) {
    throw new InvalidInputError('slackBotTokenSecret', extra, 'does not belong in the bot-token secret, which every approval function reads: keep it in the signing secret (slack.signingSecretName)');
  }
  // zod's messages name the field and the rule, never the value.
  return parseInput(BotTokenSchema, value, 'slackBotTokenSecret');
}

/**
 * Parses the signing secret's JSON string (`{"signingSecret":…,"linkSigningKey":…}`).
 * Errors name the missing field, never a value.
 */
export function parseSlackSigningSecret(secretString: string | undefined): SlackSigningValues {
  return parseInput(SigningSchema, json(secretString), 'slackSigningSecret');
}

/** The endpoint's secrets from the two providers; each caches on its own. */
export function combinedSlackSecrets(botToken: SlackBotToken, signing: SlackSigningSecrets): SlackSecrets {
  return {
    async get(): Promise<SlackSecretValues> {
      const [bot, keys] = await Promise.all([botToken.get(), signing.get()]);
      return { ...bot, ...keys };
    },
  };
}

/** Fixed secrets (the local runtime and tests). */
export function staticSlackSecrets(values: SlackSecretValues): SlackSecrets {
  const checked = parseInput(SlackSecretValuesSchema, values, 'slackSecrets');
  return { get: () => Promise.resolve(checked) };
}

/**
 * Caches what `load` returns (e.g. GetSecretValue + {@link parseSlackBotTokenSecret})
 * for `ttlMs`. Concurrent callers share one load; a failed load is not cached.
 */
export function cachedSlackSecrets<T>(
  load: () => Promise<T>,
  options: { ttlMs?: number; now?: () => number } = {},
): { get(): Promise<T> } {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { value: Promise<T>; at: number } | undefined;
  return {
    get(): Promise<T> {
      if (cached !== undefined && now() - cached.at < ttlMs) return cached.value;
      const entry = { value: load(), at: now() };
      cached = entry;
      entry.value.catch(() => {
        if (cached === entry) cached = undefined;
      });
      return entry.value;
    },
  };
}
