/**
 * Deciding an approval, whoever asks (a Slack button or the browser page):
 * the approver must be allowed, four-eyes holds, the approval must still
 * matter; the decision lands once in the ledger, then the flow's task token is
 * resumed (SendTaskSuccess / SendTaskFailure) and the approval records that
 * the decision arrived. A send that fails leaves the decision undelivered: the
 * same outcome clicked again, or the sweeper, sends it again. A token already
 * closed marks the approval expired, its decision undelivered. Then the Slack message is updated to show the outcome
 * without buttons; the sweeper (below) does it for approvals that time out or
 * whose release stopped waiting, and retries updates that failed.
 */
import {
  AlreadyDecidedError,
  ApprovalExpiredError,
  ApprovalNoLongerWaitingError,
  ApprovalNotFoundError,
  ApprovalRejectedError,
  errorName,
  InvalidInputError,
  PromotionNotAllowedError,
  ReleaseAbortedError,
  ReleaseNotActiveError,
  TaskAlreadyClosedError,
} from '../errors.js';
import { approvalStepsAfter } from '../domain/plan.js';
import { BEFORE_PROMOTION } from '../domain/status.js';
import { PROMOTE_FULL_EVENT, type Release, type ReleaseRef } from '../domain/release.js';
import type { Approval } from '../domain/approval.js';
import { abortBeforePromotion } from '../steps/control.js';
import type { Callbacks, Ledger, Notifier } from '../ports.js';
import type { SlackApi } from '../adapters/slack/web-api.js';
import { approvalRequestOf, closedMessage, factsOf, openMessage, stateOf } from './message.js';
import { authorize, authorizeFullPromotion, deciderId, type ApproverDirectory, type Decider, type PassedApproval } from './policy.js';

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

/**
 * A decision to take. The decider is a Slack user (`userId`, as Slack's signed
 * request or the personal link's signed token says) or an IAM principal
 * (`principalArn`, as the control API's AWS_IAM authorization or the local
 * SigV4 check says); it is checked by the same policy and recorded as `by`.
 */
export type DecideRequest = {
  readonly approvalId: string;
  readonly outcome: 'APPROVED' | 'REJECTED';
  /** Where the decision came from, recorded with it: `slack`, `browser`, `api` (control API), `local` (the local runtime). */
  readonly via: 'slack' | 'browser' | 'api' | 'local';
  readonly comment?: string;
  /**
   * What the decision does beyond the approval, for the buttons that say so:
   * `promote-full` ("Promote now", with `APPROVED`) approves and skips every
   * remaining plan step, allowed only to a decider who may approve each
   * approval it passes ({@link authorizeFullPromotion}); `abort` ("Abort",
   * with `REJECTED`) aborts the release (functions/steps/control.ts
   * `abortBeforePromotion`), allowed to whoever may reject.
   * @default neither: the approval alone
   */
  readonly action?: DecisionAction;
} & Decider;

/** What a decision may do beyond the approval (see {@link DecideRequest.action}). */
export type DecisionAction = 'promote-full' | 'abort';

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

/** Why a decision is marked undelivered: its task token no longer waited when it was sent. */
export const UNDELIVERED_REASON = 'the flow stopped waiting (task timed out or closed) before the decision arrived';

/**
 * How long the sweeper leaves a recorded but undelivered decision to the
 * click that recorded it (which delivers it right after) before sending it
 * itself: well over the 3 s Slack gives a click, well under the sweep period.
 */
export const REDELIVER_AFTER_MS = 30_000;

/**
 * How long the sweeper leaves an approval's request to the Approval step
 * that created it before posting it itself (Slack did not take it): the
 * step's own attempt is long over by then, so the two never both post.
 */
export const REPOST_AFTER_MS = 30_000;

/** Whether an approval carries a decision the flow has not received and that may still be sent. */
export function isUndelivered(approval: Pick<Approval, 'decision' | 'deliveredAt' | 'expired'>): boolean {
  return approval.decision !== undefined && approval.deliveredAt === undefined && approval.expired === undefined;
}

