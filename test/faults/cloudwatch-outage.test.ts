/**
 * CloudWatch's API down at preflight, on the local engine: the alarms are read
 * through the real CloudWatchAlarms adapter whose client points at a closed
 * loopback port (a refused connection) for as long as the outage lasts, the
 * simulated cloud's alarms otherwise. A short outage is retried through; one
 * that outlasts every retry fails the release before the lock, saying that
 * CloudWatch could not be read.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { describe, expect, it } from 'vitest';
import { CloudWatchAlarms } from '../../functions/adapters/aws/cloudwatch-alarms.js';
import type { AlarmSource } from '../../functions/ports.js';
import { CHECKOUT, newRuntime, onlyRelease, releaseInput } from '../flow/flow-fixture.js';

const unreachable = new CloudWatchAlarms(
  new CloudWatchClient({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 }),
);

/** The message of a Lambda error's Cause (Step Functions' JSON with errorType, errorMessage, trace). */
const errorMessageOf = (cause: string | undefined) => (JSON.parse(cause ?? '{}') as { errorMessage?: string }).errorMessage;

/** Alarms read through CloudWatch's adapter while `down()` says so, from the simulated cloud after. */
function alarmsWithOutage(down: (call: number) => boolean) {
  let calls = 0;
  return (cloud: AlarmSource): AlarmSource => ({
    alarmsInAlarm: (names) => {
      calls += 1;
      return down(calls) ? unreachable.alarmsInAlarm(names) : cloud.alarmsInAlarm(names);
    },
  });
}

describe('CloudWatch down at preflight', () => {
  it('an outage over five Preflight attempts is retried through and the release succeeds', async () => {
    const runtime = await newRuntime({ alarms: alarmsWithOutage((call) => call <= 5) });
    const execution = runtime.startRelease(releaseInput('v2', { plan: { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }] } }));
    const result = await execution.result;

    expect(result.status).toBe('SUCCEEDED');
    const failures = execution.history().filter((e) => e.stateName === 'Preflight' && e.type === 'StateFailed');
    expect(failures).toHaveLength(5);
    for (const failure of failures) {
      expect(failure.error).toBe('CloudProviderUnavailableError');
      expect(errorMessageOf(failure.cause)).toMatch(/^CloudWatch could not be read, so whether the alarms are in ALARM is unknown: cloudwatch DescribeAlarms failed: ECONNREFUSED/);
    }
    expect(await onlyRelease(runtime)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
  });

  it('an outage that outlasts every retry fails the release before the lock, saying CloudWatch could not be read', async () => {
    const runtime = await newRuntime({ alarms: alarmsWithOutage(() => true) });
    const execution = runtime.startRelease(releaseInput('v2'));
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'FAILED', error: 'CloudProviderUnavailableError' });
    expect(errorMessageOf(result.status === 'FAILED' ? result.cause : undefined)).toMatch(/^CloudWatch could not be read, so whether the alarms are in ALARM is unknown: /);
    // Every retry the ASL allows was spent on it: 1 attempt + 7 retries.
    expect(execution.history().filter((e) => e.stateName === 'Preflight' && e.type === 'StateFailed')).toHaveLength(8);
    expect((await runtime.ledger.listReleases(CHECKOUT)).items).toEqual([]);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    await runtime.settled();
    expect(runtime.reconcileErrors).toEqual([]);
  });
});
