/**
 * Acting on a running release from outside the flow: promote now (skip the
 * rest of the current bake) and abort, the one domain function of each that
 * the control API, the local runtime and (abort) the Slack approval message
 * call. Full promotion (skip every remaining plan step) is decided under the
 * approval policy: functions/approval/promotion.ts `promoteFully`. Each resumes the flow's waiting
 * task token; the ledger makes sure a decision lands once. Approvals are
 * decided by functions/approval/decisions.ts `decide`, under the approval policy.
 */
import * as z from 'zod';
import { ReleaseAbortedError, ReleaseNotActiveError, TaskAlreadyClosedError } from '../errors.js';
import { ActorSchema, NameSchema, ReasonSchema, ReleaseIdSchema } from '../domain/fields.js';
import type { Release } from '../domain/release.js';
import { BEFORE_PROMOTION } from '../domain/status.js';
import { markRollingBack } from './rollback.js';
import { defineStep, requireRelease, type StepDeps } from './step.js';

/** Resumes a waiting task; a token that no longer waits (timed out, execution ended) is not an error here. */
async function resume(resumeWith: () => Promise<void>): Promise<boolean> {
  try {
    await resumeWith();
    return true;
  } catch (error) {
    if (error instanceof TaskAlreadyClosedError) return false;
    throw error;
  }
}

const ControlInput = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  releaseId: ReleaseIdSchema,
  by: ActorSchema,
  reason: ReasonSchema.optional(),
});

export const promoteNow = defineStep({
  name: 'promoteNow',
  needs: ['callbacks'],
  input: ControlInput,
  async run(deps, input): Promise<{ resumed: boolean }> {
    const release = await requireRelease(deps, input);
    const wait = release.waiting;
    if (release.status !== 'SHIFTING' || wait?.kind !== 'BAKE') throw new ReleaseNotActiveError(input.releaseId, `${release.status}, not baking`);
    await deps.ledger.appendEvent({
      releaseId: release.releaseId,
      type: 'PROMOTE_NOW',
      actor: input.by,
      message: `skip the rest of the bake of step ${String(wait.stepIndex)}${input.reason === undefined ? '' : `: ${input.reason}`}`,
    });
    return { resumed: await resume(() => deps.callbacks.success(wait.taskToken, { promoteNow: true, by: input.by })) };
  },
});

/**
 * Aborts a release before promotion: one conditional write to ROLLING_BACK
 * (cause `abort`) on the status read, then the flow's waiting task token is
 * failed with ReleaseAbortedError so its Rollback puts traffic back on the
 * stable fleet and removes the new one. The one abort of every entry point:
 * the control API and the local runtime (through {@link abortRelease}), and
 * "Abort" on a Slack approval message (functions/approval/decisions.ts).
 *
 * @returns whether a waiting task was resumed (false: nothing waited, or its token had closed).
 * @throws ReleaseNotActiveError already promoted or finished: nothing to abort (nothing changed)
 */
export async function abortBeforePromotion(
  deps: Pick<StepDeps, 'ledger' | 'callbacks'>,
  release: Release,
  by: string,
  reason: string,
): Promise<{ resumed: boolean }> {
  if (!BEFORE_PROMOTION.has(release.status)) {
    throw new ReleaseNotActiveError(release.releaseId, `${release.status}: already promoted or finished, nothing to abort`);
  }
  // The write is conditional on the status read: an abort that lost to Finalize is refused, never applied to FINALIZING.
  const marked = await markRollingBack(deps, release, { cause: 'abort', reason }, by, BEFORE_PROMOTION);
  const token = marked.waiting?.taskToken;
  if (token === undefined) return { resumed: false };
  return { resumed: await resume(() => deps.callbacks.failure(token, new ReleaseAbortedError('').name, reason)) };
}

export const abortRelease = defineStep({
  name: 'abortRelease',
  needs: ['callbacks'],
  input: ControlInput,
  async run(deps, input): Promise<{ resumed: boolean }> {
    const release = await requireRelease(deps, input);
    return abortBeforePromotion(deps, release, input.by, `aborted by ${input.by}${input.reason === undefined ? '' : `: ${input.reason}`}`);
  },
});
