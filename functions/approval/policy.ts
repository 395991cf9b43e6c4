/**
 * Who may decide an approval. The allow-list is the approval's: Slack user
 * ids and Slack user groups from the plan for deciders in Slack or the
 * browser page, IAM principals (exact ARNs or `…/*` prefixes, see
 * PrincipalPatternSchema) for callers of the control API. The two never
 * stand in for each other: a Slack user is checked against users and groups
 * only, an IAM caller against principals only. Group membership is asked of Slack
 * (usergroups.users.list) at decision time, so someone removed from the group
 * loses the right within the cache's lifetime (a minute by default); any
 * failure to ask fails closed. Four-eyes (on by default): whoever started the
 * release may reject it but never approve it; when nobody knows who started
 * it, an approval takes two distinct approvers.
 */
import { NotAnApproverError, PromotionNotAllowedError, SelfApprovalError } from '../errors.js';
import type { Approval } from '../domain/approval.js';
import type { SlackApi } from '../adapters/slack/web-api.js';
import { comparableName, isStarter, personOfPrincipalArn, starterOf, type StartedBy } from '../domain/identity.js';

/**
 * Who decides: a Slack user (a signed Slack request or personal link says
 * so), or an IAM principal (API Gateway's AWS_IAM authorizer, or the local
 * control server's SigV4 check, says so).
 */
export type Decider = { readonly userId: string; readonly principalArn?: never } | { readonly principalArn: string; readonly userId?: never };

/** The identity a decision is recorded under: the Slack user id or the principal ARN. */
export function deciderId(decider: Decider): string {
  return decider.principalArn ?? decider.userId;
}

/** Whether `arn` is allowed by `pattern`: equal, or, for a pattern ending in `*`, starting with what comes before it. */
export function principalMatches(pattern: string, arn: string): boolean {
  return pattern.endsWith('*') ? arn.startsWith(pattern.slice(0, -1)) : pattern === arn;
}

/** What the policy needs to know about Slack users and groups. */
export interface ApproverDirectory {
  /** The user ids in a user group. Throws when it cannot tell (the caller fails closed). */
  groupMembers(userGroupId: string): Promise<ReadonlySet<string>>;
  /** Every name a user goes by (id, handle, display and real name, email), for the four-eyes check. */
  identities(userId: string): Promise<readonly string[]>;
}

/** Promises kept for `ttlMs`; a rejected one is dropped so the next call asks again. */
class TtlCache<T> {
  private readonly entries = new Map<string, { at: number; value: Promise<T> }>();
  public constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  public get(key: string, load: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit !== undefined && this.now() - hit.at < this.ttlMs) return hit.value;
    const entry = { at: this.now(), value: load() };
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }
}

/** {@link ApproverDirectory} on the Slack Web API, cached per warm container. */
export class SlackApproverDirectory implements ApproverDirectory {
  private readonly groups: TtlCache<ReadonlySet<string>>;
  private readonly users: TtlCache<readonly string[]>;

  public constructor(
    private readonly slack: SlackApi,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.groups = new TtlCache(options.ttlMs ?? 60_000, options.now ?? Date.now);
    this.users = new TtlCache(options.ttlMs ?? 60_000, options.now ?? Date.now);
  }

  public groupMembers(userGroupId: string): Promise<ReadonlySet<string>> {
    return this.groups.get(userGroupId, async () => new Set(await this.slack.userGroupMembers(userGroupId)));
  }

  public identities(userId: string): Promise<readonly string[]> {
    return this.users.get(userId, async () => {
      const user = await this.slack.userInfo(userId);
      return [user.id, user.name, user.displayName, user.realName, user.email].filter((n): n is string => n !== undefined && n !== '');
    });
  }
}

/**
 * How many distinct approvers an approval needs when four-eyes holds and the
 * release's starter is unknown (no verified identity: an ECR push, a build
 * started by a pipeline or webhook, free text only): one approver could be the
 * author, two distinct ones cannot both be.
 */
export const UNKNOWN_STARTER_APPROVERS = 2;

/** What four-eyes asks of an approval of a release started by `startedBy`: how many distinct approvers. */
export function approversRequired(startedBy: StartedBy | undefined, fourEyes: boolean): number {
  return fourEyes && starterOf(startedBy) === undefined ? UNKNOWN_STARTER_APPROVERS : 1;
}

/**
 * Refuses a decider who may not take this decision, and says how many
 * distinct approvers the approval needs. Four-eyes compares the release's
 * verified starter with the decider:
 * - a Slack user: by Slack user id, or an IAM / CodeBuild starter's name with
 *   the user's Slack names, normalized;
 * - an IAM principal: the same ARN, or the person its ARN names (IAM user,
 *   assumed-role session, federated user) with a named starter's name, or
 *   with a Slack starter's Slack names. A caller whose ARN names no person
 *   (a role without a session, the root user) cannot be told apart from a
 *   known starter and is refused approving (fails closed).
 * The free-text author is never compared. With the starter unknown, nobody is
 * refused as the author, but an approval takes {@link UNKNOWN_STARTER_APPROVERS}
 * distinct approvers.
 *
 * @throws NotAnApproverError not in the approval's users or groups (Slack), or principals (IAM).
 * @throws SelfApprovalError approving a release they started (with four-eyes on).
 * @throws SlackApiError the directory could not answer: refused, try again.
 */
