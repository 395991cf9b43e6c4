/**
 * Deciding an approval, whoever asks (a Slack button or the browser page):
 * the approver must be allowed, four-eyes holds, the approval must still
 * matter; the decision lands once in the ledger, then the flow's task token is
 * resumed (SendTaskSuccess / SendTaskFailure). A token already closed marks
 * the approval expired. Then the Slack message is updated to show the outcome
 * without buttons; the sweeper (below) does it for approvals that time out or
 * whose release stopped waiting, and retries updates that failed.
 */
import {
  AlreadyDecidedError,
  ApprovalExpiredError,
  ApprovalNoLongerWaitingError,
  ApprovalNotFoundError,
  ApprovalRejectedError,
  TaskAlreadyClosedError,
} from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Approval, Release } from '../ledger/records.js';
import type { Callbacks } from '../ports.js';
import type { SlackApi } from '../adapters/slack/web-api.js';
import { closedMessage, factsOf, stateOf } from './message.js';
import { authorize, type ApproverDirectory } from './policy.js';

/** Whether four-eyes holds for an approval of this service+environment. */
export type FourEyesPolicy = (approval: Pick<Approval, 'service' | 'environment'>) => boolean;

/** A structured log line; never carries a token or a secret. */
export interface ApprovalLogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly approvalId?: string;
  readonly userId?: string;
  readonly outcome?: string;
  readonly error?: string;
}
export type ApprovalLog = (entry: ApprovalLogEntry) => void;

/** What deciding needs. */
export interface DecisionDeps {
  readonly ledger: Ledger;
  readonly callbacks: Callbacks;
  readonly slack: SlackApi;
  readonly directory: ApproverDirectory;
  readonly now: () => Date;
  /** Whether the release's author is refused approving it, per approval (by its service+environment). */
  readonly fourEyes: FourEyesPolicy;
  readonly log: ApprovalLog;
}

/** An approval as it may be shown: everything but the task token. */
export type PublicApproval = Omit<Approval, 'taskToken'>;

export function publicApproval(approval: Approval): PublicApproval {
  return Object.fromEntries(Object.entries(approval).filter(([key]) => key !== 'taskToken')) as PublicApproval;
}

export interface DecideRequest {
  readonly approvalId: string;
  readonly outcome: 'APPROVED' | 'REJECTED';
  /** The Slack user id deciding, as Slack (signed request) or the personal link (signed token) says. */
  readonly userId: string;
  /** `slack` or `browser`: recorded with the decision. */
  readonly via: 'slack' | 'browser';
  readonly comment?: string;
}

/** An approval, its release, and whether the release still waits on it. */
export interface ApprovalContext {
  readonly approval: Approval;
  readonly release: Release | undefined;
}

export async function loadApproval(ledger: Ledger, approvalId: string): Promise<ApprovalContext> {
  const approval = await ledger.getApproval(approvalId);
  if (approval === undefined) throw new ApprovalNotFoundError(approvalId);
  const release = await ledger.getRelease(approval);
  return { approval, release };
}

/** Why an open approval no longer decides anything, or `undefined` while it does. */
export function whyClosed(context: ApprovalContext, now: Date): string | undefined {
  const { approval, release } = context;
  if (Date.parse(approval.expiresAt) <= now.getTime()) return `timed out at ${approval.expiresAt} without a decision`;
  if (release === undefined) return 'the release is gone from the ledger';
  if (release.status !== 'AWAITING_APPROVAL' || release.waiting?.approvalId !== approval.approvalId) {
    return `the release no longer waits for it (${release.status}${release.statusReason === undefined ? '' : `: ${release.statusReason}`})`;
  }
  return undefined;
}

/**
 * Decides an approval for `request.userId`.
 *
 * @returns the decided approval (no token).
 * @throws ApprovalNotFoundError
 * @throws NotAnApproverError / SelfApprovalError (nothing changes)
 * @throws AlreadyDecidedError (nothing changes)
 * @throws ApprovalExpiredError / ApprovalNoLongerWaitingError (the approval is marked expired, the message updated)
 * @throws SlackApiError the approver directory could not answer (nothing changes)
 */
