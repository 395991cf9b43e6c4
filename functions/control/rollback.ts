/**
 * Rolling back, on request of a person (the control API's `rollback`), in two
 * forms:
 *
 * - {@link rollbackRelease}: while the release's old fleet is still warm — at
 *   any status before promotion, and after promotion for the whole
 *   termination wait — a verified weight flip back to it, in seconds. Before
 *   promotion it marks the release ROLLING_BACK (cause `rollback`), puts
 *   traffic back at once and fails the flow's waiting token, so the flow's
 *   own Rollback finishes the job (as an abort does, but recorded as a
 *   rollback). After promotion the flow only sits in its TerminationWait, so
 *   the rollback does it all here: flip and verify, the old fleet primary
 *   again, the new fleet retired, the stable record put back, the release
 *   closed ROLLED_BACK and the lock freed; when the wait ends, Retire finds
 *   the release closed and the execution fails with `RolledBackOnRequest`
 *   without retiring anything. Once Retire has claimed the release (one
 *   conditional write on the same item as the rollback's), the old fleet is
 *   on its way out and the rollback is refused with
 *   {@link RollbackWindowClosedError}.
 * - {@link rollbackToVersion}: once the old fleet is gone, a new release of an
 *   earlier version with the service's expedited `rollbackPlan`, started
 *   through the {@link ReleaseStarter} port and audited as a rollback.
 *
 * Every refusal is made before anything is written or moved.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { RollgateConfig } from '../config.js';
import { findService } from '../config.js';
import type { ReleaseStarter, StartOutcome } from '../adapters/aws/sfn-release-starter.js';
import { ALL_STABLE } from '../domain/plan.js';
import { BEFORE_PROMOTION, type ReleaseStatus } from '../domain/status.js';
import { storableReason } from '../domain/text.js';
import { verdictFor } from '../domain/verdict.js';
import {
  AlreadyStableVersionError,
  FleetNotFoundError,
  NoEarlierVersionError,
  NoStableVersionError,
  ReleaseInProgressError,
  ReleaseNotActiveError,
  RollbackWindowClosedError,
  StaleStatusError,
  TaskAlreadyClosedError,
} from '../errors.js';
import type { Ledger } from '../ports.js';
import { MAX_PRINCIPAL_LENGTH, NameSchema, ReasonSchema, ReleaseIdSchema, VersionSchema } from '../domain/fields.js';
import { RETIRE_STEP, type Release } from '../domain/release.js';
import { ROLLBACK_SOURCE, type ReleaseInput } from '../steps/preflight.js';
import { markRollingBack, rollBack, type RollbackDeps } from '../steps/rollback.js';
import { fleetFor, refOf, requireRelease, serviceOf, type StepDeps } from '../steps/step.js';
import { parseInput } from '../validation.js';
import { recordedSplit, setAndVerifyWeights, trafficOf } from '../steps/traffic.js';

/** What a rollback on request touches: a rollback's ports, and the callbacks that resume a waiting flow. */
export type ControlRollbackDeps = RollbackDeps & Pick<StepDeps, 'callbacks'>;

/**
 * The caller, as the control API verified it: an IAM principal ARN (a user,
 * an assumed-role session, a federated user).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
 */
const PrincipalArnSchema = z
  .string()
  .max(MAX_PRINCIPAL_LENGTH)
  .regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\x21-\x7E]+$/, 'must be an IAM principal ARN (arn:aws:iam::<account>:user/… or arn:aws:sts::<account>:assumed-role/…)');

const RollbackReleaseInput = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  releaseId: ReleaseIdSchema,
  by: PrincipalArnSchema,
  reason: ReasonSchema,
});
export type RollbackReleaseInput = z.input<typeof RollbackReleaseInput>;