export async function authorize(
  directory: ApproverDirectory,
  input: {
    approval: Pick<Approval, 'approvalId' | 'approvers'>;
    outcome: 'APPROVED' | 'REJECTED' | 'VIEW';
    startedBy: StartedBy | undefined;
    fourEyes: boolean;
  } & Decider,
): Promise<{ approversRequired: number }> {
  const { approval } = input;
  const id = deciderId(input);
  const allowed = input.principalArn === undefined
    ? await isAllowedSlackUser(directory, approval, input.userId)
    : (approval.approvers.principals ?? []).some((pattern) => principalMatches(pattern, id));
  if (!allowed) throw new NotAnApproverError(id, approval.approvalId);
  const starter = starterOf(input.startedBy);
  if (input.fourEyes && input.outcome === 'APPROVED' && starter !== undefined) {
    if (await isSelf(directory, input, input.startedBy)) throw new SelfApprovalError(id, approval.approvalId);
  }
  return { approversRequired: approversRequired(input.startedBy, input.fourEyes) };
}

async function isAllowedSlackUser(directory: ApproverDirectory, approval: Pick<Approval, 'approvers'>, userId: string): Promise<boolean> {
  if (approval.approvers.users.includes(userId)) return true;
  for (const group of approval.approvers.groups) {
    if ((await directory.groupMembers(group)).has(userId)) return true;
  }
  return false;
}

/** Whether the decider is the release's (known) starter; generous on purpose: a false match only refuses. */
async function isSelf(directory: ApproverDirectory, decider: Decider, startedBy: StartedBy | undefined): Promise<boolean> {
  const starter = starterOf(startedBy);
  if (starter === undefined) return false;
  if (decider.principalArn === undefined) {
    return isStarter(starter, decider.userId, starter.kind === 'slack-user' ? [] : await directory.identities(decider.userId));
  }
  if (startedBy?.kind === 'iam-principal' && startedBy.id === decider.principalArn) return true;
  const person = personOfPrincipalArn(decider.principalArn);
  const name = person === undefined ? undefined : comparableName(person);
  if (name === undefined) return true;
  if (starter.kind === 'name') return isStarter(starter, decider.principalArn, [name]);
  // A Slack starter: the caller is refused when their IAM name is one of the starter's Slack names.
  return isStarter({ kind: 'name', name }, starter.id, await directory.identities(starter.id));
}

/** An approval a full promotion would pass: the pending one, or an approval step still ahead in the plan. */
export interface PassedApproval {
  /** Its plan step (0-based, as the ledger counts). */
  readonly stepIndex: number;
  readonly approval: Pick<Approval, 'approvalId' | 'approvers'>;
}

/**
 * Refuses a full promotion ("Promote now": approve, then skip every
 * remaining plan step) unless the decider may approve each approval it
 * passes — the pending one and every approval step left in the plan — by
 * {@link authorize} with four-eyes as the service sets it. With four-eyes on
 * and the starter unknown, each approval takes
 * {@link UNKNOWN_STARTER_APPROVERS} distinct approvers, which one click
 * cannot be: refused too. Reads only; changes nothing.
 *
 * @throws PromotionNotAllowedError naming the plan step and why (its `cause` is the policy's own refusal).
 * @throws SlackApiError the directory could not answer: refused, try again.
 */
export async function authorizeFullPromotion(
  directory: ApproverDirectory,
  input: {
    releaseId: string;
    passes: readonly PassedApproval[];
    startedBy: StartedBy | undefined;
    fourEyes: boolean;
  } & Decider,
): Promise<void> {
  const id = deciderId(input);
  const decider: Decider = input.principalArn === undefined ? { userId: input.userId } : { principalArn: input.principalArn };
  const first = input.passes[0];
  if (first !== undefined && approversRequired(input.startedBy, input.fourEyes) > 1) {
    throw new PromotionNotAllowedError(
      id,
      input.releaseId,
      first.stepIndex,
      `nobody knows who started this release, so four-eyes asks ${String(UNKNOWN_STARTER_APPROVERS)} different approvers: approve instead`,
    );
  }
  for (const pass of input.passes) {
    try {
      await authorize(directory, { approval: pass.approval, ...decider, outcome: 'APPROVED', startedBy: input.startedBy, fourEyes: input.fourEyes });
    } catch (error) {
      if (error instanceof NotAnApproverError) {
        throw new PromotionNotAllowedError(id, input.releaseId, pass.stepIndex, 'not one of the approvers of that approval step', { cause: error });
      }
      if (error instanceof SelfApprovalError) {
        throw new PromotionNotAllowedError(id, input.releaseId, pass.stepIndex, 'whoever started the release may not approve it (four-eyes)', { cause: error });
      }
      throw error;
    }
  }
}
