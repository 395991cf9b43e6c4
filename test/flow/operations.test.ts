import { describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import {
  CHECKOUT,
  LISTENER,
  TG_BLUE,
  TG_GREEN,
  decideFirstApproval,
  liveCheckoutVersions,
  newRuntime,
  onlyRelease,
  releaseInput,
  until,
} from './flow-fixture.js';

const ONE_STEP = { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }] };
const TWO_STEPS = { steps: [{ type: 'traffic', weight: 20, bakeSeconds: 60 }, { type: 'traffic', weight: 100, bakeSeconds: 60 }] };

/** The release once it waits on the bake of `stepIndex`. */
function bakingAt(runtime: LocalRuntime, stepIndex: number) {
  return until(async () => {
    const release = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
    return release?.waiting?.kind === 'BAKE' && release.waiting.stepIndex === stepIndex ? release : undefined;
  });
}

describe('acting on a running release', () => {
  it('promote-now skips the rest of a bake', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: ONE_STEP }));
    const release = await bakingAt(runtime, 0);
    expect(await runtime.promoteNow(release, 'dana')).toEqual({ resumed: true });
    const result = await execution.result;

    expect(result.status).toBe('SUCCEEDED');
    const bake = execution.history().filter((e) => e.stateName === 'Bake').map((e) => e.type);
    expect(bake).toEqual(['StateEntered', 'StateExited']); // resumed, not timed out
    expect((await onlyRelease(runtime)).status).toBe('SUCCEEDED');
    expect((await runtime.ledger.listEvents(release)).map((e) => e.type)).toContain('PROMOTE_NOW');
  });

  it('abort during a bake rolls back and closes the release ABORTED', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: TWO_STEPS }));
    const release = await bakingAt(runtime, 0);
    expect(await runtime.abort(release, 'dana', 'wrong build')).toEqual({ resumed: true });
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'FAILED', error: 'ReleaseAborted', cause: 'aborted by dana: wrong build' });
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'ABORTED', outcome: 'ABORTED', reason: 'aborted by dana: wrong build' });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
  });

  it('refuses an unknown service or a bad plan before anything is touched', async () => {
    const runtime = await newRuntime();
    const unknown = await runtime.startRelease(releaseInput('v2', { service: 'payments' })).result;
    expect(unknown).toMatchObject({ status: 'FAILED', error: 'UnknownServiceError' });
    expect(unknown.status === 'FAILED' ? unknown.cause : '').toContain('payments/prod is not an onboarded service+environment (onboarded: checkout/prod, search/prod)');

    const badPlan = await runtime.startRelease(releaseInput('v2', { plan: { steps: [{ type: 'traffic', weight: 60 }, { type: 'traffic', weight: 40 }] } })).result;
    expect(badPlan).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
    expect(badPlan.status === 'FAILED' ? badPlan.cause : '').toContain("release input plan: steps.1.weight: must be greater than the previous traffic step's 60");

    expect((await runtime.ledger.listRecentReleases()).items).toEqual([]);
    expect(runtime.cloud.calls.filter((c) => c !== 'alarms.inAlarm')).toEqual([]);
  });

  it('refuses a second release while one runs, leaving the first unaffected', async () => {
    const runtime = await newRuntime();
    const first = runtime.startRelease(releaseInput('v2'));
    const waiting = await until(() => runtime.cloud.approvalRequests[0]);
    const second = await runtime.startRelease(releaseInput('v3')).result;
    const firstRelease = await onlyRelease(runtime);

    expect(second).toMatchObject({ status: 'FAILED', error: 'ReleaseInProgressError' });
    expect(second.status === 'FAILED' ? second.cause : '').toContain(firstRelease.releaseId);
    expect(firstRelease).toMatchObject({ version: 'v2', status: 'AWAITING_APPROVAL' });

    await runtime.decide(waiting.approvalId, 'APPROVED', 'U01ALICE');
    expect((await first.result).status).toBe('SUCCEEDED');
    expect((await onlyRelease(runtime)).status).toBe('SUCCEEDED');
    expect(runtime.reconcileErrors).toEqual([]);
  });

  it('refuses to start while an alarm fires, and with expedite records it and counts only new alarms', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 20 } } });
    runtime.cloud.alarmsFiring.add('checkout-prod-p99-latency');

    const refused = await runtime.startRelease(releaseInput('v2')).result;
    expect(refused).toMatchObject({ status: 'FAILED', error: 'AlarmsFiringError' });
    expect((await runtime.ledger.listReleases(CHECKOUT)).items).toEqual([]);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();

    const expedited = runtime.startRelease(releaseInput('v2', { expedite: true }));
    await decideFirstApproval(runtime, 'APPROVED', 'U01ALICE');
    expect((await expedited.result).status).toBe('SUCCEEDED');
    const release = await onlyRelease(runtime);
    const events = await runtime.ledger.listEvents(release);
    expect(events.find((e) => e.type === 'EXPEDITED')?.data).toEqual({ ignoredAlarms: ['checkout-prod-p99-latency'] });
    expect(events.filter((e) => e.type === 'BAKED')).toHaveLength(3);
  });

  it('retries transient Lambda errors in three steps without duplicating work or ledger events', async () => {
    const runtime = await newRuntime({
      overrides: { taskTimeoutOverrides: { Bake: 20 } },
      faults: {
        PreflightFunctionArn: { times: 1, when: 'after' },
        DeployFunctionArn: { times: 2, when: 'after' },
        ShiftTrafficFunctionArn: { times: 1, when: 'after' },
        FinalizeFunctionArn: { times: 1, when: 'before' },
      },
    });
    const execution = runtime.startRelease(releaseInput('v2'));
    await decideFirstApproval(runtime, 'APPROVED', 'U01ALICE');
    const result = await execution.result;

    expect(result.status).toBe('SUCCEEDED');
    expect(result.transitions.retries).toBe(5);
    const retried = execution.history().filter((e) => e.type === 'StateRetried').map((e) => e.stateName);
    expect(retried).toEqual(['Preflight', 'Deploy', 'Deploy', 'ShiftTraffic', 'Finalize']);
    const release = await onlyRelease(runtime);
    expect(release.status).toBe('SUCCEEDED');
    // One fleet for the release, though Deploy ran three times.
    expect([...runtime.cloud.fleetsById.values()].filter((f) => f.releaseId === release.releaseId)).toHaveLength(1);
    const types = (await runtime.ledger.listEvents(release)).map((e) => e.type);
    const count = (type: string) => types.filter((t) => t === type).length;
    expect([count('RELEASE_STARTED'), count('FLEET_CREATED'), count('WEIGHTS_SET'), count('PROMOTED'), count('RELEASE_FINISHED')]).toEqual([1, 1, 3, 1, 1]);
  });

  it('a retried approval step keeps asking the same approval, and deciding it resumes the retry', async () => {
    // The first attempt opens the approval and notifies, then its response is lost:
    // the state machine retries with a new task token and the first token dies.
    const runtime = await newRuntime({
      overrides: { taskTimeoutOverrides: { Bake: 20 } },
      faults: { ApprovalFunctionArn: { times: 1, when: 'after' } },
    });
    const execution = runtime.startRelease(releaseInput('v2'));
    const [first, second] = await until(() => (runtime.cloud.approvalRequests.length >= 2 ? runtime.cloud.approvalRequests : undefined));
    expect(second?.approvalId).toBe(first?.approvalId);
    const approvalId = first?.approvalId ?? '';
    expect(await runtime.decide(approvalId, 'APPROVED', 'U01ALICE')).toMatchObject({ resumed: true, approval: { decision: { outcome: 'APPROVED' } } });
    const result = await execution.result;

    expect(result.status).toBe('SUCCEEDED');
    expect(execution.history().filter((e) => e.type === 'StateRetried').map((e) => e.stateName)).toEqual(['Approval']);
    const release = await onlyRelease(runtime);
    expect(release.status).toBe('SUCCEEDED');
    const types = (await runtime.ledger.listEvents(release)).map((e) => e.type);
    const count = (type: string) => types.filter((t) => t === type).length;
    expect([count('APPROVAL_REQUESTED'), count('APPROVAL_GRANTED'), count('APPROVAL_EXPIRED')]).toEqual([1, 1, 0]);
    expect((await runtime.ledger.getApproval(approvalId))?.expired).toBeUndefined();
  });

  it('restores stable through the reconciler when the execution is killed mid-shift', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: TWO_STEPS }));
    await bakingAt(runtime, 0);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 80], [TG_GREEN, 20]]));

    execution.abort({ error: 'KilledByOperator', cause: 'StopExecution' });
    expect((await execution.result).status).toBe('ABORTED');
    await runtime.settled();

    const release = await onlyRelease(runtime);
    expect(runtime.reconciled).toEqual([{ releaseId: release.releaseId, action: 'restored', reason: expect.stringContaining('is ABORTED while the release was SHIFTING') as unknown }]);
    expect(release).toMatchObject({ status: 'ROLLED_BACK', outcome: 'EXECUTION_DIED' });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect(runtime.reconcileErrors).toEqual([]);
    // Reconciling again finds nothing to do.
    expect(await runtime.reconcile()).toEqual([]);
  });
});