/** What recording a decision needs. */
export interface RecordDecisionInput {
  readonly approvalId: string;
  readonly outcome: 'APPROVED' | 'REJECTED';
  readonly by: string;
  readonly via?: string;
  readonly comment?: string;
  /** What the decision does beyond approving or rejecting (Abort, Promote now). */
  readonly action?: DecisionAction;
  /** Distinct approvers an approval needs; fewer approvals so far are recorded as endorsements. @default 1 */
  readonly quorum?: number;
}

/**
 * Records a decision once. When the same outcome is already recorded but was
 * never delivered (an earlier send failed), returns that approval so it is
 * sent again: the first decision stands (its `by`, comment and time).
 *
 * @throws AlreadyDecidedError decided otherwise, or delivered already.
 */
export async function recordDecision(ledger: Ledger, input: RecordDecisionInput): Promise<Approval> {
  try {
    return await ledger.decideApproval(input);
  } catch (error) {
    if (error instanceof AlreadyDecidedError) {
      const current = await ledger.getApproval(input.approvalId);
      if (current !== undefined && isUndelivered(current) && current.decision?.outcome === input.outcome) return current;
    }
    throw error;
  }
}

/** What became of sending a recorded decision to the flow. */
export type Delivery = { readonly delivered: true; readonly approval: Approval } | { readonly delivered: false; readonly approval: Approval };

/**
 * Sends an approval's recorded decision to its task token (SendTaskSuccess for
 * an approval, SendTaskFailure for a rejection) and records that it arrived.
 * A dead token (TaskTimedOut, TaskDoesNotExist: {@link TaskAlreadyClosedError})
 * marks the approval expired with its decision undelivered — unless another
 * attempt delivered it meanwhile — so the ledger never claims a decision the
 * flow did not take. Any other failure is thrown and the decision stays
 * undelivered: a re-click of the same outcome, or the sweeper, sends it again.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html#API_SendTaskSuccess_Errors
 */
export async function deliverDecision(deps: Pick<DecisionDeps, 'ledger' | 'callbacks'>, approval: Approval): Promise<Delivery> {
  const decision = approval.decision;
  if (decision === undefined) throw new InvalidInputError('deliverDecision', 'decision', `approval ${approval.approvalId} has no decision to deliver`);
  try {
    if (decision.outcome === 'APPROVED') {
      await deps.callbacks.success(approval.taskToken, { decision: 'APPROVED', by: decision.by });
    } else {
      await deps.callbacks.failure(
        approval.taskToken,
        new ApprovalRejectedError('').name,
        `rejected by ${decision.by}${decision.comment === undefined ? '' : `: ${decision.comment}`}`,
      );
    }
  } catch (error) {
    if (!(error instanceof TaskAlreadyClosedError)) throw error;
    const current = (await deps.ledger.getApproval(approval.approvalId)) ?? approval;
    if (current.deliveredAt !== undefined) return { delivered: true, approval: current };
    return { delivered: false, approval: await deps.ledger.markApprovalExpired({ approvalId: approval.approvalId, reason: UNDELIVERED_REASON }) };
  }
  return { delivered: true, approval: await deps.ledger.markApprovalDelivered(approval.approvalId) };
}

/**
 * Decides an approval for the request's decider (Slack user or IAM principal), for every entry point:
 * Slack, the browser page, the control API and the local runtime. Clicking the outcome already
 * recorded but not yet delivered sends it again instead of refusing. When the
 * policy wants more distinct approvers than have approved, the approval is
 * recorded as an endorsement and nothing is sent.
 *
 * @returns the approval (no token): decided, or without a decision when it was an endorsement.
 * @throws ApprovalNotFoundError
 * @throws NotAnApproverError / SelfApprovalError (nothing changes)
 * @throws PromotionNotAllowedError `promote-full` by someone who may not approve every approval it passes (nothing changes)
 * @throws AlreadyDecidedError (nothing changes)
 * @throws AlreadyEndorsedError this user already approved, another must (nothing changes)
 * @throws ApprovalExpiredError / ApprovalNoLongerWaitingError (the approval is marked expired, the message updated)
 * @throws SlackApiError the approver directory could not answer (nothing changes)
 */
