/**
 * The small validated values every ledger record is made of: names that end
 * up inside keys, release ids, versions, who acted and why. A malformed value
 * fails with the field that is wrong instead of travelling on.
 */
import * as z from 'zod';
import { MAX_REASON_LENGTH } from './text.js';

/** Service and environment names end up inside keys, so `#` and spaces are out. */
export const NameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must be 1-63 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

export const ReleaseIdSchema = z.ulid('must be a ULID');

/** Free text that lands in the audit log: bounded, no control characters. */
export const TextSchema = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/, 'must not contain control characters');

export const VersionSchema = TextSchema(256);
/**
 * Who acted: a Slack user id or an IAM principal ARN, which with a user's path
 * can be far longer than 256 characters (IAM allows ARNs up to 2048).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const MAX_PRINCIPAL_LENGTH = 2048;
export const ActorSchema = TextSchema(MAX_PRINCIPAL_LENGTH);
export const ReasonSchema = TextSchema(MAX_REASON_LENGTH);
