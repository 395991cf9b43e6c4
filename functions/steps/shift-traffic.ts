/**
 * The traffic step (Task state ShiftTraffic), which drives the plan. After a bake it checks the alarms one last time (a bake
 * that timed out baked clean only if nothing fires now); then it takes the
 * next plan step: a traffic step sets the weights, reads them back, records
 * them and asks for a bake; an approval step asks for a decision; past the
 * last step, or once the release is marked for full promotion ("Promote
 * now"), it hands over to Finalize.
 */
import * as z from 'zod';
import { stepName, weightsFor } from '../domain/plan.js';
import { AlarmFiredError, RollbackRequestedError, WaitTokenMismatchError } from '../errors.js';
import { assertStatus, CursorSchema, defineStep, DeploySchema, ensureStatus, newAlarms, refOf, ReleaseContextSchema, serviceOf, statuses, type Cursor } from './step.js';
import { setAndVerifyWeights, splitOf, trafficOf } from './traffic.js';

/** Where ShiftTraffic may find its release: past the health gate, before promotion. */
const BEFORE_FINALIZE = statuses('DEPLOYING', 'VERIFYING', 'SHIFTING', 'AWAITING_APPROVAL');

export const shiftTraffic = defineStep({
  name: 'shift-traffic',
  needs: ['alarms', 'router'],
  input: z.object({ release: ReleaseContextSchema, deploy: DeploySchema, cursor: CursorSchema }),
  async run(deps, { release, cursor }): Promise<Cursor> {
    const ref = refOf(release);
    const service = serviceOf(deps, release);
    // The alarms first, before the ledger: an alarm found here reaches Rollback, which restores
    // traffic from the flow's state even while the ledger cannot be read.
    if (cursor.action === 'bake') {
      const firing = await newAlarms(deps, service, release.ignoredAlarms);
      if (firing.length > 0) throw new AlarmFiredError(firing, `at the end of the bake of step ${String(cursor.stepIndex)}`);
    }
    const current = await assertStatus(deps, ref, BEFORE_FINALIZE);
    if (current.waiting !== undefined) {
      try {
        await deps.ledger.clearWait({ ...ref, taskToken: current.waiting.taskToken });
      } catch (error) {
        // A wait recorded after our read (a callback step racing a very short timeout) is newer than ours to clear.
        if (!(error instanceof WaitTokenMismatchError)) throw error;
      }
    }

    if (cursor.action === 'bake') {
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: `baked:${String(cursor.stepIndex)}`,
        type: 'BAKED',
        message: `step ${String(cursor.stepIndex)} baked with no alarm`,
      });
    }

    // "Promote now" (functions/approval/promotion.ts): the remaining steps are skipped, straight to Finalize.
    if (current.promoteFull !== undefined) {
      const skipped = release.plan.steps.length - cursor.next;
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: 'steps-skipped',
        type: 'STEPS_SKIPPED',
        actor: current.promoteFull.by,
        message: `${String(skipped)} remaining plan step(s) skipped: promote now by ${current.promoteFull.by}`,
        data: { from: cursor.next, skipped },
      });
      return { next: release.plan.steps.length, action: 'finalize' };
    }

    const index = cursor.next;
    const step = release.plan.steps[index];
    if (step === undefined) return { next: index, action: 'finalize' };

    if (step.type === 'approval') {
      await ensureStatus(deps, ref, 'AWAITING_APPROVAL', statuses('DEPLOYING', 'VERIFYING', 'SHIFTING'), 'flow');
      return { next: index + 1, action: 'approval', stepIndex: index, waitSeconds: step.timeoutSeconds };
    }

    await ensureStatus(deps, ref, 'SHIFTING', statuses('DEPLOYING', 'VERIFYING', 'AWAITING_APPROVAL'), 'flow');
    const weights = weightsFor(step.weight);
    await setAndVerifyWeights(deps.router, trafficOf(service), splitOf(release), weights);
    const recorded = await deps.ledger.recordProgress({ ...ref, step: { index, name: stepName(step) }, weights });
    // An alarm or an abort that landed while the weights were being set has put traffic back
    // (or is about to): go straight to Rollback rather than bake on weights it undid.
    if (recorded.status === 'ROLLING_BACK') throw new RollbackRequestedError(recorded.statusReason ?? 'rollback requested');
    await deps.ledger.appendEvent({
      releaseId: release.releaseId,
      eventId: `weights:${String(index)}`,
      type: 'WEIGHTS_SET',
      message: `step ${String(index)}: ${String(weights.stable)}% ${release.previousVersion ?? 'stable'} / ${String(weights.canary)}% ${release.version} (verified)`,
      data: { step: index, weights },
    });
    return step.bakeSeconds > 0
      ? { next: index + 1, action: 'bake', stepIndex: index, waitSeconds: step.bakeSeconds }
      : { next: index + 1, action: 'continue', stepIndex: index };
  },
});