export async function decide(deps: DecisionDeps, request: DecideRequest): Promise<PublicApproval> {
  const action = request.action;
  if (action !== undefined && request.outcome !== (action === 'promote-full' ? 'APPROVED' : 'REJECTED')) {
    throw new InvalidInputError('decide', 'outcome', `${action} goes with ${action === 'promote-full' ? 'APPROVED' : 'REJECTED'}`);
  }
  const context = await loadApproval(deps.ledger, request.approvalId);
  const { approval, release } = context;
  const by = deciderId(request);
  const decider: Decider = request.principalArn === undefined ? { userId: by } : { principalArn: request.principalArn };
  if (action === 'promote-full' && release !== undefined) {
    await authorizeFullPromotion(deps.directory, {
      releaseId: release.releaseId,
      passes: passedApprovals(approval, release, by),
      ...decider,
      startedBy: release.trigger.startedBy,
      fourEyes: deps.fourEyes(approval),
    });
  }
  const { approversRequired } = await authorize(deps.directory, {
    approval,
    ...decider,
    outcome: request.outcome,
    startedBy: release?.trigger.startedBy,
    fourEyes: deps.fourEyes(approval),
  });
  if (approval.expired !== undefined) throw new ApprovalNoLongerWaitingError(approval.approvalId, approval.expired.reason);
  let recorded: Approval;
  if (approval.decision !== undefined) {
    if (!isUndelivered(approval) || approval.decision.outcome !== request.outcome) throw new AlreadyDecidedError(approval.approvalId, approval.decision);
    recorded = approval; // recorded earlier, its delivery failed: send it again
  } else {
    const closed = whyClosed(context, deps.now());
    if (closed !== undefined) {
      await expire(deps, approval.approvalId, closed);
      throw Date.parse(approval.expiresAt) <= deps.now().getTime()
        ? new ApprovalExpiredError(approval.approvalId, approval.expiresAt)
        : new ApprovalNoLongerWaitingError(approval.approvalId, closed);
    }
    // Decided once: a concurrent click of the other outcome loses here with AlreadyDecidedError.
    recorded = await recordDecision(deps.ledger, {
      approvalId: approval.approvalId,
      outcome: request.outcome,
      by,
      via: request.via,
      quorum: approversRequired,
      ...(action === undefined ? {} : { action }),
      ...commentOf(request, by),
    });
    if (recorded.decision === undefined) {
      deps.log({ level: 'info', message: 'approval endorsed; it needs another approver', approvalId: approval.approvalId, userId: by });
      await showEndorsements(deps, recorded, release);
      return publicApproval(recorded);
    }
  }
  const delivery = action === 'abort' ? await deliverAbort(deps, recorded, release) : await deliverDecision(deps, await withPromoteFull(deps, recorded, release, request));
  if (!delivery.delivered) {
    deps.log({ level: 'info', message: 'approval decided after its task closed', approvalId: approval.approvalId, userId: by });
    await refreshMessage(deps, approval.approvalId);
    throw new ApprovalNoLongerWaitingError(approval.approvalId, UNDELIVERED_REASON);
  }
  deps.log({ level: 'info', message: 'approval decided', approvalId: approval.approvalId, userId: by, outcome: request.outcome });
  return publicApproval(delivery.approval);
}

/**
 * The approvals "Promote now" passes: the pending one, then every approval
 * step left in the plan after it. A release that records no plan is
 * refused: nobody can tell what it would skip.
 */
function passedApprovals(approval: Approval, release: Release, by: string): PassedApproval[] {
  const plan = release.plan;
  if (plan === undefined) throw new PromotionNotAllowedError(by, release.releaseId, undefined, 'the release records no plan, so what it would skip is unknown');
  return [
    { stepIndex: approval.stepIndex, approval },
    ...approvalStepsAfter(plan, approval.stepIndex).map(({ index, step }) => ({
      stepIndex: index,
      approval: { approvalId: `${release.releaseId}/step-${String(index)}`, approvers: step.approvers },
    })),
  ];
}

