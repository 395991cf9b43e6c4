/**
 * Rollback, from any point after the lock: traffic back to 100% stable
 * (verified), the dark-canary route and the new fleet removed, the stable
 * record put back if this release had already been recorded stable, the
 * release closed with the verdict (ROLLED_BACK, or FAILED where no traffic had
 * moved, or ABORTED), the lock released. Traffic only ever goes to a fleet that
 * exists: when the stable fleet is gone, it stays on the new one.
 * `markRollingBack` and `rollBack` are shared with the alarm handler, abort and
 * the reconciler.
 */
import * as z from 'zod';
import { ALL_STABLE, weightsFor } from '../domain/plan.js';
import { ACTIVE_STATUSES, isTerminalStatus, type ReleaseStatus } from '../domain/status.js';
import { storableReason } from '../domain/text.js';
import { rollbackVerdict, verdictFor, type RollbackCause, type RollbackVerdict } from '../domain/verdict.js';
import { FleetNotFoundError, LockNotOwnedError, NoLiveFleetError, ReleaseNotActiveError, StaleStatusError } from '../errors.js';
import type { FleetRef } from '../domain/fleet.js';
import { PROMOTE_STEP, type Release } from '../domain/release.js';
import type { Fleet, FleetTarget } from '../ports.js';
import { stopMigration } from './migration.js';
import { CursorSchema, defineStep, fleetFor, refOf, ReleaseContextSchema, requireRelease, serviceOf, trafficMoved, type StepDeps } from './step.js';
import { recordedSplit, setAndVerifyWeights, splitOf, trafficOf } from './traffic.js';

/** Why a rollback is asked for: the cause from the closed set, and in words. */
export interface RollbackRequest {
  readonly cause: RollbackCause;
  readonly reason: string;
}

/** Every active status: the flow's own rollback and the reconciler may roll back from any of them. */
const ANY_ACTIVE: ReadonlySet<ReleaseStatus> = new Set<ReleaseStatus>(ACTIVE_STATUSES);

/** How many times a rollback request re-reads a release that changed under it before it gives up. */
const MARK_ATTEMPTS = 3;

/**
 * Moves a release to ROLLING_BACK with the request's cause, if its status is
 * one of `from` — one conditional write on the status it read. When another
 * writer got there first, the release is read again and judged again against
 * `from` (never rolled back from a status the caller did not allow). A release
 * already rolling back or finished is returned as it is.
 *
 * @throws ReleaseNotActiveError the release is in a status `from` does not allow (e.g. FINALIZING for an abort)
 */
/** What putting traffic back on the stable fleet and closing the release touch: shared by the Rollback step, the alarm handler, the reconciler and the control API's rollback. */
export type RollbackDeps = Pick<StepDeps, 'config' | 'ledger' | 'now' | 'router' | 'fleets'>;

export async function markRollingBack(
  deps: Pick<StepDeps, 'ledger'>,
  release: Release,
  request: RollbackRequest,
  actor: string,
  from: ReadonlySet<ReleaseStatus>,
): Promise<Release> {
  let current = release;
  for (let attempt = 1; ; attempt++) {
    if (current.status === 'ROLLING_BACK' || isTerminalStatus(current.status)) return current;
    if (!from.has(current.status)) {
      throw new ReleaseNotActiveError(current.releaseId, current.status);
    }
    try {
      return await deps.ledger.transition({ ...refOf(current), from: current.status, to: 'ROLLING_BACK', cause: request.cause, reason: request.reason, actor });
    } catch (error) {
      if (!(error instanceof StaleStatusError) || attempt >= MARK_ATTEMPTS) throw error;
      current = await requireRelease(deps, refOf(current));
    }
  }
}

/** Whether a fleet exists and has at least one healthy target: the only kind of fleet traffic may point at. */
async function isLive(fleets: Fleet, target: FleetTarget, fleet: FleetRef): Promise<boolean> {
  try {
    return (await fleets.health(target, fleet)).healthyCount > 0;
  } catch (error) {
    if (error instanceof FleetNotFoundError) return false;
    throw error;
  }
}

