/**
 * A ledger outage in the middle of a release, on the real engine: the release
 * state machine on the local engine, the ledger on DynamoDB Local behind a
 * fault-injecting proxy that answers DynamoDB's throttling and 5xx errors (and
 * resets connections) for a counted window of requests. The window is opened
 * from inside the step (the moment a weight is set) and spans several attempts
 * of that step, each retried by the ASL; the release must still end the normal
 * way, with traffic on a live fleet, the lock free and the ledger agreeing
 * with the execution.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { PlanInput } from '../../functions/domain/plan.js';
import { ALL_DYNAMODB_FAULTS, FaultyDynamoDb } from '../../local/sim/faulty-dynamodb.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, liveCheckoutVersions, newRuntime, onlyRelease, releaseInput } from '../flow/flow-fixture.js';

/** Requests failed per outage: the local client tries each call 3 times, so 12 fail four attempts of the step in a row. */
const OUTAGE_REQUESTS = 12;
const PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 25, bakeSeconds: 60 },
    { type: 'traffic', weight: 100, bakeSeconds: 60 },
  ],
};

let proxy: FaultyDynamoDb;
beforeAll(async () => {
  proxy = await FaultyDynamoDb.start(inject('dynamodbEndpoint'));
});
afterAll(async () => {
  await proxy.stop();
});

