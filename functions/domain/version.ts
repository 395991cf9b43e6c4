/**
 * What a release version may be, by fleet kind. A version names exactly one
 * immutable artefact the cloud can run, so it is checked against the grammar
 * the fleet's API accepts before the release takes the lock — not left to
 * the adapter, which meets it only after the lock is held and the migration
 * has run. Pure; the grammars are allow-lists, so control characters, spaces,
 * bidi overrides, NEL and path tricks (`../../latest`) never match.
 */
import { InvalidInputError } from '../errors.js';

/** The fleet kinds of the configuration (`fleet.kind`). */
export type FleetKind = 'ecs' | 'asg';

/**
 * A Docker/OCI image tag: up to 128 of [A-Za-z0-9_.-], not starting with `.`
 * or `-`. https://docs.docker.com/reference/cli/docker/image/tag/
 */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * An image digest as ECR reports it (and as an image push event carries it):
 * `sha256:` and 64 lowercase hex digits. The ECS adapters turn it into
 * `repository@sha256:…` (functions/adapters/aws/ecs-images.ts), which pins the
 * image even if its tag moves.
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push.html
 */
export const IMAGE_DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * A launch-template version number. `$Latest` and `$Default` are refused: they
 * move when someone publishes or promotes a version, so a group launched from
 * them is not the release that was approved (and a rollback could not name
 * what ran). AMI ids are refused too (see functions/adapters/aws/asg-fleet.ts).
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/create-asg-launch-template.html
 */
export const LAUNCH_TEMPLATE_VERSION = /^[1-9][0-9]{0,9}$/;

const EXPECTED: Readonly<Record<FleetKind, string>> = {
  ecs: 'must be an image tag (1-128 of letters, digits, "_", "." or "-", not starting with "." or "-") or an image digest "sha256:<64 lowercase hex>"',
  asg: 'must be a launch-template version number (1, 2, …); $Latest, $Default and AMI ids are refused because a release must name an immutable version',
};

/** Why `version` cannot be released on a fleet of `kind`, or undefined when it can. */
export function versionProblem(kind: FleetKind, version: string): string | undefined {
  const ok = kind === 'ecs' ? IMAGE_TAG.test(version) || IMAGE_DIGEST.test(version) : LAUNCH_TEMPLATE_VERSION.test(version);
  if (ok) return undefined;
  return `${EXPECTED[kind]}; got ${printable(version)}`;
}

/**
 * Throws an {@link InvalidInputError} naming `field` when `version` is not
 * one a fleet of `kind` can run.
 */
export function assertReleasableVersion(kind: FleetKind, version: string, operation: string, field = 'version'): void {
  const problem = versionProblem(kind, version);
  if (problem !== undefined) throw new InvalidInputError(operation, field, problem);
}

const SHOWN = 64;

/**
 * A bad value as it is safe to print in a message, a log line or Slack:
 * quoted, anything outside printable ASCII escaped as `\u{…}` (so a bidi
 * override cannot reorder the message around it), cut to {@link SHOWN}
 * characters.
 */
export function printable(value: string): string {
  // Code points, not graphemes: every one outside printable ASCII is shown escaped, combining or not.
  const chars = Array.from(value);
  const shown = chars
    .slice(0, SHOWN)
    .map((c) => (/^[\x20-\x7e]$/.test(c) && c !== '"' && c !== '\\' ? c : `\\u{${(c.codePointAt(0) ?? 0).toString(16)}}`))
    .join('');
  return `"${shown}"${chars.length > SHOWN ? ` (${String(chars.length)} characters, first ${String(SHOWN)} shown)` : ''}`;
}
