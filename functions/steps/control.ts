/**
 * Acting on a running release from outside the flow: promote now (skip the
 * rest of the current bake) and abort, the one domain function of each that
 * the control API and the local runtime call. Each resumes the flow's waiting
 * task token; the ledger makes sure a decision lands once. Approvals are
 * decided by functions/approval/decisions.ts `decide`, under the approval policy.
 */
import { z } from 'zod';
import { ReleaseNotActiveError, TaskAlreadyClosedError } from '../errors.js';
import { ActorSchema, NameSchema, ReasonSchema, ReleaseIdSchema } from '../ledger/records.js';
import { BEFORE_PROMOTION } from '../domain/status.js';
import { markRollingBack } from './rollback.js';
import { defineStep, requireRelease } from './step.js';

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

export const abortRelease = defineStep({
  name: 'abortRelease',
  input: ControlInput,
  async run(deps, input): Promise<{ resumed: boolean }> {
    const release = await requireRelease(deps, input);
    if (!BEFORE_PROMOTION.has(release.status)) {
      throw new ReleaseNotActiveError(input.releaseId, `${release.status}: already promoted or finished, nothing to abort`);
    }
    const reason = `aborted by ${input.by}${input.reason === undefined ? '' : `: ${input.reason}`}`;
    // The write is conditional on the status read: an abort that lost to Finalize is refused, never applied to FINALIZING.
    const marked = await markRollingBack(deps, release, { cause: 'abort', reason }, input.by, BEFORE_PROMOTION);
    const token = marked.waiting?.taskToken;
    if (token === undefined) return { resumed: false };
    return { resumed: await resume(() => deps.callbacks.failure(token, 'ReleaseAbortedError', reason)) };
  },
});