describe('a ledger outage during a release', () => {
  it('during ShiftTraffic: the step is retried through the outage and the release succeeds', async () => {
    const runtime = await newRuntime({ ledgerEndpoint: proxy.endpoint });
    const faultedBefore = proxy.faulted.length;
    let opened = false;
    runtime.cloud.onWeightsChanged((weights, listener) => {
      // ShiftTraffic has just set 75/25: the ledger goes down before it can record them.
      if (opened || listener !== LISTENER || weights.get(TG_GREEN) !== 25) return;
      opened = true;
      proxy.failNext(OUTAGE_REQUESTS, ALL_DYNAMODB_FAULTS);
    });
    const execution = runtime.startRelease(releaseInput('v2', { plan: PLAN }));
    const result = await execution.result;

    expect(result.status).toBe('SUCCEEDED');
    expect(proxy.pendingFaults).toBe(0);
    expect(new Set(proxy.faulted.slice(faultedBefore).map((f) => f.fault))).toEqual(new Set(ALL_DYNAMODB_FAULTS));
    const advanceFailures = execution.history().filter((e) => e.stateName === 'ShiftTraffic' && e.type === 'StateFailed');
    expect(advanceFailures.length).toBeGreaterThanOrEqual(3);
    expect(new Set(advanceFailures.map((e) => e.error))).toEqual(new Set(['LedgerUnavailableError']));

    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'SUCCEEDED', weights: { stable: 0, canary: 100 } });
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect((await runtime.ledger.getStable(CHECKOUT))?.version).toBe('v2');
    expect(liveCheckoutVersions(runtime)).toEqual(['v2']);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
    // Retried steps record each weight change once.
    const types = (await runtime.ledger.listEvents(release)).map((e) => e.type);
    expect(types.filter((t) => t === 'WEIGHTS_SET')).toHaveLength(2);
    await runtime.settled();
    expect(runtime.reconcileErrors).toEqual([]);
  });

  it('during Rollback: the rollback is retried through the outage and the release ends ROLLED_BACK on the stable fleet', async () => {
    const runtime = await newRuntime({ ledgerEndpoint: proxy.endpoint });
    let phase: 'shifting' | 'alarmed' | 'restored' = 'shifting';
    runtime.cloud.onWeightsChanged((weights, listener) => {
      if (listener !== LISTENER) return;
      const canary = weights.get(TG_GREEN) ?? 0;
      if (phase === 'shifting' && canary === 25) {
        // A bad build: its alarm fires during the first bake, the next ShiftTraffic sees it and rolls back.
        phase = 'alarmed';
        runtime.cloud.alarmsFiring.add('checkout-prod-5xx');
      } else if (phase === 'alarmed' && canary === 0) {
        // Rollback has just put traffic back on stable: the ledger goes down before it can close the release.
        phase = 'restored';
        proxy.failNext(OUTAGE_REQUESTS, ALL_DYNAMODB_FAULTS);
      }
    });
    const execution = runtime.startRelease(releaseInput('v3', { plan: PLAN }));
    const result = await execution.result;

    expect(phase).toBe('restored');
    expect(result).toMatchObject({ status: 'FAILED', error: 'RolledBack' });
    expect(proxy.pendingFaults).toBe(0);
    const rollbackFailures = execution.history().filter((e) => e.stateName === 'Rollback' && e.type === 'StateFailed');
    expect(rollbackFailures.length).toBeGreaterThanOrEqual(3);
    expect(new Set(rollbackFailures.map((e) => e.error))).toEqual(new Set(['LedgerUnavailableError']));

    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM', weights: { stable: 100, canary: 0 } });
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect((await runtime.ledger.getStable(CHECKOUT))?.version).toBe('v1');
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    await runtime.settled();
    expect(runtime.reconcileErrors).toEqual([]);
  });

  it('just after Bake records its wait (before it reads the release back): Bake is retried with a new token and the release succeeds', async () => {
    // A bake long enough that the failing attempt ends before its timeout does (the fixture's 150 ms would win).
    const runtime = await newRuntime({ ledgerEndpoint: proxy.endpoint, overrides: { taskTimeoutOverrides: { Bake: 2_500 } } });
    const faultedBefore = proxy.faulted.length;
    let armed = false;
    const execution = runtime.startRelease(releaseInput('v2', { plan: PLAN }), {
      onState: (entry) => {
        // Entered before the handler's first request is answered: its first UpdateItem is the wait.
        if (armed || entry.name !== 'Bake') return;
        armed = true;
        // One attempt of the read-back (the client tries it 3 times), with faults the client retries quickly.
        proxy.failAfter('UpdateItem', 3, ['internal-server-error', 'service-unavailable', 'reset']);
      },
    });
    const result = await execution.result;

    expect(result.status).toBe('SUCCEEDED');
    expect(proxy.pendingFaults).toBe(0);
    // The first request refused is the handler's read-back of the wait it had just recorded.
    expect(proxy.faulted[faultedBefore]?.operation).toBe('GetItem');
    const bakeFailures = execution.history().filter((e) => e.stateName === 'Bake' && e.type === 'StateFailed');
    // The refused attempt, then its retry's bake and the next step's, each ended by its timeout.
    expect(bakeFailures.map((e) => e.error)).toEqual(['LedgerUnavailableError', 'States.Timeout', 'States.Timeout']);

    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'SUCCEEDED', weights: { stable: 0, canary: 100 } });
    expect(release.waiting).toBeUndefined();
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect(liveCheckoutVersions(runtime)).toEqual(['v2']);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
    await runtime.settled();
    expect(runtime.reconcileErrors).toEqual([]);
  });

  it('an outage that outlasts every retry fails the execution naming the ledger; once it ends the reconciler restores stable', async () => {
    const runtime = await newRuntime({ ledgerEndpoint: proxy.endpoint });
    let opened = false;
    runtime.cloud.onWeightsChanged((weights, listener) => {
      if (opened || listener !== LISTENER || weights.get(TG_GREEN) !== 25) return;
      opened = true;
      proxy.outage(['internal-server-error', 'service-unavailable']);
    });
    const execution = runtime.startRelease(releaseInput('v3', { plan: PLAN }));
    const result = await execution.result;
    await runtime.settled();
    proxy.heal();

    // ShiftTraffic spent its retries, then Rollback spent its own (the most): 1 + 7 and 1 + 14 attempts.
    const failures = (state: string) => execution.history().filter((e) => e.stateName === state && e.type === 'StateFailed');
    expect(failures('ShiftTraffic')).toHaveLength(8);
    expect(failures('Rollback')).toHaveLength(15);
    expect(result).toMatchObject({ status: 'FAILED', error: 'LedgerUnavailableError' });
    const cause = JSON.parse(result.status === 'FAILED' ? (result.cause ?? '{}') : '{}') as { errorMessage?: string };
    expect(cause.errorMessage).toMatch(/^the ledger \(DynamoDB\) could not be reached: dynamodb \w+ failed: /);
    // The reconciler the failed execution triggered could not read the ledger either; its next run can.
    expect(runtime.reconcileErrors).toEqual([expect.objectContaining({ name: 'LedgerUnavailableError' })]);

    await runtime.reconcile();
    const release = await onlyRelease(runtime);
    // The ledger agrees with the execution: it failed.
    expect(release.status).toBe('FAILED');
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
  });
});
