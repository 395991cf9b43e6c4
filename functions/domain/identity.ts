/**
 * Who started a release, as an identity a four-eyes check can compare: pure.
 *
 * A release records its starter as `trigger.startedBy: {kind, id}`, set by
 * whoever calls StartExecution (the build trigger from the CodeBuild build
 * event's `initiator`, the control API from the caller's IAM principal, a
 * Slack command from the signed request's user id). `trigger.author` is free
 * text for display and is never compared.
 *
 * Names are compared only in a form that cannot look like something it is
 * not: NFKC, lower case, and printable ASCII only. A name that still holds
 * anything else — a zero-width or bidi control, a Cyrillic look-alike — is not
 * an identity anyone can be matched against, and the starter counts as
 * unknown (which the approval policy treats strictly). IAM and CodeBuild
 * names are ASCII by construction, so only a forged one is affected.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_User.html (UserName pattern [\w+=,.@-]+)
 */

/** Where a starter's identity comes from. */
export const STARTER_KINDS = ['slack-user', 'iam-principal', 'codebuild-initiator'] as const;
export type StarterKind = (typeof STARTER_KINDS)[number];

export interface StartedBy {
  readonly kind: StarterKind;
  readonly id: string;
}

/** A starter as the policy compares it: a Slack user id, or a person's name (an IAM user or session name). */
export type Starter = { readonly kind: 'slack-user'; readonly id: string } | { readonly kind: 'name'; readonly name: string };

/** Format characters (zero-width, bidi embeddings, overrides and isolates, the BOM) and other invisibles. */
// eslint-disable-next-line no-misleading-character-class
const INVISIBLE = /[\p{Cf}\p{Cc}\u115F\u1160\u3164\uFFA0\u034F\u180B-\u180D]/gu;

/** A name in the form names are compared in: NFKC, invisibles removed, trimmed, lower case. */
export function normalizeName(name: string): string {
  return name.normalize('NFKC').replace(INVISIBLE, '').trim().toLowerCase();
}

/**
 * A starter's name as it may be compared, or `undefined` when it cannot be:
 * empty, or holding anything but printable ASCII once NFKC-normalized (an
 * invisible or bidi character, a look-alike from another script).
 */
export function comparableName(raw: string): string | undefined {
  const name = raw.normalize('NFKC').trim().toLowerCase();
  return /^[\x21-\x7E]+$/.test(name) ? name : undefined;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,31}$/;

/**
 * The person named in an IAM principal ARN: an IAM user's name, an assumed
 * role's session name (IAM Identity Center sets it to the user's name; a
 * trust policy can require `sts:RoleSessionName` to be `${aws:username}`), a
 * federated user's name. A role without a session, the root user or a
 * service names nobody.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
 */
export function personOfPrincipalArn(arn: string): string | undefined {
  const match = /^arn:aws[a-z-]*:(iam|sts)::\d{12}:(.+)$/.exec(arn);
  const resource = match?.[2];
  if (resource === undefined) return undefined;
  const parts = resource.split('/');
  const [type] = parts;
  if (match?.[1] === 'iam' && type === 'user' && parts.length >= 2) return parts.at(-1);
  if (match?.[1] === 'sts' && type === 'assumed-role' && parts.length === 3) return parts[2];
  if (match?.[1] === 'sts' && type === 'federated-user' && parts.length === 2) return parts[1];
  return undefined;
}

/**
 * The person in a CodeBuild `initiator`: an IAM user's name, or `role/session`
 * for an assumed role. A pipeline (`codepipeline/…`), a webhook
 * (`GitHub-Hookshot/…` and the like) or a plugin started the build on behalf
 * of someone it does not name.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html#sample-build-notifications-ref
 */
function personOfInitiator(initiator: string): string | undefined {
  if (/^codepipeline\//i.test(initiator) || /hookshot|webhook|jenkins-plugin|^events\b/i.test(initiator)) return undefined;
  const parts = initiator.split('/');
  if (parts.length > 2) return undefined;
  return parts.at(-1);
}

/** The starter of a release as the policy compares it, or `undefined` when unknown (absent, a service, or not comparable). */
export function starterOf(startedBy: StartedBy | undefined): Starter | undefined {
  if (startedBy === undefined) return undefined;
  if (startedBy.kind === 'slack-user') return SLACK_USER_ID.test(startedBy.id) ? { kind: 'slack-user', id: startedBy.id } : undefined;
  const person = startedBy.kind === 'iam-principal' ? personOfPrincipalArn(startedBy.id) : personOfInitiator(startedBy.id);
  const name = person === undefined ? undefined : comparableName(person);
  return name === undefined ? undefined : { kind: 'name', name };
}

/** Every normalized name an identity string stands for: itself and, for an email, its local part. */
function namesOf(identity: string): string[] {
  const name = normalizeName(identity);
  if (name === '') return [];
  const at = name.lastIndexOf('@');
  return at > 0 ? [name, name.slice(0, at)] : [name];
}

/**
 * Whether the Slack user `userId`, going by `identities` (handle, display and
 * real name, email), is the starter. A Slack starter matches by user id only;
 * a named starter matches any of the user's names, or an email's local part,
 * both sides normalized. Generous on purpose: a false match only refuses.
 */
export function isStarter(starter: Starter, userId: string, identities: readonly string[]): boolean {
  if (starter.kind === 'slack-user') return starter.id === userId;
  const wanted = new Set(namesOf(starter.name));
  return identities.some((identity) => namesOf(identity).some((name) => wanted.has(name)));
}