export async function decide(deps: DecisionDeps, request: DecideRequest): Promise<PublicApproval> {
  const context = await loadApproval(deps.ledger, request.approvalId);
  const { approval, release } = context;
  await authorize(deps.directory, {
    approval,
    userId: request.userId,
    outcome: request.outcome,
    author: release?.trigger.author,
    fourEyes: deps.fourEyes(approval),
  });
  if (approval.decision !== undefined) throw new AlreadyDecidedError(approval.approvalId, approval.decision);
  if (approval.expired !== undefined) throw new ApprovalNoLongerWaitingError(approval.approvalId, approval.expired.reason);
  const closed = whyClosed(context, deps.now());
  if (closed !== undefined) {
    await expire(deps, approval.approvalId, closed);
    throw Date.parse(approval.expiresAt) <= deps.now().getTime()
      ? new ApprovalExpiredError(approval.approvalId, approval.expiresAt)
      : new ApprovalNoLongerWaitingError(approval.approvalId, closed);
  }

  // Decided once: a concurrent click loses here with AlreadyDecidedError.
  const decided = await deps.ledger.decideApproval({
    approvalId: approval.approvalId,
    outcome: request.outcome,
    by: request.userId,
    via: request.via,
    ...(request.comment === undefined ? {} : { comment: request.comment }),
  });
  try {
    if (request.outcome === 'APPROVED') {
      await deps.callbacks.success(decided.taskToken, { decision: 'APPROVED', by: request.userId });
    } else {
      await deps.callbacks.failure(
        decided.taskToken,
        new ApprovalRejectedError('').name,
        `rejected by ${request.userId}${request.comment === undefined ? '' : `: ${request.comment}`}`,
      );
    }
  } catch (error) {
    if (!(error instanceof TaskAlreadyClosedError)) throw error;
    const reason = 'the flow stopped waiting (task timed out or closed) before the decision arrived';
    await expire(deps, approval.approvalId, reason);
    throw new ApprovalNoLongerWaitingError(approval.approvalId, reason);
  }
  deps.log({ level: 'info', message: 'approval decided', approvalId: approval.approvalId, userId: request.userId, outcome: request.outcome });
  return publicApproval(decided);
}

/** Marks the approval expired and shows it on its message (best effort). */
async function expire(deps: DecisionDeps, approvalId: string, reason: string): Promise<void> {
  await deps.ledger.markApprovalExpired({ approvalId, reason });
  deps.log({ level: 'info', message: 'approval expired', approvalId });
  await refreshMessage(deps, approvalId);
}

/**
 * Shows a finished approval's outcome on its Slack message (no buttons) and
 * takes it off the open list. Never throws: a failed update stays on the open
 * list and the sweeper tries again.
 */
export async function refreshMessage(deps: Pick<DecisionDeps, 'ledger' | 'slack' | 'log'>, approvalId: string): Promise<boolean> {
  try {
    const { approval, release } = await loadApproval(deps.ledger, approvalId);
    const state = stateOf(approval);
    if (approval.slackMessage === undefined || state.kind === 'open') return false;
    const message = closedMessage(factsOf(approval, release), state);
    await deps.slack.updateMessage({ channel: approval.slackMessage.channel, ts: approval.slackMessage.ts, ...message });
    await deps.ledger.closeApprovalMessage(approval);
    return true;
  } catch (error) {
    deps.log({ level: 'warn', message: 'approval message not updated; the sweeper retries', approvalId, error: errorName(error) });
    return false;
  }
}

/** What one sweep did. */
export interface SweepResult {
  readonly expired: string[];
  readonly updated: string[];
}

/**
 * Goes over the approvals whose Slack message still has buttons: marks those
 * that timed out or whose release stopped waiting as expired, and updates the
 * message of every finished one. Run on a schedule (EventBridge, every
 * minute) in AWS and on an interval by the local approval server.
 */
export async function sweepApprovalMessages(deps: Omit<DecisionDeps, 'callbacks' | 'directory' | 'fourEyes'>): Promise<SweepResult> {
  const result: SweepResult = { expired: [], updated: [] };
  for (const open of await deps.ledger.listOpenApprovalMessages()) {
    try {
      const context = await loadApproval(deps.ledger, open.approvalId);
      if (stateOf(context.approval).kind === 'open') {
        const closed = whyClosed(context, deps.now());
        if (closed === undefined) continue;
        await deps.ledger.markApprovalExpired({ approvalId: open.approvalId, reason: closed });
        result.expired.push(open.approvalId);
      }
      if (await refreshMessage(deps, open.approvalId)) result.updated.push(open.approvalId);
    } catch (error) {
      if (error instanceof ApprovalNotFoundError) {
        await deps.ledger.closeApprovalMessage(open);
        continue;
      }
      deps.log({ level: 'error', message: 'sweeping an approval failed', approvalId: open.approvalId, error: errorName(error) });
    }
  }
  return result;
}

/** An error's name and message for a log line (rollgate's errors carry no tokens). */
export function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}
