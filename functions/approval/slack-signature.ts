/**
 * Slack request signing, v0 scheme: Slack sends `X-Slack-Request-Timestamp`
 * and `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<raw body>"
 * keyed with the app's signing secret>`. The signature covers the raw bytes
 * Slack sent, so it is checked before anything parses the body, and the
 * timestamp must be within five minutes of now (either way) so a captured
 * request cannot be replayed later.
 * https://api.slack.com/authentication/verifying-requests-from-slack
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far the request timestamp may be from our clock, in seconds (Slack's recommendation). */
export const SLACK_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

const SIGNATURE = /^v0=[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{1,12}$/;

export interface SlackSignatureInput {
  readonly signingSecret: string;
  /** The `X-Slack-Request-Timestamp` header, Unix seconds as sent. */
  readonly timestamp: string | undefined;
  /** The `X-Slack-Signature` header, `v0=<64 hex>`. */
  readonly signature: string | undefined;
  /** The request body exactly as received, before any parsing or decoding. */
  readonly rawBody: string | Uint8Array;
  /** Our clock, Unix seconds. */
  readonly nowSeconds: number;
}

/** The `v0=` signature Slack sends for `rawBody` at `timestamp`. */
export function slackSignature(input: { signingSecret: string; timestamp: string; rawBody: string | Uint8Array }): string {
  const hmac = createHmac('sha256', input.signingSecret);
  hmac.update(`v0:${input.timestamp}:`, 'utf8');
  hmac.update(typeof input.rawBody === 'string' ? Buffer.from(input.rawBody, 'utf8') : input.rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Whether a request really comes from Slack: a well-formed v0 signature over
 * `v0:<timestamp>:<rawBody>`, compared in constant time, with a timestamp
 * within ±{@link SLACK_SIGNATURE_TOLERANCE_SECONDS} of `nowSeconds`. Pure:
 * no clock, no environment, no logging.
 */
export function verifySlackSignature(input: SlackSignatureInput): boolean {
  const { timestamp, signature } = input;
  if (input.signingSecret.length === 0) return false;
  if (timestamp === undefined || !TIMESTAMP.test(timestamp)) return false;
  if (signature === undefined || !SIGNATURE.test(signature)) return false;
  if (!Number.isFinite(input.nowSeconds)) return false;
  if (Math.abs(input.nowSeconds - Number(timestamp)) > SLACK_SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = Buffer.from(slackSignature({ signingSecret: input.signingSecret, timestamp, rawBody: input.rawBody }), 'utf8');
  const received = Buffer.from(signature, 'utf8');
  // Both are `v0=` + 64 hex digits here, so the lengths match and timingSafeEqual cannot throw.
  return expected.length === received.length && timingSafeEqual(expected, received);
}
