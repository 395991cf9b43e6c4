/**
 * Who may decide an approval. The allow-list is the approval's: Slack user
 * ids and Slack user groups from the plan. Group membership is asked of Slack
 * (usergroups.users.list) at decision time, so someone removed from the group
 * loses the right within the cache's lifetime (a minute by default); any
 * failure to ask fails closed. Four-eyes (on by default): the release's
 * author may reject their own release but never approve it.
 */
import { NotAnApproverError, SelfApprovalError } from '../errors.js';
import type { Approval } from '../ledger/records.js';
import type { SlackApi } from '../adapters/slack/web-api.js';

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

/** Lower-cased names an author string stands for: `Dana Diaz <dana@example.com>` → the name, the email and its local part. */
function authorNames(author: string): Set<string> {
  const names = new Set<string>();
  const add = (value: string | undefined) => {
    const v = value?.trim().toLowerCase();
    if (v !== undefined && v !== '') names.add(v);
  };
  const match = /^(.*?)<([^>]+)>\s*$/.exec(author);
  add(author);
  add(match?.[1]);
  const email = match?.[2] ?? (author.includes('@') ? author : undefined);
  add(email);
  add(email?.split('@')[0]);
  return names;
}

/** Whether a user going by `identities` is the author (generous on purpose: a false match only refuses an approval). */
export function isAuthor(author: string | undefined, identities: readonly string[]): boolean {
  if (author === undefined || author.trim() === '') return false;
  const names = authorNames(author);
  return identities.some((identity) => {
    const id = identity.trim().toLowerCase();
    return names.has(id) || (id.includes('@') && names.has(id.split('@')[0] ?? ''));
  });
}

/**
 * Refuses a user who may not take this decision.
 *
 * @throws NotAnApproverError not in the approval's users or groups.
 * @throws SelfApprovalError approving a release they authored (with four-eyes on).
 * @throws SlackApiError the directory could not answer: refused, try again.
 */
export async function authorize(
  directory: ApproverDirectory,
  input: {
    approval: Pick<Approval, 'approvalId' | 'approvers'>;
    userId: string;
    outcome: 'APPROVED' | 'REJECTED' | 'VIEW';
    author: string | undefined;
    fourEyes: boolean;
  },
): Promise<void> {
  const { approval, userId } = input;
  let allowed = approval.approvers.users.includes(userId);
  for (const group of approval.approvers.groups) {
    if (allowed) break;
    allowed = (await directory.groupMembers(group)).has(userId);
  }
  if (!allowed) throw new NotAnApproverError(userId, approval.approvalId);
  if (input.fourEyes && input.outcome === 'APPROVED' && input.author !== undefined) {
    if (isAuthor(input.author, await directory.identities(userId))) throw new SelfApprovalError(userId, approval.approvalId);
  }
}
