import { describe, expect, it } from 'vitest';
import {
  CHECKOUT,
  LISTENER,
  TG_BLUE,
  TG_GREEN,
  decideFirstApproval,
  liveCheckoutVersions,
  newRuntime,
  onlyRelease,
  recordCanaryWeights,
  releaseInput,
} from './flow-fixture.js';

describe('a standard release on the local engine', () => {
  it('shifts 10/50/approval/100, promotes, retires the old fleet and releases the lock within 40 transitions', async () => {
    const runtime = await newRuntime();
    const canary = recordCanaryWeights(runtime);
    const execution = runtime.startRelease(releaseInput('v2'));
    const decision = await decideFirstApproval(runtime, 'APPROVED', 'U01ALICE', 'looks good');
    const result = await execution.result;

    expect(result.status).toBe('SUCCEEDED');
    expect(decision.resumed).toBe(true);
    expect(canary).toEqual([10, 50, 100, 100]); // three steps, then the verified 100% of finalize
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
    expect(liveCheckoutVersions(runtime)).toEqual(['v2']);

    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'SUCCEEDED', outcome: 'PROMOTED', version: 'v2', previousVersion: 'v1', weights: { stable: 0, canary: 100 } });
    expect(release.waiting).toBeUndefined();
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect(await runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v2', releaseId: release.releaseId, fleet: { targetGroup: TG_GREEN } });

    const events = await runtime.ledger.listEvents(release);
    expect(events.map((e) => e.type)).toEqual([
      'RELEASE_STARTED',
      'STATUS_CHANGED', // PENDING -> DEPLOYING
      'FLEET_CREATED',
      'FLEET_HEALTHY',
      'STATUS_CHANGED', // DEPLOYING -> SHIFTING
      'WEIGHTS_SET',
      'BAKED',
      'WEIGHTS_SET',
      'BAKED',
      'STATUS_CHANGED', // SHIFTING -> AWAITING_APPROVAL
      'APPROVAL_REQUESTED',
      'APPROVAL_GRANTED',
      'STATUS_CHANGED', // AWAITING_APPROVAL -> SHIFTING
      'WEIGHTS_SET',
      'BAKED',
      'STATUS_CHANGED', // SHIFTING -> FINALIZING
      'PROMOTED',
      'FLEET_RETIRED',
      'RELEASE_FINISHED',
    ]);
    // The approval request shown to people carries no task token.
    expect(JSON.stringify(runtime.cloud.approvalRequests)).not.toMatch(/token/i);

    console.log(`standard release (3 traffic steps, 1 approval): ${String(result.transitions.total)} state transitions`);
    expect(result.transitions.total).toBeLessThanOrEqual(40);
  });
});
