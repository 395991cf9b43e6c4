/**
 * Deterministic interleavings of the flow with the people and handlers acting
 * on it, one test per ordering the race suite (races.test.ts) or a review
 * found. A stale read is replayed exactly: the out-of-band handler is given a
 * ledger whose first read returns the snapshot it would have seen earlier.
 */
import { describe, expect, it } from 'vitest';
import type { Release } from '../../functions/domain/release.js';
import type { StepDeps } from '../../functions/steps/step.js';
import { alarmHandler } from '../../functions/steps/alarm.js';
import { abortRelease, promoteNow } from '../../functions/steps/control.js';
import { alarmStateChangeFor } from '../infra/aws-events.js';
import type { LocalRuntime } from '../../local/runtime.js';
import {
  CHECKOUT,
  LISTENER,
  TG_BLUE,
  TG_GREEN,
  decideFirstApproval,
  flowConfig,
  liveCheckoutVersions,
  newRuntime,
  onlyRelease,
  releaseInput,
  until,
} from './flow-fixture.js';

const CANARY_THEN_ALL = { steps: [{ type: 'traffic', weight: 25, bakeSeconds: 60 }, { type: 'traffic', weight: 100, bakeSeconds: 60 }] };

/** Deps whose ledger answers the first read of a release with `snapshot` (what an earlier read saw). */
function withStaleRead(deps: StepDeps, snapshot: Release): StepDeps {
  let served = false;
  const ledger = new Proxy(deps.ledger, {
    get(target, property, receiver) {
      if (property === 'getRelease' || property === 'getActiveRelease') {
        return async (...args: unknown[]) => {
          if (!served) {
            served = true;
            return snapshot;
          }
          const method = Reflect.get(target, property, receiver) as (...a: unknown[]) => Promise<unknown>;
          return method.apply(target, args);
        };
      }
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { ...deps, ledger };
}

function releaseWhere(runtime: LocalRuntime, predicate: (release: Release) => boolean): Promise<Release> {
  return until(async () => {
    const release = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
    return release !== undefined && predicate(release) ? release : undefined;
  });
}

/** The release once Finalize recorded it stable (FINALIZING, termination wait). */
function promotedRelease(runtime: LocalRuntime): Promise<Release> {
  return until(async () => {
    const release = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
    if (release?.status !== 'FINALIZING') return undefined;
    return (await runtime.ledger.getStable(CHECKOUT))?.releaseId === release.releaseId ? release : undefined;
  });
}

const bakingStep = (index: number) => (r: Release) => r.waiting?.kind === 'BAKE' && r.waiting.stepIndex === index;

/** The invariants every release ends with. */
async function expectSettled(runtime: LocalRuntime, expected: { version: string; fleetVersion: string }) {
  await runtime.settled();
  const stable = await runtime.ledger.getStable(CHECKOUT);
  expect(stable?.version).toBe(expected.version);
  const live = runtime.cloud.liveFleets();
  expect(live.map((f) => f.ref.id)).toContain(stable?.fleet.id);
  expect(liveCheckoutVersions(runtime)).toEqual([expected.fleetVersion]);
  const stableTg = stable?.fleet.targetGroup;
  expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, stableTg === TG_BLUE ? 100 : 0], [TG_GREEN, stableTg === TG_GREEN ? 100 : 0]]));
  expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
  expect(runtime.reconcileErrors).toEqual([]);
}

