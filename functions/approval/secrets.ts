/**
 * The secrets of the approval path. In AWS they live in one Secrets Manager
 * secret (a JSON string); the Lambda entry reads it at cold start through a
 * {@link SlackSecrets} provider, which caches it (and re-reads after `ttlMs`,
 * so a rotation is picked up without a deploy). The values never reach a log,
 * an error message, a Slack message or a page.
 */
import { z } from 'zod';
import { parseInput } from '../validation.js';

export interface SlackSecretValues {
  /** The bot token (`xoxb-…`) for chat.postMessage, chat.update, chat.postEphemeral, usergroups.users.list, users.info. */
  readonly botToken: string;
  /** The app's signing secret: verifies that interactivity requests come from Slack. */
  readonly signingSecret: string;
  /**
   * rollgate's own key (at least 32 random bytes, e.g. base64) for the
   * personal approval links and the CSRF tokens of the browser page. Not a
   * Slack value: rotating it invalidates the links already handed out.
   */
  readonly linkSigningKey: string;
}

/** Where the secrets come from. Implementations cache; `get` is called per request. */
export interface SlackSecrets {
  get(): Promise<SlackSecretValues>;
}

const SlackSecretValuesSchema = z.strictObject({
  botToken: z.string().min(1),
  signingSecret: z.string().min(1),
  linkSigningKey: z.string().min(32, 'must be at least 32 characters of random'),
});

/**
 * Parses the secret's JSON string (`{"botToken":…,"signingSecret":…,"linkSigningKey":…}`).
 * Errors name the missing field, never a value.
 */
export function parseSlackSecretString(secretString: string | undefined): SlackSecretValues {
  let json: unknown;
  try {
    json = JSON.parse(secretString ?? '');
  } catch {
    // Deliberately no cause: a JSON parser's message may quote the secret.
    json = undefined;
  }
  // zod's messages name the field and the rule, never the value.
  return parseInput(SlackSecretValuesSchema, json, 'slackSecrets');
}

/** Fixed secrets (the local runtime and tests). */
export function staticSlackSecrets(values: SlackSecretValues): SlackSecrets {
  const checked = parseInput(SlackSecretValuesSchema, values, 'slackSecrets');
  return { get: () => Promise.resolve(checked) };
}

/**
 * Caches what `load` returns (e.g. GetSecretValue + {@link parseSlackSecretString})
 * for `ttlMs`. Concurrent callers share one load; a failed load is not cached.
 */
export function cachedSlackSecrets(
  load: () => Promise<SlackSecretValues>,
  options: { ttlMs?: number; now?: () => number } = {},
): SlackSecrets {
  const ttlMs = options.ttlMs ?? 5 * 60_000;
  const now = options.now ?? Date.now;
  let cached: { value: Promise<SlackSecretValues>; at: number } | undefined;
  return {
    get(): Promise<SlackSecretValues> {
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
