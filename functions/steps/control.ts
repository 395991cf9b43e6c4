/**
 * Acting on a running release from outside the flow: decide an approval,
 * promote now (skip the rest of the current bake), abort. Each resumes the
 * flow's waiting task token; the ledger makes sure a decision lands once.
 */
import { z } from 'zod';
import { deliverDecision, publicApproval, recordDecision } from '../approval/decisions.js';
import { ReleaseNotActiveError, TaskAlreadyClosedError } from '../errors.js';
import { ActorSchema, NameSchema, ReasonSchema, ReleaseIdSchema, type Approval } from '../ledger/records.js';
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

/**
 * Decides an approval and sends the decision to the flow. The same outcome
 * asked again while its delivery failed sends it again (idempotent); a dead
 * task token marks the approval expired, its decision undelivered, and
 * `resumed` is false.
 */
export const decideApproval = defineStep({
  name: 'decideApproval',
  input: z.strictObject({
    approvalId: z.string(),
    outcome: z.enum(['APPROVED', 'REJECTED']),
    by: ActorSchema,
    comment: ReasonSchema.optional(),
    via: z.string().max(64).optional(),
  }),
  async run(deps, input): Promise<{ approval: Omit<Approval, 'taskToken'>; resumed: boolean }> {
    const recorded = await recordDecision(deps.ledger, input);
    const delivery = await deliverDecision(deps, recorded);
    return { approval: publicApproval(delivery.approval), resumed: delivery.delivered };
  },
});

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