describe('interleavings of the flow with out-of-band actions', () => {
  it('an abort whose read saw SHIFTING, landing after promote-now took the release to FINALIZING, is refused and the release ships', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 }, waitTimeOverrides: { TerminationWait: 400 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: CANARY_THEN_ALL }));
    await releaseWhere(runtime, bakingStep(0));
    await promoteNow.invoke(runtime.deps, { ...CHECKOUT, releaseId: (await onlyRelease(runtime)).releaseId, by: 'dana' });
    const lastBake = await releaseWhere(runtime, bakingStep(1));
    expect(lastBake.status).toBe('SHIFTING');
    await promoteNow.invoke(runtime.deps, { ...CHECKOUT, releaseId: lastBake.releaseId, by: 'dana' });
    await releaseWhere(runtime, (r) => r.status === 'FINALIZING');

    await expect(abortRelease.invoke(withStaleRead(runtime.deps, lastBake), { ...CHECKOUT, releaseId: lastBake.releaseId, by: 'erin' })).rejects.toMatchObject({
      name: 'ReleaseNotActiveError',
    });

    expect((await execution.result).status).toBe('SUCCEEDED');
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'SUCCEEDED', outcome: 'PROMOTED' });
    await expectSettled(runtime, { version: 'v2', fleetVersion: 'v2' });
  });

  it('an alarm whose read saw SHIFTING, landing after FINALIZING, neither flips traffic back nor rolls the release back', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 }, waitTimeOverrides: { TerminationWait: 400 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: CANARY_THEN_ALL }));
    await releaseWhere(runtime, bakingStep(0));
    await runtime.promoteNow(await onlyRelease(runtime), 'dana');
    const lastBake = await releaseWhere(runtime, bakingStep(1));
    await runtime.promoteNow(lastBake, 'dana');
    await releaseWhere(runtime, (r) => r.status === 'FINALIZING');

    runtime.cloud.alarmsFiring.add('checkout-prod-5xx');
    const now = new Date().toISOString();
    const outcomes = await alarmHandler.invoke(withStaleRead(runtime.deps, lastBake), {
      ...alarmStateChangeFor('checkout-prod-5xx'),
      time: now,
      detail: { alarmName: 'checkout-prod-5xx', state: { value: 'ALARM', reason: 'Threshold Crossed', timestamp: now } },
    });
    expect(outcomes).toEqual([{ action: 'ignored', reason: expect.stringContaining('FINALIZING') as unknown }]);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));

    expect((await execution.result).status).toBe('SUCCEEDED');
    await expectSettled(runtime, { version: 'v2', fleetVersion: 'v2' });
  });

  it('an abort that lands before promote-now wins: promote-now is refused, the release is ABORTED and v1 keeps all traffic', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: CANARY_THEN_ALL }));
    await releaseWhere(runtime, bakingStep(0));
    await runtime.promoteNow(await onlyRelease(runtime), 'dana');
    const lastBake = await releaseWhere(runtime, bakingStep(1));
    expect(await runtime.abort(lastBake, 'erin', 'stop')).toEqual({ resumed: true });
    await expect(runtime.promoteNow(lastBake, 'dana')).rejects.toMatchObject({ name: 'ReleaseNotActiveError' });
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'FAILED', error: 'ReleaseAborted' });
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'ABORTED', rollbackCause: 'abort' });
    await expectSettled(runtime, { version: 'v1', fleetVersion: 'v1' });
  });

  it('Retire does not remove the old fleet of a release that is no longer FINALIZING; the reconciler then rolls it back', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 }, waitTimeOverrides: { TerminationWait: 400 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: CANARY_THEN_ALL }));
    const finalizing = await promotedRelease(runtime);
    // Something moved it on while the flow waited out the termination wait (a stale writer, an operator's tool).
    await runtime.ledger.transition({ ...CHECKOUT, releaseId: finalizing.releaseId, from: 'FINALIZING', to: 'ROLLING_BACK', cause: 'error', reason: 'test', actor: 'test' });
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'FAILED', error: 'ReleaseNotActiveError' });
    await runtime.settled();
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'ROLLED_BACK' });
    await expectSettled(runtime, { version: 'v1', fleetVersion: 'v1' });
  });

  it('the reconciler points traffic only at a fleet that exists: a retired stable fleet is never restored', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 }, waitTimeOverrides: { TerminationWait: 60_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: CANARY_THEN_ALL }));
    const finalizing = await promotedRelease(runtime);
    // The state the promote-now/abort race used to leave: the old fleet retired, the release ROLLING_BACK, the execution dead.
    const old = runtime.cloud.liveFleets().find((f) => f.version === 'v1');
    const checkout = runtime.deps.config.services.find((s) => s.service === CHECKOUT.service);
    if (old === undefined || checkout === undefined) throw new Error('no v1 fleet');
    await runtime.cloud.fleet.retire(checkout.fleet, old.ref);
    await runtime.ledger.transition({ ...CHECKOUT, releaseId: finalizing.releaseId, from: 'FINALIZING', to: 'ROLLING_BACK', cause: 'abort', reason: 'test', actor: 'test' });
    execution.abort({ error: 'Killed', cause: 'test' });
    await execution.result;
    await runtime.settled();

    expect(await onlyRelease(runtime)).toMatchObject({ releaseId: finalizing.releaseId, status: 'ROLLBACK_FAILED', outcome: 'STABLE_FLEET_GONE' });
    await expectSettled(runtime, { version: 'v2', fleetVersion: 'v2' });
  });
});