/** What a rollback in place did. */
export type RollbackReleaseOutcome =
  | {
      /** Before promotion: the release is ROLLING_BACK, traffic is back on the stable fleet (verified), the flow finishes the rollback. */
      readonly phase: 'before-promotion';
      readonly releaseId: string;
      readonly status: 'ROLLING_BACK';
      /** Whether traffic was moved here (false when no weighted traffic had moved yet). */
      readonly trafficRestored: boolean;
      /** Whether the flow's waiting task was resumed (false when it was between tasks: it stops at its next status check). */
      readonly resumed: boolean;
    }
  | {
      /** During the termination wait: done here, release closed. */
      readonly phase: 'after-promotion';
      readonly releaseId: string;
      readonly status: 'ROLLED_BACK';
      /** The version taking all traffic again. */
      readonly restoredVersion: string | undefined;
      readonly restoredFleet: string;
      /** The new fleet, removed. */
      readonly retiredFleet: string | undefined;
    };

/** Whether a fleet exists and has a healthy target: the only kind traffic may go back to. */
async function isLive(deps: RollbackDeps, release: Release, fleet: NonNullable<Release['stableFleet']>): Promise<boolean> {
  const service = serviceOf(deps, release);
  try {
    return (await fleetFor(deps, service.fleet).health(service.fleet, fleet)).healthyCount > 0;
  } catch (error) {
    if (error instanceof FleetNotFoundError) return false;
    throw error;
  }
}

/**
 * Rolls a release back in place: traffic back on the fleet that took it
 * before, verified. See the module comment for the two phases.
 *
 * @throws InvalidInputError a field is wrong (named)
 * @throws ReleaseNotFoundError no such release
 * @throws ReleaseNotActiveError the release is already rolling back or finished (other than promoted), or is being promoted this very moment (try again)
 * @throws RollbackWindowClosedError promoted and its old fleet retired (or being retired, or gone): use `rollback --to <version>`
 */
export async function rollbackRelease(deps: ControlRollbackDeps, raw: RollbackReleaseInput): Promise<RollbackReleaseOutcome> {
  const input = parseInput(RollbackReleaseInput, raw, 'rollbackRelease');
  const reason = storableReason(`rolled back by ${input.by}: ${input.reason}`);
  // One re-read when the release moved on under the first attempt (e.g. promoted between the read and the write).
  for (let attempt = 1; ; attempt++) {
    const release = await requireRelease(deps, input);
    try {
      if (BEFORE_PROMOTION.has(release.status)) return await beforePromotion(deps, release, input.by, reason);
      return await afterPromotion(deps, release, input.by, reason);
    } catch (error) {
      if (!(error instanceof ReleaseNotActiveError || error instanceof StaleStatusError) || attempt >= 2) throw error;
    }
  }
}

async function beforePromotion(deps: ControlRollbackDeps, release: Release, by: string, reason: string): Promise<RollbackReleaseOutcome> {
  // One conditional write on the status read: a rollback that lost to Finalize is refused here (and re-judged as after promotion).
  const marked = await markRollingBack(deps, release, { cause: 'rollback', reason }, by, BEFORE_PROMOTION);
  if (marked.status !== 'ROLLING_BACK' || marked.rollbackCause !== 'rollback' || marked.statusReason !== reason) {
    throw new ReleaseNotActiveError(release.releaseId, `${marked.status}: already rolling back or finished`);
  }
  // The fast path, as the alarm handler's: traffic first, the flow's Rollback removes the new fleet and closes the release.
  const split = recordedSplit(marked);
  let trafficRestored = false;
  if (split !== undefined && marked.stableFleet !== undefined && (await isLive(deps, marked, marked.stableFleet))) {
    await setAndVerifyWeights(deps.router, trafficOf(serviceOf(deps, marked)), split, ALL_STABLE);
    trafficRestored = true;
    await deps.ledger.appendEvent({
      releaseId: marked.releaseId,
      type: 'TRAFFIC_RESTORED',
      actor: by,
      message: `100% back on ${marked.stableFleet.id} (${marked.previousVersion ?? 'previous version'}, verified): ${reason}`,
    });
  }
  const token = marked.waiting?.taskToken;
  let resumed = false;
  if (token !== undefined) {
    try {
      await deps.callbacks.failure(token, 'RollbackRequestedError', reason);
      resumed = true;
    } catch (error) {
      if (!(error instanceof TaskAlreadyClosedError)) throw error;
    }
  }
  return { phase: 'before-promotion', releaseId: marked.releaseId, status: 'ROLLING_BACK', trafficRestored, resumed };
}

