/**
 * Rollback, from any point after the lock: traffic back to 100% stable
 * (verified), the dark-canary route and the new fleet removed, the release
 * closed with the reason (ROLLED_BACK, or FAILED where no traffic had moved,
 * or ABORTED), the lock released. `restoreStable` is shared with the alarm
 * handler's fast path and the reconciler.
 */
import { z } from 'zod';
import { ALL_STABLE, PlanSchema } from '../domain/plan.js';
import { isTerminalStatus } from '../domain/status.js';
import { ABORT_REASON_PREFIX, rollbackVerdict, type RollbackVerdict } from '../domain/verdict.js';
import { StaleStatusError } from '../errors.js';
import type { Release } from '../ledger/records.js';
import { setAndVerifyWeights } from './advance.js';
import {
  CursorSchema,
  defineStep,
  fleetFor,
  recordedSplit,
  refOf,
  ReleaseContextSchema,
  requireRelease,
  serviceOf,
  trafficMoved,
  trafficOf,
  type StepDeps,
} from './step.js';

/** Puts all traffic back on the stable fleet and verifies it; then removes what the release added. */
export async function restoreStable(deps: StepDeps, release: Release): Promise<void> {
  const service = serviceOf(deps, release);
  const target = trafficOf(service);
  const split = recordedSplit(release);
  if (split !== undefined) await setAndVerifyWeights(deps.router, target, split, ALL_STABLE);
  const plan = PlanSchema.safeParse(release.plan);
  const canary = plan.success ? plan.data.darkCanary : undefined;
  if (canary !== undefined) {
    await deps.router.removeHeaderRoute(target, { headerName: canary.headerName, headerValue: canary.headerValue, priority: canary.priority });
  }
  if (release.newFleet !== undefined) await fleetFor(deps, service.fleet).retire(service.fleet, release.newFleet);
}

/** Moves an active release to ROLLING_BACK (recording why), unless it is there already. */
export async function markRollingBack(deps: StepDeps, release: Release, reason: string, actor: string): Promise<Release> {
  let current = release;
  while (current.status !== 'ROLLING_BACK' && !isTerminalStatus(current.status)) {
    try {
      return await deps.ledger.transition({ ...refOf(current), from: current.status, to: 'ROLLING_BACK', reason, actor });
    } catch (error) {
      if (!(error instanceof StaleStatusError)) throw error;
      current = await requireRelease(deps, refOf(current));
    }
  }
  return current;
}

/** Restores stable and closes the release with the verdict; idempotent. */
export async function rollBack(deps: StepDeps, release: Release, verdict: RollbackVerdict, actor: string): Promise<RollbackVerdict> {
  if (isTerminalStatus(release.status)) return verdict;
  const rollingBack = await markRollingBack(deps, release, verdict.reason, actor);
  if (isTerminalStatus(rollingBack.status)) return verdict;
  await restoreStable(deps, rollingBack);
  if (rollingBack.waiting !== undefined) await deps.ledger.clearWait({ ...refOf(rollingBack), taskToken: rollingBack.waiting.taskToken });
  await deps.ledger.recordProgress({ ...refOf(rollingBack), step: { index: rollingBack.currentStep?.index ?? 0, name: 'rollback' }, weights: ALL_STABLE });
  try {
    await deps.ledger.finishRelease({
      ...refOf(rollingBack),
      from: 'ROLLING_BACK',
      status: verdict.status,
      outcome: verdict.outcome,
      reason: verdict.reason,
      actor,
    });
  } catch (error) {
    if (!(error instanceof StaleStatusError && isTerminalStatus(error.actual as Release['status']))) throw error;
  }
  return verdict;
}

const RollbackInput = z.object({
  state: z.object({
    release: ReleaseContextSchema,
    cursor: CursorSchema.optional(),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }),
  }),
});

export const rollback = defineStep({
  name: 'rollback',
  input: RollbackInput,
  async run(deps, { state }): Promise<RollbackVerdict> {
    const release = await requireRelease(deps, refOf(state.release));
    if (isTerminalStatus(release.status)) {
      // A retried rollback: report what the first one decided.
      return {
        error: release.status === 'ABORTED' ? 'ReleaseAborted' : 'RolledBack',
        status: release.status === 'ABORTED' || release.status === 'FAILED' ? release.status : 'ROLLED_BACK',
        outcome: release.outcome ?? 'ERROR',
        reason: release.reason ?? '',
      };
    }
    // An out-of-band rollback (alarm handler, abort) recorded its reason on the status change.
    const caught =
      state.error.Error === 'RollbackRequestedError' && release.statusReason !== undefined
        ? { Error: release.statusReason.startsWith(ABORT_REASON_PREFIX) ? 'ReleaseAbortedError' : 'AlarmFiredError', Cause: release.statusReason }
        : state.error;
    const verdict = rollbackVerdict(caught, state.cursor?.action, trafficMoved(release));
    return rollBack(deps, release, verdict, 'flow');
  },
});
