/**
 * Rolling back on request (functions/control/rollback.ts) on the real engine
 * and DynamoDB Local: in place while the old fleet is warm (mid-bake, and
 * after promotion during the termination wait), refused once it is retired,
 * and to an earlier version with the rollback plan.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_ROLLBACK_PLAN } from '../../functions/config.js';
import type { ReleaseStarter } from '../../functions/adapters/aws/sfn-release-starter.js';
import { rollbackRelease, rollbackToVersion } from '../../functions/control/rollback.js';
import type { Release } from '../../functions/domain/release.js';
import type { ExecutionResult, LocalExecution } from '../../local/engine/index.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, liveCheckoutVersions, newRuntime, onlyRelease, releaseInput, until } from './flow-fixture.js';

const DANA = 'arn:aws:sts::123456789012:assumed-role/operator/dana';
const ONE_STEP = { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }] };
const APPROVAL_FIRST = { steps: [{ type: 'approval', approvers: { users: ['U01ALICE'] }, timeoutSeconds: 3600 }, { type: 'traffic', weight: 100, bakeSeconds: 60 }] };
const TWO_STEPS = { steps: [{ type: 'traffic', weight: 25, bakeSeconds: 60 }, { type: 'traffic', weight: 100, bakeSeconds: 60 }] };

function failed(result: ExecutionResult): { error: string | undefined } {
  if (result.status !== 'FAILED') throw new Error(`execution ${result.status}, expected FAILED`);
  return { error: result.error };
}

/** The local runtime's ReleaseStarter: StartExecution on its own engine, keeping each execution for the test. */
function localStarter(runtime: LocalRuntime): ReleaseStarter & { executions: LocalExecution[] } {
  const executions: LocalExecution[] = [];
  return {
    executions,
    start: ({ executionName, input }) => {
      const execution = runtime.startRelease(input, { name: executionName });
      executions.push(execution);
      return Promise.resolve({ started: true, executionArn: execution.executionArn });
    },
  };
}

function rollbackDeps(runtime: LocalRuntime, starter: ReleaseStarter) {
  return { config: runtime.deps.config, ledger: runtime.ledger, starter, now: () => new Date() };
}

async function releaseWhere(runtime: LocalRuntime, matches: (release: Release) => boolean): Promise<Release> {
  return until(async () => {
    const release = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
    return release !== undefined && matches(release) ? release : undefined;
  });
}

/** Everything a refusal must leave as it was: the releases, their events, stable, lock, weights and fleets. */
async function snapshot(runtime: LocalRuntime) {
  const releases = (await runtime.ledger.listReleases(CHECKOUT)).items;
  return {
    releases,
    events: await Promise.all(releases.map((r) => runtime.ledger.listEvents({ releaseId: r.releaseId }))),
    stable: await runtime.ledger.getStable(CHECKOUT),
    lock: await runtime.ledger.getLock(CHECKOUT),
    weights: runtime.cloud.weightsOn(LISTENER),
    fleets: liveCheckoutVersions(runtime),
  };
}

/** Ships v2 over v1 and waits for the release to end SUCCEEDED (old fleet retired). */
async function shipV2(runtime: LocalRuntime): Promise<Release> {
  const result = await runtime.startRelease(releaseInput('v2', { plan: ONE_STEP })).result;
  expect(result.status).toBe('SUCCEEDED');
  return onlyRelease(runtime);
}