const CLOSED_BY_RETIRE: ReadonlySet<ReleaseStatus> = new Set<ReleaseStatus>(['SUCCEEDED']);

async function afterPromotion(deps: RollbackDeps, release: Release, by: string, reason: string): Promise<RollbackReleaseOutcome> {
  const old = release.stableFleet;
  if (CLOSED_BY_RETIRE.has(release.status)) {
    throw new RollbackWindowClosedError(release.releaseId, release.previousVersion, `it was promoted and its old fleet ${old?.id ?? '(unknown)'} retired after the termination wait`);
  }
  if (release.status !== 'FINALIZING') throw new ReleaseNotActiveError(release.releaseId, `${release.status}: already rolling back or finished`);
  if (release.currentStep?.name === RETIRE_STEP) {
    throw new RollbackWindowClosedError(release.releaseId, release.previousVersion, `the termination wait is over and its old fleet ${old?.id ?? '(unknown)'} is being retired`);
  }
  // Finalize records the new version stable as its last change; until then it may still be moving traffic: wait for it.
  const stable = await deps.ledger.getStable(release);
  if (stable?.releaseId !== release.releaseId) {
    throw new ReleaseNotActiveError(release.releaseId, 'FINALIZING: being promoted right now; ask again in a few seconds, once it is promoted');
  }
  if (old === undefined || !(await isLive(deps, release, old))) {
    throw new RollbackWindowClosedError(release.releaseId, release.previousVersion, `its old fleet ${old?.id ?? '(unknown)'} no longer exists`);
  }
  let marked: Release;
  try {
    // Refused in the same write once Retire has claimed the release: of the two, exactly one wins.
    marked = await deps.ledger.transition({ ...refOf(release), from: 'FINALIZING', to: 'ROLLING_BACK', cause: 'rollback', reason, actor: by, unlessStep: RETIRE_STEP });
  } catch (error) {
    if (!(error instanceof StaleStatusError)) throw error;
    const now = await requireRelease(deps, refOf(release));
    if (now.status === 'SUCCEEDED' || now.currentStep?.name === RETIRE_STEP) {
      throw new RollbackWindowClosedError(release.releaseId, release.previousVersion, `the termination wait ended meanwhile and its old fleet ${old.id} is being retired`);
    }
    throw error;
  }
  const service = serviceOf(deps, marked);
  const split = recordedSplit(marked);
  // Traffic first (verified), in seconds; rollBack then makes the old fleet the primary again (ECS
  // UpdateServicePrimaryTaskSet), removes the new one and closes the release — the same code the reconciler
  // runs when this function dies half-way.
  if (split !== undefined) await setAndVerifyWeights(deps.router, trafficOf(service), split, ALL_STABLE);
  await deps.ledger.appendEvent({
    releaseId: marked.releaseId,
    eventId: 'rolled-back-after-promotion',
    type: 'TRAFFIC_RESTORED',
    actor: by,
    message: `100% back on ${old.id} (${marked.previousVersion ?? 'previous version'}, verified) during the termination wait: ${reason}`,
  });
  await rollBack(deps, marked, verdictFor('rollback', reason, true), by, old.id);
  return {
    phase: 'after-promotion',
    releaseId: marked.releaseId,
    status: 'ROLLED_BACK',
    restoredVersion: marked.previousVersion,
    restoredFleet: old.id,
    retiredFleet: marked.newFleet?.id,
  };
}

// ───────────────────────────── rollback to a version ─────────────────────────────

/** What {@link rollbackToVersion} needs: the configuration, the ledger, and a way to start a release. */
export interface RollbackToVersionDeps {
  readonly config: RollgateConfig;
  readonly ledger: Ledger;
  readonly starter: ReleaseStarter;
  readonly now: () => Date;
}

