import { describe, expect, it } from 'vitest';
import type { ExecutionResult } from '../../local/engine/index.js';
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
  recordCanaryWeights,
  releaseInput,
  until,
} from './flow-fixture.js';

function failed(result: ExecutionResult): { error: string | undefined; cause: string | undefined } {
  if (result.status !== 'FAILED') throw new Error(`execution ${result.status}, expected FAILED`);
  return { error: result.error, cause: result.cause };
}

describe('rollbacks', () => {
  it('rolls back within the second bake when an alarm fires, the alarm handler restoring traffic before the flow reaches Rollback', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
    let bakes = 0;
    let weightsAtRollback: Map<string, number> | undefined;
    const execution = runtime.startRelease(releaseInput('v3'), {
      onState: (entry) => {
        if (entry.name === 'Bake') bakes++;
        if (entry.name === 'Rollback') weightsAtRollback = runtime.cloud.weightsOn(LISTENER);
      },
    });
    const waitingOn = (stepIndex: number) =>
      until(async () => {
        const release = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
        return release?.waiting?.kind === 'BAKE' && release.waiting.stepIndex === stepIndex ? release : undefined;
      });
    // Bakes are long here: skip the first one, then the alarm fires during the second.
    const first = await waitingOn(0);
    await runtime.promoteNow(first, 'dana');
    await waitingOn(1);
    expect(bakes).toBe(2);
    runtime.cloud.alarmsFiring.add('checkout-prod-5xx');
    const outcome = await runtime.deliverAlarm('checkout-prod-5xx', 'evt-1');
    const result = await execution.result;

    expect(outcome).toEqual([{ action: 'rolled-back', ...CHECKOUT, releaseId: expect.any(String) as unknown }]);
    expect(failed(result)).toEqual({ error: 'RolledBack', cause: 'checkout-prod-5xx in ALARM at step 1 (traffic 50%)' });
    // The fast path: traffic was already back on stable when the flow entered Rollback.
    expect(weightsAtRollback).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    // Within that bake: the bake was cut short by the alarm, never timed out, and no further step ran.
    const bakeFailures = execution.history().filter((e) => e.stateName === 'Bake' && e.type === 'StateFailed');
    expect(bakeFailures).toEqual([expect.objectContaining({ error: 'AlarmFiredError', cause: 'checkout-prod-5xx in ALARM at step 1 (traffic 50%)' })]);
    expect(execution.history().some((e) => e.error === 'States.Timeout')).toBe(false);

    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM', reason: 'checkout-prod-5xx in ALARM at step 1 (traffic 50%)', weights: { stable: 100, canary: 0 } });
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect((await runtime.ledger.getStable(CHECKOUT))?.version).toBe('v1');
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    const types = (await runtime.ledger.listEvents(release)).map((e) => e.type);
    expect(types.filter((t) => t === 'WEIGHTS_SET')).toHaveLength(2);
    expect(types.indexOf('TRAFFIC_RESTORED')).toBeGreaterThan(types.indexOf('ALARM_FIRED'));
    expect(types.at(-1)).toBe('RELEASE_FINISHED');

    // The same alarm event delivered again changes nothing.
    const again = await runtime.deliverAlarm('checkout-prod-5xx', 'evt-1');
    expect(again).toEqual([{ action: 'ignored', reason: 'checkout/prod has no active release' }]);
    expect(runtime.reconcileErrors).toEqual([]);
  });

  it('rolls back a bad version whose alarm the simulated cloud fires at 10%, leaving good versions alone', async () => {
    const runtime = await newRuntime({
      alarmAt: [{ alarmName: 'checkout-prod-p99-latency', version: 'v3', canaryPercent: 10, afterMs: 10 }],
      overrides: { taskTimeoutOverrides: { Bake: 60_000 } },
    });
    const result = await runtime.startRelease(releaseInput('v3')).result;

    expect(failed(result)).toEqual({ error: 'RolledBack', cause: 'checkout-prod-p99-latency in ALARM at step 0 (traffic 10%)' });
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM' });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(runtime.reconcileErrors).toEqual([]);
  });

  it('does not roll back a promoted release when an alarm fires during the termination wait', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 }, waitTimeOverrides: { TerminationWait: 1500 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }] } }));
    const finalizing = await until(async () => {
      const release = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
      return release?.status === 'FINALIZING' ? release : undefined;
    });
    expect(await runtime.deliverAlarm('checkout-prod-5xx')).toEqual([
      { action: 'ignored', reason: `${finalizing.releaseId} is FINALIZING; the alarm no longer rolls it back` },
    ]);
    await expect(runtime.abort(finalizing, 'dana')).rejects.toMatchObject({ name: 'ReleaseNotActiveError' });
    expect((await execution.result).status).toBe('SUCCEEDED');
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'SUCCEEDED' });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
  });

  it('ignores alarms that are not onboarded and alarms of services with no active release', async () => {
    const runtime = await newRuntime();
    expect(await runtime.deliverAlarm('someone-elses-alarm')).toEqual([{ action: 'ignored', reason: 'someone-elses-alarm is not an onboarded alarm' }]);
    expect(await runtime.deliverAlarm('search-prod-5xx')).toEqual([{ action: 'ignored', reason: 'search/prod has no active release' }]);
    expect(runtime.cloud.calls.filter((c) => c.startsWith('router.'))).toEqual([]);
  });

  it('rolls back when the approver rejects, recording who and why', async () => {
    const runtime = await newRuntime();
    const execution = runtime.startRelease(releaseInput('v3'));
    const decision = await decideFirstApproval(runtime, 'REJECTED', 'U01ALICE', 'error budget is spent');
    const result = await execution.result;

    expect(decision.resumed).toBe(true);
    expect(failed(result)).toEqual({ error: 'ApprovalRejected', cause: 'rejected by U01ALICE: error budget is spent' });
    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'ROLLED_BACK', outcome: 'REJECTED', reason: 'rejected by U01ALICE: error budget is spent' });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
  });

  it('rolls back when the approval times out; a late decision no longer resumes anything', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20, Approval: 100 } } });
    const result = await runtime.startRelease(releaseInput('v3')).result;

    expect(failed(result)).toEqual({ error: 'ApprovalTimedOut', cause: 'no approval decision before the timeout' });
    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'ROLLED_BACK', outcome: 'APPROVAL_TIMED_OUT' });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    // The one decision path refuses a late decision, as Slack does, and records none.
    const approvalId = runtime.cloud.approvalRequests[0]?.approvalId ?? '';
    await expect(runtime.decide(approvalId, 'APPROVED', 'U01ALICE')).rejects.toMatchObject({ name: 'ApprovalNoLongerWaitingError' });
    expect((await runtime.ledger.getApproval(approvalId))?.decision).toBeUndefined();
  });

  it('fails a release whose migration exits non-zero: no fleet created, no traffic moved', async () => {
    const runtime = await newRuntime({ config: flowConfig({ migration: true }), cloud: { migration: { exitCode: 3, checksToFinish: 2 } } });
    const canary = recordCanaryWeights(runtime);
    const result = await runtime.startRelease(releaseInput('v3')).result;

    expect(failed(result)).toEqual({ error: 'MigrationFailed', cause: 'migration failed (exit code 3): Essential container in task exited (exit code 3)' });
    expect(runtime.cloud.calls).not.toContain('fleet.create');
    expect(canary.every((percent) => percent === 0)).toBe(true);
    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'FAILED', outcome: 'MIGRATION_FAILED' });
    expect(release.newFleet).toBeUndefined();
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
  });

  it('fails a release whose fleet never gets healthy and removes that fleet', async () => {
    const config = flowConfig();
    const checkout = config.services[0];
    if (checkout !== undefined) checkout.healthGate = { timeoutSeconds: 1, intervalSeconds: 1 };
    const runtime = await newRuntime({ config, cloud: { versions: { v3: { healthyAfterChecks: 'never' } } }, overrides: { waitTimeOverrides: { WaitForHealth: 50 } } });
    const canary = recordCanaryWeights(runtime);
    const result = await runtime.startRelease(releaseInput('v3')).result;

    expect(failed(result).error).toBe('FleetUnhealthy');
    expect(failed(result).cause).toMatch(/^ts-checkout-[0-9a-z]+ not healthy by .* \(0\/2 healthy: check \d+: 0\/2 targets healthy\)$/);
    expect(runtime.cloud.calls.filter((c) => c === 'fleet.health').length).toBeGreaterThan(2);
    expect(canary.every((percent) => percent === 0)).toBe(true);
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'FAILED', outcome: 'UNHEALTHY' });
  });

  it('never sends weighted traffic to a fleet whose dark-canary smoke checks fail', async () => {
    const runtime = await newRuntime({ cloud: { versions: { v3: { smokeStatus: 503 } } } });
    const canary = recordCanaryWeights(runtime);
    const plan = {
      steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }],
      darkCanary: { headerName: 'x-rollgate-canary', headerValue: 'v3', priority: 5, smokeChecks: [{ path: '/healthz' }, { path: '/api/cart' }] },
    };
    const result = await runtime.startRelease(releaseInput('v3', { plan })).result;

    expect(failed(result)).toEqual({ error: 'SmokeCheckFailed', cause: '/healthz: HTTP 503; /api/cart: HTTP 503' });
    expect(runtime.cloud.calls).toContain('router.setHeaderRoute');
    expect(runtime.cloud.headerRoutes.size).toBe(0);
    expect(canary.every((percent) => percent === 0)).toBe(true);
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'FAILED', outcome: 'SMOKE_CHECK_FAILED' });
    expect((await runtime.ledger.listEvents(release)).map((e) => e.type)).toContain('SMOKE_CHECKS_FAILED');
  });
});
