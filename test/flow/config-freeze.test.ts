/**
 * A release runs on the service configuration it started with: preflight
 * freezes it (and the revision) in the release record and the flow's
 * context. A configuration published mid-release — another plan, other
 * alarms — reaches the next release, never the one under way.
 */
import { describe, expect, it } from 'vitest';
import type { RollgateConfigInput } from '../../functions/config.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, flowConfig, newRuntime, recordCanaryWeights, releaseInput, until } from './flow-fixture.js';

/** Checkout's configured plan in {@link flowConfig}: 10 %, 50 %, 100 %. */
const STARTED_ON = [10, 50, 100];
const NEW_ALARM = 'checkout-prod-new-5xx';
const OLD_ALARM = 'checkout-prod-5xx';

/** flowConfig with checkout on one step to 100 % and alarmed by {@link NEW_ALARM} only. */
function changedConfig(): RollgateConfigInput {
  const config = flowConfig();
  const checkout = config.services[0];
  if (checkout === undefined) throw new Error('no checkout in the sample');
  checkout.plan = { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }] };
  checkout.alarms = [NEW_ALARM];
  return config;
}

/** Checkout's release on its configured plan (no override), once it is baking its first step. */
async function releaseInFirstBake(runtime: LocalRuntime, version: string) {
  const execution = runtime.startRelease({ ...releaseInput(version), plan: undefined });
  await until(async () => {
    const active = await runtime.ledger.getActiveRelease(CHECKOUT);
    return active?.waiting?.kind === 'BAKE' ? active : undefined;
  });
  return execution;
}

describe('a configuration published while a release runs', () => {
  it('leaves the release on its plan and alarms; the next release takes the new ones', async () => {
    const runtime = await newRuntime();
    const canary = recordCanaryWeights(runtime);
    const execution = await releaseInFirstBake(runtime, 'v2');

    expect((await runtime.publishConfig(changedConfig())).revision).toBe(2);
    // The new configuration's alarm fires: it was not the release's when it started, so nothing rolls back.
    runtime.cloud.alarmsFiring.add(NEW_ALARM);
    const [outcome] = await runtime.deliverAlarm(NEW_ALARM);
    expect(outcome).toMatchObject({ action: 'ignored', reason: expect.stringContaining(`${NEW_ALARM} was not an alarm of checkout/prod when release`) as string });
    expect(await runtime.ledger.getActiveRelease(CHECKOUT)).toMatchObject({ version: 'v2', status: 'SHIFTING' });

    const result = await execution.result;
    expect(result.status).toBe('SUCCEEDED');
    // The plan it started with, step by step (then finalize's verified 100 %), not the one-step plan published meanwhile.
    expect(canary).toEqual([...STARTED_ON, 100]);
    const v2 = (await runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === 'v2');
    expect(v2).toMatchObject({ version: 'v2', status: 'SUCCEEDED', configRevision: 1, serviceConfig: { alarms: [OLD_ALARM, 'checkout-prod-p99-latency'] } });

    // The next release starts on revision 2: its alarm firing now refuses it, and once quiet it takes the one-step plan.
    await expect(runtime.startRelease({ ...releaseInput('v3'), plan: undefined }).result).resolves.toMatchObject({ status: 'FAILED', error: 'AlarmsFiringError' });
    runtime.cloud.alarmsFiring.delete(NEW_ALARM);
    await expect(runtime.startRelease({ ...releaseInput('v4'), plan: undefined }).result).resolves.toMatchObject({ status: 'SUCCEEDED' });
    // v2 went to green, so v4 goes to blue: one traffic step there.
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    const v4 = (await runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === 'v4');
    expect(v4).toMatchObject({ configRevision: 2, serviceConfig: { alarms: [NEW_ALARM], plan: { steps: [{ weight: 100 }] } } });
    const weightSteps = async (release: { releaseId: string } | undefined) =>
      (await runtime.ledger.listEvents({ releaseId: release?.releaseId ?? '' })).filter((e) => e.type === 'WEIGHTS_SET').length;
    expect({ v2: await weightSteps(v2), v4: await weightSteps(v4) }).toEqual({ v2: STARTED_ON.length, v4: 1 });
  });

  it('still rolls the release back on an alarm the new configuration dropped', async () => {
    const runtime = await newRuntime();
    const execution = await releaseInFirstBake(runtime, 'v2');
    await runtime.publishConfig(changedConfig());
    // Dropped from the configuration, still the release's: the bake check reads the frozen alarms.
    runtime.cloud.alarmsFiring.add(OLD_ALARM);
    const result = await execution.result;
    expect(result.status).toBe('FAILED');
    const v2 = (await runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === 'v2');
    expect(v2).toMatchObject({ version: 'v2', status: 'ROLLED_BACK', configRevision: 1 });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
  });
});
