/**
 * The alarm handler against what EventBridge and CloudWatch really deliver:
 * events older than the release, for alarms that are OK again by now, twice,
 * or while the ledger is down. Each runs on the local engine with the ledger on
 * DynamoDB Local, a release waiting in its first bake at 75/25.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { PlanInput } from '../../functions/domain/plan.js';
import { CloudProviderUnavailableError } from '../../functions/errors.js';
import type { Release } from '../../functions/domain/release.js';
import type { AlarmSource } from '../../functions/ports.js';
import { alarmHandler } from '../../functions/steps/alarm.js';
import type { LocalExecution } from '../../local/engine/index.js';
import type { LocalRuntime, LocalRuntimeOptions } from '../../local/runtime.js';
import { FaultyDynamoDb } from '../../local/sim/faulty-dynamodb.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, newRuntime, onlyRelease, releaseInput, until } from '../flow/flow-fixture.js';

const ALARM = 'checkout-prod-5xx';
const PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 25, bakeSeconds: 60 },
    { type: 'traffic', weight: 100, bakeSeconds: 60 },
  ],
};
const SHIFTED = new Map([[TG_BLUE, 75], [TG_GREEN, 25]]);
const RESTORED = new Map([[TG_BLUE, 100], [TG_GREEN, 0]]);

/** CloudWatch writes the state timestamp with a `+0000` offset, EventBridge the event time to the second. */
const cloudWatchTimestamp = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
const eventBridgeTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

interface EventTimes {
  /** EventBridge's `time`. */
  readonly time: number;
  /** CloudWatch's `detail.state.timestamp`; absent when undefined. */
  readonly stateTimestamp?: number;
}

function alarmEvent(id: string, times: EventTimes, value = 'ALARM') {
  return {
    version: '0',
    id,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '000000000000',
    time: eventBridgeTime(times.time),
    region: 'us-east-1',
    resources: [`arn:aws:cloudwatch:us-east-1:000000000000:alarm:${ALARM}`],
    detail: {
      alarmName: ALARM,
      state: { value, reason: 'Threshold Crossed', ...(times.stateTimestamp === undefined ? {} : { timestamp: cloudWatchTimestamp(times.stateTimestamp) }) },
    },
  };
}

interface Shifting {
  readonly runtime: LocalRuntime;
  readonly execution: LocalExecution;
  readonly release: Release;
}

/**
 * A release of v3 waiting in its first bake (a long one) with 25% on the new
 * fleet, its Bake handler returned: taking the ledger down before that fails
 * the handler's read-back and rolls the release back through the state machine.
 */