describe('rollback of a release in place', () => {
  it('mid-bake: traffic back on stable (verified) at once, the release closed ROLLED_BACK by the caller, lock free', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: TWO_STEPS }));
    const baking = await releaseWhere(runtime, (r) => r.waiting?.kind === 'BAKE' && r.weights?.canary === 25);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 75], [TG_GREEN, 25]]));

    const outcome = await rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: baking.releaseId, by: DANA, reason: 'checkout errors in v2' });
    expect(outcome).toEqual({ phase: 'before-promotion', releaseId: baking.releaseId, status: 'ROLLING_BACK', trafficRestored: true, resumed: true });
    // Put back by the rollback itself, before the flow's Rollback step ran.
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));

    expect(failed(await execution.result)).toEqual({ error: 'RolledBackOnRequest' });
    await runtime.settled();
    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ROLLED_BACK_ON_REQUEST', rollbackCause: 'rollback', reason: `rolled back by ${DANA}: checkout errors in v2` });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(await runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v1' });
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    const events = await runtime.ledger.listEvents({ releaseId: release.releaseId });
    expect(events).toContainEqual(expect.objectContaining({ type: 'STATUS_CHANGED', actor: DANA, data: { from: 'SHIFTING', to: 'ROLLING_BACK', cause: 'rollback' } }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'TRAFFIC_RESTORED', actor: DANA }));
  });

  it('during the termination wait after promotion: weights back on the old fleet, stable reverted, the new fleet retired and the old kept', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 }, waitTimeOverrides: { TerminationWait: 2_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: ONE_STEP }));
    const promoted = await releaseWhere(runtime, (r) => r.status === 'FINALIZING' && r.currentStep?.name === 'promote');
    await until(async () => ((await runtime.ledger.getStable(CHECKOUT))?.version === 'v2' ? true : undefined));
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));

    const outcome = await rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: promoted.releaseId, by: DANA, reason: 'latency after promotion' });
    expect(outcome).toMatchObject({ phase: 'after-promotion', releaseId: promoted.releaseId, status: 'ROLLED_BACK', restoredVersion: 'v1' });
    // Done before the termination wait is over: traffic, stable, fleets, ledger, lock.
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(await runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v1', fleet: promoted.stableFleet });
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect(execution.describe().status).toBe('RUNNING');

    // When the wait ends, Retire retires nothing and the execution ends saying what happened.
    expect(failed(await execution.result)).toEqual({ error: 'RolledBackOnRequest' });
    await runtime.settled();
    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ROLLED_BACK_ON_REQUEST', rollbackCause: 'rollback', reason: `rolled back by ${DANA}: latency after promotion` });
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    // Finalize made v2 the primary; the rollback made v1 the primary again.
    expect(runtime.cloud.calls.filter((c) => c === 'fleet.promote')).toHaveLength(2);
    expect(runtime.cloud.liveFleets().find((f) => f.primary)?.version).toBe('v1');
    const events = await runtime.ledger.listEvents({ releaseId: release.releaseId });
    expect(events).toContainEqual(expect.objectContaining({ type: 'STATUS_CHANGED', actor: DANA, data: { from: 'FINALIZING', to: 'ROLLING_BACK', cause: 'rollback' } }));
    expect(events.map((e) => e.type)).not.toContain('FLEET_RETIRED');
  });

  it('after promotion, when the rollback dies right after its status change: the reconciler finishes it, the old fleet primary again and the new one gone', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 }, waitTimeOverrides: { TerminationWait: 1_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: ONE_STEP }));
    const promoted = await releaseWhere(runtime, (r) => r.status === 'FINALIZING' && r.currentStep?.name === 'promote');
    await until(async () => ((await runtime.ledger.getStable(CHECKOUT))?.version === 'v2' ? true : undefined));
    expect(runtime.cloud.liveFleets().find((f) => f.primary)?.version).toBe('v2');
    // What rollbackRelease writes first; its function then dies (Lambda timeout, crash) before moving anything.
    await runtime.ledger.transition({ ...CHECKOUT, releaseId: promoted.releaseId, from: 'FINALIZING', to: 'ROLLING_BACK', cause: 'rollback', reason: `rolled back by ${DANA}: died`, actor: DANA, unlessStep: 'retire' });

    // Retire finds it rolling back on request and retires nothing; the failed execution brings the reconciler.
    expect(failed(await execution.result)).toEqual({ error: 'RolledBackOnRequest' });
    await runtime.settled();
    expect(runtime.reconcileErrors).toEqual([]);
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'ROLLED_BACK', rollbackCause: 'rollback' });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(runtime.cloud.liveFleets().find((f) => f.primary)?.version).toBe('v1');
    expect(await runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v1', fleet: promoted.stableFleet });
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
  });

  it('loses to Retire once Retire has claimed the release (and Retire loses to a rollback that came first): exactly one wins', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 }, waitTimeOverrides: { TerminationWait: 60_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: ONE_STEP }));
    const promoted = await releaseWhere(runtime, (r) => r.status === 'FINALIZING' && r.currentStep?.name === 'promote');
    await until(async () => ((await runtime.ledger.getStable(CHECKOUT))?.version === 'v2' ? true : undefined));
    // What Retire does first when the wait ends: claim the release in one conditional write on FINALIZING.
    await runtime.ledger.claimRetirement({ ...promoted, stepIndex: 1 });
    const before = await snapshot(runtime);
    await expect(rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: promoted.releaseId, by: DANA, reason: 'too late' })).rejects.toMatchObject({
      name: 'RollbackWindowClosedError',
      message: expect.stringContaining('is being retired') as unknown,
    });
    expect(await snapshot(runtime)).toEqual(before);
    execution.abort();
    await execution.result;

    const second = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 }, waitTimeOverrides: { TerminationWait: 60_000 } } });
    const running = second.startRelease(releaseInput('v2', { plan: ONE_STEP }));
    const finalizing = await releaseWhere(second, (r) => r.status === 'FINALIZING' && r.currentStep?.name === 'promote');
    await until(async () => ((await second.ledger.getStable(CHECKOUT))?.version === 'v2' ? true : undefined));
    await rollbackRelease(second.deps, { ...CHECKOUT, releaseId: finalizing.releaseId, by: DANA, reason: 'first' });
    await expect(second.ledger.claimRetirement({ ...finalizing, stepIndex: 1 })).rejects.toMatchObject({ name: 'ReleaseNotActiveError' });
    running.abort();
    await running.result;
    await second.settled();
    expect(liveCheckoutVersions(second)).toEqual(['v1']);
  });

  it('after the termination wait (old fleet retired) is refused with RollbackWindowClosedError naming rollback --to, changing nothing', async () => {
    const runtime = await newRuntime();
    const release = await shipV2(runtime);
    const before = await snapshot(runtime);

    const refusal = rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: release.releaseId, by: DANA, reason: 'too late' });
    await expect(refusal).rejects.toMatchObject({ name: 'RollbackWindowClosedError', message: expect.stringContaining('use `rollback --to v1`') as unknown });
    expect(await snapshot(runtime)).toEqual(before);
    expect(before.weights).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
  });

  it('refuses by name: an unknown release, a release already rolled back, a caller that is not an IAM principal', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
    await expect(rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: '01JC0000000000000000000000', by: DANA, reason: 'x' })).rejects.toMatchObject({ name: 'ReleaseNotFoundError' });

    const execution = runtime.startRelease(releaseInput('v2', { plan: TWO_STEPS }));
    const baking = await releaseWhere(runtime, (r) => r.waiting?.kind === 'BAKE');
    await expect(rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: baking.releaseId, by: 'dana', reason: 'x' })).rejects.toMatchObject({ name: 'InvalidInputError', field: 'by' });
    await expect(rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: baking.releaseId, by: DANA, reason: '' })).rejects.toMatchObject({ name: 'InvalidInputError', field: 'reason' });
    expect(await onlyRelease(runtime)).toEqual(await runtime.ledger.getRelease(baking));

    await rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: baking.releaseId, by: DANA, reason: 'first' });
    await execution.result;
    await runtime.settled();
    const before = await snapshot(runtime);
    await expect(rollbackRelease(runtime.deps, { ...CHECKOUT, releaseId: baking.releaseId, by: DANA, reason: 'second' })).rejects.toMatchObject({ name: 'ReleaseNotActiveError' });
    expect(await snapshot(runtime)).toEqual(before);
  });
});

