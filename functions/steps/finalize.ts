/**
 * Promote and retire. Finalize puts 100% on the new fleet (verified), makes it
 * the primary and records it as stable; the old fleet is kept, warm, through
 * the termination wait (an operator can still send traffic back to it), then
 * Retire removes it and closes the release, which releases the lock. From
 * FINALIZING on, alarms and aborts no longer roll the release back.
 */
import * as z from 'zod';
import { weightsFor } from '../domain/plan.js';
import { isTerminalStatus } from '../domain/status.js';
import { ReleaseNotActiveError, RolledBackOnRequestError, StaleStatusError } from '../errors.js';
import { PROMOTE_STEP } from '../domain/release.js';
import { defineStep, DeploySchema, assertStatus, ensureStatus, fleetFor, refOf, ReleaseContextSchema, requireRelease, serviceOf, statuses } from './step.js';
import { setAndVerifyWeights, splitOf, trafficOf } from './traffic.js';

/** Finalize promotes from the last traffic step or the last approval (or a retried Finalize). */
const PROMOTABLE = statuses('SHIFTING', 'AWAITING_APPROVAL');
const FINALIZING = statuses('FINALIZING');

export const finalize = defineStep({
  name: 'finalize',
  needs: ['router', 'fleets'],
  input: z.object({ release: ReleaseContextSchema, deploy: DeploySchema }),
  async run(deps, { release, deploy }): Promise<{ terminationWaitSeconds: number }> {
    const ref = refOf(release);
    const service = serviceOf(deps, release);
    await ensureStatus(deps, ref, 'FINALIZING', PROMOTABLE, 'flow');
    const weights = weightsFor(100);
    await setAndVerifyWeights(deps.router, trafficOf(service), splitOf(release), weights);
    await deps.ledger.recordProgress({ ...ref, step: { index: release.plan.steps.length, name: PROMOTE_STEP }, weights });
    await fleetFor(deps, service.fleet).promote(service.fleet, deploy.fleet);
    // From FINALIZING on nothing but this flow (or the reconciler once it is dead) changes the status; check once more that it holds.
    await assertStatus(deps, ref, FINALIZING);
    await deps.ledger.setStable({ ...ref, version: release.version, fleet: deploy.fleet });
    await deps.ledger.appendEvent({
      releaseId: release.releaseId,
      eventId: 'promoted',
      type: 'PROMOTED',
      message: `${release.version} on ${deploy.fleet.id} is stable; ${release.stableFleet.id} is kept ${String(service.terminationWaitSeconds)} s before it is retired`,
    });
    return { terminationWaitSeconds: service.terminationWaitSeconds };
  },
});

export const retire = defineStep({
  name: 'retire',
  needs: ['fleets'],
  input: z.object({ release: ReleaseContextSchema, deploy: DeploySchema }),
  async run(deps, { release, deploy }): Promise<{ retired: string }> {
    const ref = refOf(release);
    const service = serviceOf(deps, release);
    const current = await requireRelease(deps, ref);
    if (current.status === 'SUCCEEDED') return { retired: release.stableFleet.id };
    // Rolled back on request during the termination wait (functions/control/rollback.ts): traffic is on the
    // old fleet again and the new one is gone; the execution ends saying so, and nothing is retired.
    // (Still ROLLING_BACK: the rollback is finishing, out of band; it needs nothing from the flow.)
    if (current.rollbackCause === 'rollback' && (current.status === 'ROLLING_BACK' || isTerminalStatus(current.status))) {
      throw new RolledBackOnRequestError(current.reason ?? current.statusReason ?? 'rolled back on request');
    }
    // The old fleet goes only while the release is still FINALIZING and its new fleet is the recorded stable one:
    // anything else (a rollback under way) needs the old fleet more than ever.
    if (current.status !== 'FINALIZING') throw new ReleaseNotActiveError(release.releaseId, `${current.status}, not FINALIZING: the old fleet ${release.stableFleet.id} is kept`);
    // Claimed in one conditional write on FINALIZING: from here a rollback in place is refused, and one that won is seen.
    try {
      await deps.ledger.claimRetirement({ ...ref, stepIndex: release.plan.steps.length });
    } catch (error) {
      if (!(error instanceof ReleaseNotActiveError)) throw error;
      const after = await requireRelease(deps, ref);
      if (after.rollbackCause === 'rollback') throw new RolledBackOnRequestError(after.statusReason ?? 'rolled back on request');
      throw error;
    }
    const stable = await deps.ledger.getStable(release);
    if (stable?.releaseId !== release.releaseId || stable.fleet.id !== deploy.fleet.id) {
      throw new ReleaseNotActiveError(release.releaseId, `FINALIZING, but the stable record names ${stable?.fleet.id ?? 'nothing'}, not ${deploy.fleet.id}: the old fleet is kept`);
    }
    try {
      await fleetFor(deps, service.fleet).retire(service.fleet, release.stableFleet);
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: 'old-fleet-retired',
        type: 'FLEET_RETIRED',
        message: `${release.stableFleet.id} (${release.previousVersion ?? 'previous version'}) retired`,
      });
    } catch (error) {
      // The new version is live and stable: a fleet that would not go away is
      // left for a person to remove, and said so, rather than failing the release.
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: 'old-fleet-retire-failed',
        type: 'FLEET_RETIRE_FAILED',
        message: `could not retire ${release.stableFleet.id}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      });
    }
    try {
      await deps.ledger.finishRelease({
        ...ref,
        from: 'FINALIZING',
        status: 'SUCCEEDED',
        outcome: 'PROMOTED',
        reason: `${release.version} promoted after ${String(release.plan.steps.length)} plan steps`,
        actor: 'flow',
      });
    } catch (error) {
      if (!(error instanceof StaleStatusError && error.actual === 'SUCCEEDED')) throw error;
    }
    return { retired: release.stableFleet.id };
  },
});