/**
 * For "Promote now": once the approval is recorded, and before the flow is
 * resumed, marks the release for full promotion and records who asked, so
 * the ShiftTraffic the approval resumes hands over to Finalize. A release that
 * has moved on meanwhile (an alarm rolled it back) is not marked: delivering
 * the approval then finds its task closed. A mark that fails leaves the
 * approval undelivered; clicking Promote now again marks and sends it.
 */
async function withPromoteFull(deps: DecisionDeps, recorded: Approval, release: Release | undefined, request: DecideRequest): Promise<Approval> {
  if (request.action !== 'promote-full' || release === undefined || recorded.decision === undefined) return recorded;
  // Who asked for the full promotion, as verified for this request (the policy checked them).
  const by = deciderId(request);
  try {
    await deps.ledger.markPromoteFull({ ...refOfRelease(release), promoteFull: { by, via: request.via, stepIndex: recorded.stepIndex } });
  } catch (error) {
    if (error instanceof ReleaseNotActiveError) return recorded;
    throw error;
  }
  const stepCount = release.plan?.steps.length ?? recorded.stepIndex + 1;
  const skipped = stepCount - recorded.stepIndex - 1;
  await deps.ledger.appendEvent({
    releaseId: release.releaseId,
    eventId: `promote-full:${recorded.approvalId}`,
    type: PROMOTE_FULL_EVENT,
    actor: by,
    message: `promote now by ${by} (via ${request.via}): approval at step ${String(recorded.stepIndex)} approved, the ${String(skipped)} remaining step(s) skipped`,
    data: { stepIndex: recorded.stepIndex, skipped, via: request.via, approvalId: recorded.approvalId },
  });
  return recorded;
}

/**
 * For "Abort": the rejection is recorded (once), then the release is aborted
 * through the one abort (functions/steps/control.ts), which fails the
 * approval's task token with ReleaseAbortedError; the approval records that
 * its decision arrived. A release already marked ROLLING_BACK whose flow
 * still waits on this approval (an earlier click's send failed) has its task
 * failed now; one whose flow no longer waits here (an alarm got there first,
 * or the token closed) leaves the decision undelivered and the approval
 * expired, as any decision that came too late.
 */
async function deliverAbort(deps: Pick<DecisionDeps, 'ledger' | 'callbacks'>, recorded: Approval, release: Release | undefined): Promise<Delivery> {
  const decision = recorded.decision;
  if (decision === undefined) throw new InvalidInputError('deliverAbort', 'decision', `approval ${recorded.approvalId} has no decision to deliver`);
  const reason = decision.comment ?? `aborted by ${decision.by}`;
  const current = release === undefined ? undefined : await deps.ledger.getRelease(release);
  const wait = current?.waiting?.approvalId === recorded.approvalId ? current.waiting : undefined;
  let resumed = false;
  if (current !== undefined && wait !== undefined && BEFORE_PROMOTION.has(current.status)) {
    resumed = (await abortBeforePromotion(deps, current, decision.by, reason)).resumed;
  } else if (current?.status === 'ROLLING_BACK' && wait !== undefined) {
    // Marked by an earlier click (or an alarm) whose send failed: the flow still waits here, so stop it now.
    resumed = await failTask(deps, wait.taskToken, reason);
  }
  if (resumed) return { delivered: true, approval: await deps.ledger.markApprovalDelivered(recorded.approvalId) };
  const after = (await deps.ledger.getApproval(recorded.approvalId)) ?? recorded;
  if (after.deliveredAt !== undefined) return { delivered: true, approval: after };
  return { delivered: false, approval: await deps.ledger.markApprovalExpired({ approvalId: recorded.approvalId, reason: UNDELIVERED_REASON }) };
}

/** The comment recorded with a decision: an abort says who aborted (`aborted by <actor>`), then the decider's words. */
function commentOf(request: DecideRequest, by: string): { comment?: string } {
  if (request.action === 'abort') return { comment: `aborted by ${by}${request.comment === undefined ? '' : `: ${request.comment}`}` };
  return request.comment === undefined ? {} : { comment: request.comment };
}

