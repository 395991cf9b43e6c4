/**
 * Personal approval links and the CSRF tokens of the approval page.
 *
 * A link is made for one Slack user and one approval, on that user's click
 * of "Open in browser" in Slack (a signed request, so the user id is Slack's
 * word), and handed to that user alone in an ephemeral message. The link
 * carries `v1.<payload>.<mac>`: payload = approval id, Slack user id, expiry
 * (the approval's); mac = HMAC-SHA256 with rollgate's link key. Holding the
 * link is the browser's proof of identity: rollgate has no login of its own,
 * and Slack is where approvers already are authenticated.
 *
 * The page's POST carries a CSRF token bound to the approval, the user and a
 * random nonce kept in a SameSite=Strict, HttpOnly cookie set by the GET
 * (double submit, signed): a cross-site form, or a scanner replaying the
 * link's URL, has neither.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';

const LINK_PURPOSE = 'rollgate-approval-link:v1:';
const CSRF_PURPOSE = 'rollgate-approval-csrf:v1:';

const LinkPayloadSchema = z.strictObject({
  /** approval id */
  a: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/),
  /** Slack user id the link was made for */
  u: z.string().regex(/^[A-Z0-9]{2,32}$/),
  /** expiry, Unix seconds */
  e: z.number().int().min(0),
});

/** What a valid link says. */
export interface LinkClaims {
  readonly approvalId: string;
  readonly userId: string;
  readonly expiresAt: Date;
}

function mac(key: string, purpose: string, data: string): Buffer {
  return createHmac('sha256', key).update(purpose + data, 'utf8').digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The link token for `userId` to decide `approvalId` until `expiresAt`. */
export function signApprovalLink(key: string, claims: LinkClaims): string {
  const payload = Buffer.from(
    JSON.stringify({ a: claims.approvalId, u: claims.userId, e: Math.floor(claims.expiresAt.getTime() / 1000) }),
    'utf8',
  ).toString('base64url');
  return `v1.${payload}.${mac(key, LINK_PURPOSE, payload).toString('base64url')}`;
}

/**
 * The claims of a link token we signed for `approvalId`, or `undefined` when
 * it is malformed, forged, altered or made for another approval. Expiry is
 * the caller's check (an expired link deserves 410, a forged one 403).
 */
export function verifyApprovalLink(key: string, approvalId: string, token: string | undefined): LinkClaims | undefined {
  if (token === undefined || token.length > 512) return undefined;
  const [version, payload, signature, ...rest] = token.split('.');
  if (version !== 'v1' || payload === undefined || signature === undefined || rest.length > 0) return undefined;
  if (!sameBytes(mac(key, LINK_PURPOSE, payload), Buffer.from(signature, 'base64url'))) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const claims = LinkPayloadSchema.safeParse(json);
  if (!claims.success || claims.data.a !== approvalId) return undefined;
  return { approvalId: claims.data.a, userId: claims.data.u, expiresAt: new Date(claims.data.e * 1000) };
}

/** A fresh random nonce for the CSRF cookie. */
export function newCsrfNonce(): string {
  return randomBytes(18).toString('base64url');
}

/** The CSRF token the page's form carries for this approval, user and cookie nonce. */
export function csrfToken(key: string, input: { approvalId: string; userId: string; nonce: string }): string {
  return mac(key, CSRF_PURPOSE, `${input.approvalId}:${input.userId}:${input.nonce}`).toString('base64url');
}

/** Whether `token` is the CSRF token for this approval, user and cookie nonce (constant time). */
export function verifyCsrfToken(
  key: string,
  input: { approvalId: string; userId: string; nonce: string | undefined; token: string | undefined },
): boolean {
  if (input.nonce === undefined || input.token === undefined || input.nonce.length < 16 || input.token.length > 128) return false;
  const expected = Buffer.from(csrfToken(key, { approvalId: input.approvalId, userId: input.userId, nonce: input.nonce }), 'utf8');
  return sameBytes(expected, Buffer.from(input.token, 'utf8'));
}