describe('an abort while the migration runs', () => {
  it('stops the migration task and closes the release ABORTED with nothing deployed', async () => {
    const runtime = await newRuntime({ config: flowConfig({ migration: true }), cloud: { migration: { exitCode: 0, checksToFinish: 'never' } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: CANARY_THEN_ALL }));
    const migrating = await releaseWhere(runtime, (r) => r.status === 'MIGRATING');
    await until(() => (runtime.cloud.migrations.size > 0 ? true : undefined));
    expect(await runtime.abort(migrating, 'erin', 'wrong schema')).toEqual({ resumed: false });

    expect(await execution.result).toMatchObject({ status: 'FAILED', error: 'ReleaseAborted' });
    const tasks = [...runtime.cloud.migrations.values()];
    expect(tasks.map((t) => t.stoppedReason)).toEqual([expect.stringMatching(/^rollgate: release \w+ rolled back \(abort\)$/) as unknown]);
    expect(runtime.cloud.calls).not.toContain('fleet.create');
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'ABORTED', rollbackCause: 'abort' });
    await expectSettled(runtime, { version: 'v1', fleetVersion: 'v1' });
  });
});

describe('an approval before any traffic', () => {
  const APPROVAL_FIRST = {
    steps: [
      { type: 'approval', approvers: { users: ['U01ALICE'] }, timeoutSeconds: 3600 },
      { type: 'traffic', weight: 50, bakeSeconds: 60 },
      { type: 'traffic', weight: 100, bakeSeconds: 60 },
    ],
  };

  it('is asked right after the health gate, and approving it ships the release', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: APPROVAL_FIRST }));
    const waiting = await releaseWhere(runtime, (r) => r.status === 'AWAITING_APPROVAL');
    expect(waiting.weights).toBeUndefined();
    expect(runtime.cloud.weightsOn(LISTENER).get(TG_GREEN) ?? 0).toBe(0);
    await decideFirstApproval(runtime, 'APPROVED', 'U01ALICE');

    expect((await execution.result).status).toBe('SUCCEEDED');
    await expectSettled(runtime, { version: 'v2', fleetVersion: 'v2' });
  });

  it('rejected, ends FAILED (no traffic had moved) with v1 untouched', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: APPROVAL_FIRST }));
    await decideFirstApproval(runtime, 'REJECTED', 'U01ALICE', 'not today');

    expect(await execution.result).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected' });
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'FAILED', outcome: 'REJECTED', rollbackCause: 'rejection' });
    await expectSettled(runtime, { version: 'v1', fleetVersion: 'v1' });
  });

  it('works after a dark canary too', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 } } });
    const plan = {
      ...APPROVAL_FIRST,
      darkCanary: { headerName: 'x-rollgate-canary', headerValue: 'v2', priority: 10, smokeChecks: [{ path: '/health' }] },
    };
    const execution = runtime.startRelease(releaseInput('v2', { plan }));
    await decideFirstApproval(runtime, 'APPROVED', 'U01ALICE');

    expect((await execution.result).status).toBe('SUCCEEDED');
    expect(execution.history().filter((e) => e.type === 'StateEntered').map((e) => e.stateName)).toContain('DarkCanary');
    await expectSettled(runtime, { version: 'v2', fleetVersion: 'v2' });
  });
});
