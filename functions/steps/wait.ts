/**
 * The two callback tasks. Each registers its task token in the ledger and
 * returns; the flow then waits on the token. A bake's timeout means baked
 * clean; an alarm or an abort fails the token, "promote now" resumes it. An
 * approval's token is resumed by the approval decision; an approval request
 * that cannot be posted (Slack down) is recorded and the release keeps waiting.
 *
 * Registering and then re-reading the status closes the race with the alarm
 * handler: whichever of the two writes second sees the other's write.
 */
import * as z from 'zod';
import { approverNames } from '../domain/plan.js';
import { RollbackRequestedError } from '../errors.js';
import type { Approval } from '../domain/approval.js';
import type { Release } from '../domain/release.js';
import { assertStatus, CursorSchema, defineStep, refOf, ReleaseContextSchema, requireRelease, statuses, type StepDeps } from './step.js';

const CallbackInput = z.object({ release: ReleaseContextSchema, cursor: CursorSchema, taskToken: z.string().min(1) });

function timeoutAt(now: Date, seconds: number | undefined): string {
  return new Date(now.getTime() + (seconds ?? 0) * 1000).toISOString();
}

export const bake = defineStep({
  name: 'bake',
  needs: [],
  input: CallbackInput,
  async run(deps, { release, cursor, taskToken }): Promise<{ waiting: true }> {
    const ref = refOf(release);
    await assertStatus(deps, ref, statuses('SHIFTING'));
    await deps.ledger.recordWait({
      ...ref,
      wait: { kind: 'BAKE', taskToken, stepIndex: cursor.stepIndex ?? 0, timeoutAt: timeoutAt(deps.now(), cursor.waitSeconds) },
    });
    const after = await requireRelease(deps, ref);
    if (after.status === 'ROLLING_BACK') throw new RollbackRequestedError(after.statusReason ?? 'rollback requested');
    return { waiting: true };
  },
});

/**
 * The approval an earlier attempt of this step opened, if it can still decide
 * this one. A retry for the same token (Lambda's own retry) finds it as it is;
 * a retry by the state machine's Retry comes with a new token, since Step
 * Functions gives every attempt of a callback task its own token and the
 * failed attempt's dies with it: the approval — its id, Slack message and
 * deadline — then carries on with the new token, unless it was decided or
 * expired in between (the decision went to the dead token and changed
 * nothing), when a new approval is opened.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 */
async function reusableApproval(
  deps: Pick<StepDeps, 'ledger'>,
  waiting: Release['waiting'],
  stepIndex: number,
  taskToken: string,
): Promise<Approval | undefined> {
  if (waiting?.kind !== 'APPROVAL' || waiting.stepIndex !== stepIndex || waiting.approvalId === undefined) return undefined;
  const earlier = await deps.ledger.getApproval(waiting.approvalId);
  if (earlier === undefined || earlier.taskToken === taskToken) return earlier;
  return deps.ledger.replaceApprovalToken({ approvalId: earlier.approvalId, previousTaskToken: earlier.taskToken, taskToken });
}

export const approval = defineStep({
  name: 'approval',
  needs: ['notifier'],
  input: CallbackInput,
  async run(deps, { release, cursor, taskToken }): Promise<{ approvalId: string }> {
    const ref = refOf(release);
    const current = await assertStatus(deps, ref, statuses('AWAITING_APPROVAL'));
    const stepIndex = cursor.stepIndex ?? 0;
    const step = release.plan.steps[stepIndex];
    if (step?.type !== 'approval') throw new RollbackRequestedError(`plan step ${String(stepIndex)} is not an approval`);
    // A retried invocation reuses the approval of the earlier attempt instead of creating a second one,
    // and goes through the rest again: each write is idempotent, and the notification may not have gone out.
    const earlier = await reusableApproval(deps, current.waiting, stepIndex, taskToken);
    const created =
      earlier ??
      (await deps.ledger.createApproval({
        ...ref,
        stepIndex,
        taskToken,
        approvers: step.approvers,
        timeoutSeconds: step.timeoutSeconds,
      }));
    await deps.ledger.recordWait({
      ...ref,
      wait: { kind: 'APPROVAL', taskToken, stepIndex, timeoutAt: created.expiresAt, approvalId: created.approvalId },
    });
    const after = await requireRelease(deps, ref);
    if (after.status === 'ROLLING_BACK') throw new RollbackRequestedError(after.statusReason ?? 'rollback requested');
    await deps.ledger.appendEvent({
      releaseId: release.releaseId,
      eventId: `approval-requested:${created.approvalId}`,
      type: 'APPROVAL_REQUESTED',
      message: `step ${String(stepIndex)} waits for ${approverNames(step)} until ${created.expiresAt}`,
      data: { approvalId: created.approvalId, stepIndex },
    });
    try {
      await deps.notifier.requestApproval({
        approvalId: created.approvalId,
        service: release.service,
        environment: release.environment,
        version: release.version,
        previousVersion: release.previousVersion,
        commit: release.commit,
        author: release.author,
        stepIndex,
        weights: current.weights,
        expiresAt: created.expiresAt,
      });
    } catch (error) {
      // Slack down is no reason to roll back: the approval is registered and
      // can be decided without its message (the personal link, the CLI); the
      // approval sweeper posts the request once Slack answers again.
      const why = error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: `approval-not-posted:${created.approvalId}`,
        type: 'APPROVAL_NOT_POSTED',
        message: `the approval request of step ${String(stepIndex)} could not be posted (${why}); the release keeps waiting until ${created.expiresAt}, and the sweeper posts it again`,
        data: { approvalId: created.approvalId, stepIndex, error: why.slice(0, 512) },
      });
    }
    return { approvalId: created.approvalId };
  },
});
