/**
 * Full promotion ("Promote now"): the release skips every remaining plan
 * step and goes straight to Finalize (100% on the new fleet, then the old
 * fleet retired after the termination wait). The one domain function every
 * entry point calls: the Slack message's "Promote now" button
 * (./endpoint.ts), the control API's `promote` with `full`
 * (functions/control/operations.ts) and so `rollgate promote --full`.
 *
 * It is a decision under the approval policy, never a way around it: the
 * decider must be allowed to approve every approval it passes — the pending
 * one and each approval step left in the plan, four-eyes included
 * (./policy.ts `authorizeFullPromotion`). A refusal is a
 * PromotionNotAllowedError and changes nothing. Allowed, the release is
 * marked (`promoteFull`, with the verified decider) and a PROMOTE_FULL event
 * recorded before the flow is resumed; the ShiftTraffic it resumes sees the mark
 * and returns `finalize`.
 */
import { approvalStepsAfter } from '../domain/plan.js';
import { PromotionNotAllowedError, ReleaseNotActiveError, ReleaseNotFoundError, TaskAlreadyClosedError } from '../errors.js';
import { PROMOTE_FULL_EVENT, type ReleaseRef } from '../domain/release.js';
import { decide, type DecideRequest, type DecisionDeps, type PublicApproval } from './decisions.js';
import { authorizeFullPromotion, deciderId, type Decider } from './policy.js';

/** Where to promote from: the approval a Slack message is about, or a release (the control API). */
export type PromotionSubject = { readonly approvalId: string; readonly release?: never } | { readonly release: ReleaseRef; readonly approvalId?: never };

/** A full promotion to make: what, by whom (verified), through which entry point, and why (for the audit log). */
export type PromoteFullyRequest = PromotionSubject & {
  readonly via: DecideRequest['via'];
  readonly reason?: string;
} & Decider;

/** What a full promotion did: the approval it approved (none when it cut a bake short) and whether the flow was resumed. */
export interface FullPromotion {
  readonly full: true;
  readonly approval?: PublicApproval;
  readonly resumed: boolean;
}

/**
 * Promotes a release fully. Waiting for an approval: the approval is decided
 * APPROVED through `decide` (recorded once, then delivered) with the release
 * marked in between. Baking a traffic step (only through the control API,
 * which has no approval to click): the release is marked and the bake's task
 * is resumed early, so ShiftTraffic checks the alarms once more, then hands over
 * to Finalize.
 *
 * @throws PromotionNotAllowedError the decider may not approve one of the approvals it would pass (nothing changed)
 * @throws ReleaseNotActiveError the release neither bakes nor waits for an approval (nothing changed)
 * @throws ReleaseNotFoundError / ApprovalNotFoundError
 * @throws AlreadyDecidedError / ApprovalExpiredError / ApprovalNoLongerWaitingError as `decide` does
 */
export async function promoteFully(deps: DecisionDeps, request: PromoteFullyRequest): Promise<FullPromotion> {
  const decider: Decider = request.principalArn === undefined ? { userId: request.userId } : { principalArn: request.principalArn };
  const viaApproval = async (approvalId: string): Promise<FullPromotion> => {
    const approval = await decide(deps, {
      approvalId,
      outcome: 'APPROVED',
      action: 'promote-full',
      via: request.via,
      ...decider,
      ...(request.reason === undefined ? {} : { comment: request.reason }),
    });
    return { full: true, approval, resumed: approval.deliveredAt !== undefined };
  };
  if (request.approvalId !== undefined) return viaApproval(request.approvalId);

  const ref = request.release;
  const release = await deps.ledger.getRelease(ref);
  if (release === undefined) throw new ReleaseNotFoundError(ref.releaseId);
  const wait = release.waiting;
  if (release.status === 'AWAITING_APPROVAL' && wait?.approvalId !== undefined) return viaApproval(wait.approvalId);
  if (release.status !== 'SHIFTING' || wait?.kind !== 'BAKE') {
    throw new ReleaseNotActiveError(release.releaseId, `${release.status}, neither baking nor waiting for an approval: nothing to promote`);
  }

  const by = deciderId(request);
  const plan = release.plan;
  if (plan === undefined) throw new PromotionNotAllowedError(by, release.releaseId, undefined, 'the release records no plan, so what it would skip is unknown');
  const ahead = approvalStepsAfter(plan, wait.stepIndex);
  await authorizeFullPromotion(deps.directory, {
    releaseId: release.releaseId,
    passes: ahead.map(({ index, step }) => ({ stepIndex: index, approval: { approvalId: `${release.releaseId}/step-${String(index)}`, approvers: step.approvers } })),
    ...decider,
    startedBy: release.trigger.startedBy,
    fourEyes: deps.fourEyes(release),
  });
  await deps.ledger.markPromoteFull({ ...ref, promoteFull: { by, via: request.via, stepIndex: wait.stepIndex } });
  const skipped = plan.steps.length - wait.stepIndex - 1;
  await deps.ledger.appendEvent({
    releaseId: release.releaseId,
    eventId: `promote-full:bake-${String(wait.stepIndex)}`,
    type: PROMOTE_FULL_EVENT,
    actor: by,
    message: `promote now by ${by} (via ${request.via}): the rest of the bake of step ${String(wait.stepIndex)} and the ${String(skipped)} remaining step(s) skipped${request.reason === undefined ? '' : `: ${request.reason}`}`,
    data: { stepIndex: wait.stepIndex, skipped, via: request.via, approvalsPassed: ahead.map((a) => a.index) },
  });
  try {
    await deps.callbacks.success(wait.taskToken, { promoteNow: true, full: true, by });
    return { full: true, resumed: true };
  } catch (error) {
    // The bake ended meanwhile: the mark stands, and the next ShiftTraffic that reads it hands over to Finalize.
    if (error instanceof TaskAlreadyClosedError) return { full: true, resumed: false };
    throw error;
  }
}