describe('rollback to a version', () => {
  it('starts a release of the previous version with the rollback plan, audited as a rollback by the caller, and it ships', async () => {
    const runtime = await newRuntime();
    await shipV2(runtime);
    const starter = localStarter(runtime);

    const outcome = await rollbackToVersion(rollbackDeps(runtime, starter), { ...CHECKOUT, by: DANA, reason: 'v2 corrupts carts' });
    expect(outcome).toMatchObject({ started: true, from: 'v2', to: 'v1' });
    const [execution] = starter.executions;
    if (execution === undefined) throw new Error('no execution started');
    expect(outcome).toMatchObject({ executionArn: execution.executionArn });
    expect((await execution.result).status).toBe('SUCCEEDED');
    await runtime.settled();

    const rollback = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
    expect(rollback).toMatchObject({
      version: 'v1',
      previousVersion: 'v2',
      status: 'SUCCEEDED',
      plan: DEFAULT_ROLLBACK_PLAN,
      trigger: { source: 'rollback', startedBy: { kind: 'iam-principal', id: DANA }, rollback: { from: 'v2', reason: 'v2 corrupts carts' } },
    });
    const events = await runtime.ledger.listEvents({ releaseId: rollback?.releaseId ?? '' });
    expect(events).toContainEqual(expect.objectContaining({ type: 'ROLLBACK_REQUESTED', actor: DANA, message: 'rollback from v2 to v1: v2 corrupts carts' }));
    expect(await runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v1', previous: { version: 'v2' } });
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
  });

  it('follows the rollbackPlan the configuration names', async () => {
    const plan = { steps: [{ type: 'traffic' as const, weight: 50, bakeSeconds: 1 }, { type: 'traffic' as const, weight: 100, bakeSeconds: 0 }] };
    const base = await newRuntime();
    const config = structuredClone(base.deps.config);
    const runtime = await newRuntime({ config: { ...config, services: config.services.map((s) => (s.service === 'checkout' ? { ...s, rollbackPlan: plan } : s)) } });
    await shipV2(runtime);
    const starter = localStarter(runtime);
    await rollbackToVersion(rollbackDeps(runtime, starter), { ...CHECKOUT, to: 'v1', by: DANA, reason: 'back' });
    expect((await starter.executions[0]?.result)?.status).toBe('SUCCEEDED');
    expect((await runtime.ledger.listReleases(CHECKOUT)).items[0]).toMatchObject({ version: 'v1', plan });
  });

  it('refuses by name, starting nothing: no earlier version, the stable version, a version that never ran, a release already active', async () => {
    const runtime = await newRuntime();
    const starter = localStarter(runtime);
    const deps = rollbackDeps(runtime, starter);
    // Only the onboarded v1 is known.
    await expect(rollbackToVersion(deps, { ...CHECKOUT, by: DANA, reason: 'x' })).rejects.toMatchObject({ name: 'NoEarlierVersionError' });

    await shipV2(runtime);
    const before = await snapshot(runtime);
    await expect(rollbackToVersion(deps, { ...CHECKOUT, to: 'v2', by: DANA, reason: 'x' })).rejects.toMatchObject({ name: 'AlreadyStableVersionError' });
    await expect(rollbackToVersion(deps, { ...CHECKOUT, to: 'v0', by: DANA, reason: 'x' })).rejects.toMatchObject({ name: 'NoEarlierVersionError', message: expect.stringContaining('v0 never ran') as unknown });
    await expect(rollbackToVersion(deps, { ...CHECKOUT, by: 'dana', reason: 'x' })).rejects.toMatchObject({ name: 'InvalidInputError', field: 'by' });
    await expect(rollbackToVersion(deps, { service: 'nope', environment: 'prod', by: DANA, reason: 'x' })).rejects.toMatchObject({ name: 'UnknownServiceError' });
    expect(await snapshot(runtime)).toEqual(before);

    const execution = runtime.startRelease(releaseInput('v3', { plan: APPROVAL_FIRST }));
    // Waiting, and settled there: the APPROVAL_REQUESTED event is written after the status changes.
    const active = await releaseWhere(runtime, (r) => r.version === 'v3' && r.waiting?.kind === 'APPROVAL' && runtime.stepsRunning === 0);
    const during = await snapshot(runtime);
    await expect(rollbackToVersion(deps, { ...CHECKOUT, by: DANA, reason: 'x' })).rejects.toMatchObject({ name: 'ReleaseInProgressError', activeReleaseId: active.releaseId });
    expect(await snapshot(runtime)).toEqual(during);
    expect(starter.executions).toEqual([]);
    await runtime.abort(active, 'dana', 'end of test');
    await execution.result;
  });
});