/** Where a rollback put traffic. */
type Restored = { readonly onto: 'stable' } | { readonly onto: 'new'; readonly fleet: FleetRef; readonly reason: string };

/**
 * Puts all traffic back on the stable fleet and verifies it, then removes what
 * the release added — unless the stable fleet no longer exists, when traffic
 * stays on (or goes to) the new fleet and that fleet is kept.
 *
 * @throws NoLiveFleetError neither fleet exists: traffic is left as it is for a person
 */
async function restoreStable(deps: RollbackDeps, release: Release, liveFleetId: string | undefined): Promise<Restored> {
  const service = serviceOf(deps, release);
  const target = trafficOf(service);
  const fleets = fleetFor(deps, service.fleet);
  const split = recordedSplit(release);
  const stable = release.stableFleet;
  if (split !== undefined && stable !== undefined && stable.id !== liveFleetId && !(await isLive(fleets, service.fleet, stable))) {
    const stableId = stable.id;
    if (release.newFleet === undefined || !(await isLive(fleets, service.fleet, release.newFleet))) {
      throw new NoLiveFleetError(release.releaseId, [stableId, ...(release.newFleet === undefined ? [] : [release.newFleet.id])]);
    }
    await setAndVerifyWeights(deps.router, target, split, weightsFor(100));
    return { onto: 'new', fleet: release.newFleet, reason: `the stable fleet ${stableId} no longer exists; traffic stays on ${release.newFleet.id} (${release.version})` };
  }
  if (split !== undefined) await setAndVerifyWeights(deps.router, target, split, ALL_STABLE);
  // Finalize got as far as promotion (the new fleet may be the ECS primary task set): the stable fleet is made
  // the primary again before the new one goes, whoever finishes the rollback (a rollback on request, or the
  // reconciler after that request's function died half-way). Idempotent, so a second call changes nothing.
  if (stable !== undefined && release.currentStep?.name === PROMOTE_STEP) await fleets.promote(service.fleet, stable);
  const canary = release.plan?.darkCanary;
  if (canary !== undefined) {
    await deps.router.removeHeaderRoute(target, { headerName: canary.headerName, headerValue: canary.headerValue, priority: canary.priority });
  }
  if (release.newFleet !== undefined) await fleets.retire(service.fleet, release.newFleet);
  return { onto: 'stable' };
}

/**
 * Rolls a release back: marks it ROLLING_BACK (from any active status, as the
 * flow and the reconciler may), restores traffic, puts the stable record back,
 * and closes the release with the verdict. Idempotent: a retry finds the
 * release rolling back or closed and finishes or reports it.
 */
export async function rollBack(
  deps: RollbackDeps,
  release: Release,
  verdict: RollbackVerdict,
  actor: string,
  /** A fleet the caller has just found live, so it is not looked at twice. */
  liveFleetId?: string,
): Promise<RollbackVerdict> {
  if (isTerminalStatus(release.status)) return verdict;
  const rollingBack = await markRollingBack(deps, release, verdict, actor, ANY_ACTIVE);
  if (isTerminalStatus(rollingBack.status)) return verdict;
  try {
    return await finishRollback(deps, rollingBack, verdict, actor, liveFleetId);
  } catch (error) {
    // Two rollbacks of one release may overlap (a rollback on request finishing while the reconciler
    // picks up the execution that just ended): the one that finished first decided; the other stops.
    if (!(error instanceof ReleaseNotActiveError || error instanceof LockNotOwnedError || error instanceof FleetNotFoundError)) throw error;
    const now = await requireRelease(deps, refOf(rollingBack));
    if (!isTerminalStatus(now.status)) throw error;
    return verdictOfFinished(now);
  }
}