const RollbackToVersionInput = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  to: VersionSchema.optional(),
  by: PrincipalArnSchema,
  reason: ReasonSchema,
});
export type RollbackToVersionInput = z.input<typeof RollbackToVersionInput>;

/** What a rollback to a version started. */
export type RollbackToVersionOutcome = StartOutcome & {
  readonly from: string;
  readonly to: string;
  /** The execution input it started (trigger source `rollback`, started by the caller). */
  readonly input: ReleaseInput;
};

/** How many pages of release history are read looking for versions that ran (newest first). */
const HISTORY_PAGES = 5;

/**
 * Versions that were stable here before the current one, most recent first:
 * the stable record's `previous`, then the versions of succeeded releases.
 */
async function earlierVersions(ledger: Ledger, ref: { service: string; environment: string }, current: string, previous: string | undefined): Promise<string[]> {
  const versions: string[] = previous === undefined ? [] : [previous];
  let cursor: string | undefined;
  for (let page = 0; page < HISTORY_PAGES; page++) {
    const { items, cursor: next } = await ledger.listReleases({ ...ref, limit: 100, ...(cursor === undefined ? {} : { cursor }) });
    for (const release of items) if (release.status === 'SUCCEEDED') versions.push(release.version);
    if (next === undefined) break;
    cursor = next;
  }
  return [...new Set(versions.filter((version) => version !== current))];
}

/**
 * Starts a release of an earlier version (by default the one stable before
 * the current one) with the service's `rollbackPlan`, expedited (alarms
 * firing are the usual reason to roll back), its trigger saying it is a
 * rollback by the caller from which version and why (recorded as the
 * release's ROLLBACK_REQUESTED event by Preflight).
 *
 * @throws InvalidInputError a field is wrong (named)
 * @throws UnknownServiceError the service+environment is not onboarded
 * @throws NoStableVersionError nothing is stable yet
 * @throws ReleaseInProgressError a release holds the lock
 * @throws AlreadyStableVersionError `to` is the stable version
 * @throws NoEarlierVersionError no earlier version is known, or `to` never ran here
 */
export async function rollbackToVersion(deps: RollbackToVersionDeps, raw: RollbackToVersionInput): Promise<RollbackToVersionOutcome> {
  const input = parseInput(RollbackToVersionInput, raw, 'rollbackToVersion');
  findService(deps.config, input.service, input.environment);
  const ref = { service: input.service, environment: input.environment };
  const lock = await deps.ledger.getLock(ref);
  if (lock !== undefined) {
    throw new ReleaseInProgressError(input.service, input.environment, lock.releaseId, lock.leaseExpiresAt, Date.parse(lock.leaseExpiresAt) <= deps.now().getTime());
  }
  const stable = await deps.ledger.getStable(ref);
  if (stable === undefined) throw new NoStableVersionError(input.service, input.environment);
  if (input.to === stable.version) throw new AlreadyStableVersionError(input.service, input.environment, input.to);
  const known = await earlierVersions(deps.ledger, ref, stable.version, stable.previous?.version);
  const to = input.to ?? known[0];
  if (to === undefined || !known.includes(to)) throw new NoEarlierVersionError(input.service, input.environment, input.to);
  const release: ReleaseInput = {
    service: input.service,
    environment: input.environment,
    version: to,
    trigger: {
      source: ROLLBACK_SOURCE,
      startedBy: { kind: 'iam-principal', id: input.by },
      rollback: { from: stable.version, reason: input.reason },
    },
    expedite: true,
  };
  // Step Functions execution names: at most 80 of [A-Za-z0-9-_]; one per request (a second while the first runs is refused by the lock).
  // https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#StepFunctions-StartExecution-request-name
  const at = deps.now().getTime();
  const digest = createHash('sha256').update(`${input.service}/${input.environment}/${to}/${input.by}/${String(at)}`).digest('hex').slice(0, 20);
  const outcome = await deps.starter.start({ executionName: `rollback-${digest}-${String(at)}`, input: release });
  return { ...outcome, from: stable.version, to, input: release };
}