async function releaseInFirstBake(options: Partial<LocalRuntimeOptions> = {}): Promise<Shifting> {
  const runtime = await newRuntime({ ...options, overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
  const execution = runtime.startRelease(releaseInput('v3', { plan: PLAN }));
  const release = await until(async () => {
    const current = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
    return current?.waiting?.kind === 'BAKE' && current.waiting.stepIndex === 0 && runtime.stepsRunning === 0 ? current : undefined;
  });
  expect(runtime.cloud.weightsOn(LISTENER)).toEqual(SHIFTED);
  return { runtime, execution, release };
}

/** Ends a release the test left running. */
async function abortAndWait({ runtime, execution, release }: Shifting): Promise<void> {
  await runtime.abort(release, 'test');
  await execution.result;
  await runtime.settled();
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

describe('stale and duplicate alarm events', () => {
  it.each<[string, (release: Release) => EventTimes, boolean, RegExp]>([
    [
      'an ALARM from before the release started (still firing) is ignored',
      (r) => ({ time: Date.parse(r.createdAt) - 10 * MINUTE, stateTimestamp: Date.parse(r.createdAt) - 10 * MINUTE }),
      true,
      /^checkout-prod-5xx went to ALARM at .* before release \w+ started at /,
    ],
    [
      'an ALARM with only EventBridge\'s time, from before the release, is ignored',
      (r) => ({ time: Date.parse(r.createdAt) - 2 * SECOND }),
      true,
      /^checkout-prod-5xx went to ALARM at .* before release \w+ started at /,
    ],
    [
      'an ALARM from during the release for an alarm that is OK again now is ignored',
      () => ({ time: Date.now(), stateTimestamp: Date.now() }),
      false,
      /^checkout-prod-5xx is no longer in ALARM$/,
    ],
  ])('%s: traffic stays where it is and the release goes on', async (_name, times, firingNow, reason) => {
    const shifting = await releaseInFirstBake();
    const { runtime, release } = shifting;
    if (firingNow) runtime.cloud.alarmsFiring.add(ALARM);

    const outcomes = await alarmHandler.invoke(runtime.deps, alarmEvent('evt-stale', times(release)));

    expect(outcomes).toEqual([{ action: 'ignored', reason: expect.stringMatching(reason) as unknown }]);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(SHIFTED);
    const now = await onlyRelease(runtime);
    expect(now.status).toBe('SHIFTING');
    expect((await runtime.ledger.listEvents(now)).map((e) => e.type)).not.toContain('ALARM_FIRED');
    await abortAndWait(shifting);
  });

  it('a current ALARM rolls back once; the same event again, and a second event for the same alarm, are no-ops', async () => {
    const shifting = await releaseInFirstBake();
    const { runtime, execution, release } = shifting;
    runtime.cloud.alarmsFiring.add(ALARM);
    const at = Date.now();

    const first = await alarmHandler.invoke(runtime.deps, alarmEvent('evt-1', { time: at, stateTimestamp: at }));
    expect(first).toEqual([{ action: 'rolled-back', ...CHECKOUT, releaseId: release.releaseId }]);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(RESTORED);

    for (const id of ['evt-1', 'evt-2']) {
      const again = await alarmHandler.invoke(runtime.deps, alarmEvent(id, { time: at, stateTimestamp: at }));
      expect(again, id).toEqual([{ action: 'ignored', reason: expect.stringMatching(new RegExp(`^(${release.releaseId} is ROLLING_BACK|checkout/prod has no active release)`)) as unknown }]);
    }

    expect(await execution.result).toMatchObject({ status: 'FAILED', error: 'RolledBack' });
    const closed = await onlyRelease(runtime);
    expect(closed).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM' });
    const types = (await runtime.ledger.listEvents(closed)).map((e) => e.type);
    expect(types.filter((t) => t === 'ALARM_FIRED')).toHaveLength(1);
    expect(types.filter((t) => t === 'TRAFFIC_RESTORED')).toHaveLength(1);
    await runtime.settled();
    expect(runtime.reconcileErrors).toEqual([]);
  });

  it('when CloudWatch cannot be read to confirm, a current ALARM event still rolls back (restoring stable is the safe side)', async () => {
    let cloudWatchDown = false;
    const alarms = (cloud: AlarmSource): AlarmSource => ({
      alarmsInAlarm: (names) =>
        cloudWatchDown
          ? Promise.reject(new CloudProviderUnavailableError('cloudwatch', 'DescribeAlarms', 'Throttling', 'Rate exceeded'))
          : cloud.alarmsInAlarm(names),
    });
    const shifting = await releaseInFirstBake({ alarms });
    const { runtime, execution, release } = shifting;
    cloudWatchDown = true;

    const outcomes = await alarmHandler.invoke(runtime.deps, alarmEvent('evt-unconfirmed', { time: Date.now(), stateTimestamp: Date.now() }));

    expect(outcomes).toEqual([{ action: 'rolled-back', ...CHECKOUT, releaseId: release.releaseId }]);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(RESTORED);
    const fired = (await runtime.ledger.listEvents(release)).find((e) => e.type === 'ALARM_FIRED');
    expect(fired?.message).toMatch(/CloudWatch could not be read to confirm/);
    cloudWatchDown = false;
    expect(await execution.result).toMatchObject({ status: 'FAILED', error: 'RolledBack' });
    await runtime.settled();
  });
});

describe('an alarm while the ledger is down', () => {
  let proxy: FaultyDynamoDb;
  beforeAll(async () => {
    proxy = await FaultyDynamoDb.start(inject('dynamodbEndpoint'));
  });
  afterAll(async () => {
    await proxy.stop();
  });

  it('a short outage is ridden out within the invocation: the first delivery restores stable', async () => {
    const shifting = await releaseInFirstBake({ ledgerEndpoint: proxy.endpoint });
    const { runtime, execution, release } = shifting;
    runtime.cloud.alarmsFiring.add(ALARM);
    const faultedBefore = proxy.faulted.length;
    // More than the client's 3 attempts of one read: only a retry of the read itself gets through.
    proxy.failNext(5, ['throttling', 'internal-server-error', 'reset']);

    const outcomes = await alarmHandler.invoke(runtime.deps, alarmEvent('evt-short', { time: Date.now(), stateTimestamp: Date.now() }));

    expect(proxy.faulted.length - faultedBefore).toBe(5);
    expect(outcomes).toEqual([{ action: 'rolled-back', ...CHECKOUT, releaseId: release.releaseId }]);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(RESTORED);
    expect(await execution.result).toMatchObject({ status: 'FAILED', error: 'RolledBack' });
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM' });
    await runtime.settled();
  });

  it('a longer outage fails the invocation with LedgerUnavailableError (so it is redelivered); the redelivery restores stable', async () => {
    const shifting = await releaseInFirstBake({ ledgerEndpoint: proxy.endpoint });
    const { runtime, execution, release } = shifting;
    runtime.cloud.alarmsFiring.add(ALARM);
    const at = Date.now();
    const event = alarmEvent('evt-outage', { time: at, stateTimestamp: at });

    proxy.outage(['service-unavailable', 'provisioned-throughput']);
    const faultedBefore = proxy.faulted.length;
    await expect(alarmHandler.invoke(runtime.deps, event)).rejects.toMatchObject({ name: 'LedgerUnavailableError', service: 'dynamodb' });
    // The read was tried again within the invocation, not once.
    expect(proxy.faulted.length - faultedBefore).toBeGreaterThan(3);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(SHIFTED);
    proxy.heal();

    // Lambda's asynchronous retry delivers the same event again.
    const outcomes = await alarmHandler.invoke(runtime.deps, event);
    expect(outcomes).toEqual([{ action: 'rolled-back', ...CHECKOUT, releaseId: release.releaseId }]);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(RESTORED);
    expect(await execution.result).toMatchObject({ status: 'FAILED', error: 'RolledBack' });
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM' });
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    await runtime.settled();
  });
});