async function finishRollback(deps: RollbackDeps, rollingBack: Release, verdict: RollbackVerdict, actor: string, liveFleetId: string | undefined): Promise<RollbackVerdict> {
  const ref = refOf(rollingBack);
  const restored = await restoreStable(deps, rollingBack, liveFleetId);
  const final: RollbackVerdict =
    restored.onto === 'stable' ? verdict : { ...verdict, error: 'RollbackFailed', status: 'ROLLBACK_FAILED', outcome: 'STABLE_FLEET_GONE', reason: storableReason(`${verdict.reason}; ${restored.reason}`) };
  if (restored.onto === 'stable') await deps.ledger.revertStable(ref);
  else await deps.ledger.setStable({ ...ref, version: rollingBack.version, fleet: restored.fleet });
  if (rollingBack.waiting !== undefined) await deps.ledger.clearWait({ ...ref, taskToken: rollingBack.waiting.taskToken });
  await deps.ledger.recordProgress({ ...ref, step: { index: rollingBack.currentStep?.index ?? 0, name: 'rollback' }, weights: restored.onto === 'stable' ? ALL_STABLE : weightsFor(100) });
  try {
    await deps.ledger.finishRelease({ ...ref, from: 'ROLLING_BACK', status: final.status, outcome: final.outcome, reason: final.reason, actor });
  } catch (error) {
    if (!(error instanceof StaleStatusError && isTerminalStatus(error.actual as Release['status']))) throw error;
  }
  return final;
}

/** What a finished release's rollback decided, for a retried Rollback step. */
function verdictOfFinished(release: Release): RollbackVerdict {
  const cause = release.rollbackCause ?? 'error';
  const verdict = verdictFor(cause, release.reason ?? '', trafficMoved(release));
  if (release.status === 'ROLLBACK_FAILED') return { ...verdict, error: 'RollbackFailed', status: 'ROLLBACK_FAILED', outcome: release.outcome ?? verdict.outcome };
  if (release.status === 'SUCCEEDED') return { ...verdict, error: 'ReleaseFailed', outcome: release.outcome ?? verdict.outcome };
  return { ...verdict, status: release.status === 'ABORTED' || release.status === 'FAILED' ? release.status : 'ROLLED_BACK', outcome: release.outcome ?? verdict.outcome };
}

const RollbackInput = z.object({
  state: z.object({
    release: ReleaseContextSchema,
    cursor: CursorSchema.optional(),
    /** `$.migration` while the migration poll ran: a rollback from there stops the task. */
    migration: z.object({ state: z.string(), taskArn: z.string() }).optional(),
    error: z.object({ Error: z.string(), Cause: z.string().optional() }),
  }),
});

export const rollback = defineStep({
  name: 'rollback',
  needs: ['router', 'fleets', 'migrator'],
  input: RollbackInput,
  async run(deps, { state }): Promise<RollbackVerdict> {
    // Traffic first, from the flow's own state: no ledger read is needed for it, so an
    // alarm during a ledger outage still ends with traffic on stable.
    const service = serviceOf(deps, state.release);
    const stableLive = await isLive(fleetFor(deps, service.fleet), service.fleet, state.release.stableFleet);
    if (stableLive) await setAndVerifyWeights(deps.router, trafficOf(service), splitOf(state.release), ALL_STABLE);
    const release = await requireRelease(deps, refOf(state.release));
    if (isTerminalStatus(release.status)) return verdictOfFinished(release);
    // An out-of-band rollback (alarm handler, abort) recorded its cause and reason on the status change.
    const verdict =
      release.status === 'ROLLING_BACK' && release.rollbackCause !== undefined
        ? verdictFor(release.rollbackCause, release.statusReason ?? '', trafficMoved(release))
        : rollbackVerdict(state.error, state.cursor?.action, trafficMoved(release));
    // (A migration that timed out was stopped by CheckMigration already.)
    if (state.migration?.state === 'RUNNING' && verdict.cause !== 'migration-timeout') {
      await stopMigration(deps, state.release, state.migration.taskArn, `rollgate: release ${release.releaseId} rolled back (${verdict.cause})`);
    }
    return rollBack(deps, release, verdict, 'flow', stableLive ? state.release.stableFleet.id : undefined);
  },
});