/** Fails a waiting task with ReleaseAbortedError; false when its token no longer waits. */
async function failTask(deps: Pick<DecisionDeps, 'callbacks'>, taskToken: string, reason: string): Promise<boolean> {
  try {
    await deps.callbacks.failure(taskToken, new ReleaseAbortedError('').name, reason);
    return true;
  } catch (error) {
    if (error instanceof TaskAlreadyClosedError) return false;
    throw error;
  }
}

function refOfRelease(release: Release): ReleaseRef {
  return { service: release.service, environment: release.environment, releaseId: release.releaseId };
}

/** Shows who approved so far on the still-open Slack message (best effort: the decision does not depend on it). */
async function showEndorsements(deps: DecisionDeps, approval: Approval, release: Release | undefined): Promise<void> {
  if (approval.slackMessage === undefined) return;
  try {
    const message = openMessage(factsOf(approval, release, undefined, deps.fourEyes(approval)));
    await deps.slack.updateMessage({ channel: approval.slackMessage.channel, ts: approval.slackMessage.ts, ...message });
  } catch (error) {
    deps.log({ level: 'warn', message: 'approval message not updated with the approvals so far', approvalId: approval.approvalId, error: errorName(error) });
  }
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
    // An undelivered decision keeps its buttons: clicking the outcome again sends it.
    if (state.kind === 'open' || isUndelivered(approval)) return false;
    if (approval.slackMessage === undefined) {
      await deps.ledger.closeApprovalMessage(approval);
      return false;
    }
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
  /** Decisions recorded earlier whose delivery to the flow had failed, delivered now. */
  readonly delivered: string[];
  /** Approval requests that Slack had not taken when the Approval step asked (Slack down), posted now. */
  readonly posted: string[];
}

/** What the sweeper needs: no approver directory, no four-eyes (it decides nothing new); a notifier to post requests Slack never took. */
export type SweepDeps = Omit<DecisionDeps, 'directory' | 'fourEyes'> & { readonly notifier?: Notifier };


/**
 * Goes over the approvals the sweeper still has work on: delivers decisions
 * that were recorded but never reached the flow (older than
 * {@link REDELIVER_AFTER_MS}), posts requests Slack did not take when asked
 * (older than {@link REPOST_AFTER_MS}),
 * marks those that timed out or whose release stopped waiting as expired, and
 * updates the message of every finished one. A failure with one approval
 * (Slack still down) is logged and the next sweep tries again.
 * Run on a schedule (EventBridge, every minute) in AWS and on an interval by
 * the local approval server.
 */
export async function sweepApprovalMessages(deps: SweepDeps): Promise<SweepResult> {
  const result: SweepResult = { expired: [], updated: [], delivered: [], posted: [] };
  for (const open of await deps.ledger.listOpenApprovalMessages()) {
    try {
      const context = await loadApproval(deps.ledger, open.approvalId);
      const { approval } = context;
      if (isUndelivered(approval)) {
        if (deps.now().getTime() - Date.parse(approval.decision?.at ?? '') < REDELIVER_AFTER_MS) continue;
        // An Abort whose send failed is delivered as an abort (ABORTED), not as the plain rejection it is recorded with.
        const delivery = approval.decision?.action === 'abort' ? await deliverAbort(deps, approval, context.release) : await deliverDecision(deps, approval);
        (delivery.delivered ? result.delivered : result.expired).push(open.approvalId);
        deps.log({ level: 'info', message: delivery.delivered ? 'undelivered decision delivered' : 'undelivered decision found its task closed', approvalId: open.approvalId });
      } else if (stateOf(approval).kind === 'open') {
        const closed = whyClosed(context, deps.now());
        if (closed === undefined) {
          const young = deps.now().getTime() - Date.parse(approval.createdAt) < REPOST_AFTER_MS;
          if (approval.slackMessage === undefined && deps.notifier !== undefined && !young) {
            await deps.notifier.requestApproval(approvalRequestOf(approval, context.release));
            result.posted.push(open.approvalId);
            deps.log({ level: 'info', message: 'approval request posted by the sweeper', approvalId: open.approvalId });
          }
          continue;
        }
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
