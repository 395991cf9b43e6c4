/**
 * Whoever starts a release cannot weaken its approvals: a start input's plan
 * that drops, replaces or postpones an approval of the service's configured
 * plan is refused at preflight, before the lock, naming the step.
 */
import { describe, expect, it } from 'vitest';
import type { PlanInput } from '../../functions/domain/plan.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG } from '../../local/sample-config.js';
import { CHECKOUT, newRuntime, releaseInput } from './flow-fixture.js';

/** The sample configuration as is: checkout's plan asks ALICE, BOB or the release managers at 50%. */
const config = () => {
  const c = structuredClone(SAMPLE_CONFIG);
  const checkout = c.services[0];
  if (checkout !== undefined) delete checkout.migration;
  return c;
};
const t = (weight: number) => ({ type: 'traffic' as const, weight, bakeSeconds: 60 });
const configuredGate = CHECKOUT_SERVICE.plan.steps[2];

describe('the approval floor at preflight', () => {
  it.each<[string, PlanInput, string]>([
    ['drops the approval', { steps: [t(10), t(100)] }, 'release input: plan.steps.1: raises the new fleet to 100% first, but the configuration asks U01ALICE, U02BOB, S0RELEASEMGR'],
    ['names its own approver', { steps: [t(10), t(50), { type: 'approval', approvers: { users: ['U03DANA'] }, timeoutSeconds: 3600 }, t(100)] }, 'release input: plan.steps.2: asks U03DANA, but'],
    ['asks only after 75%', { steps: [t(10), t(75), configuredGate as PlanInput['steps'][number], t(100)] }, 'release input: plan.steps.1: raises the new fleet to 75% first'],
  ])('refuses a start input plan that %s, before the lock and before touching anything', async (_case, plan, message) => {
    const runtime = await newRuntime({ config: config() });
    const result = await runtime.startRelease(releaseInput('v2', { plan })).result;
    expect(result).toMatchObject({ status: 'FAILED', error: 'InvalidInputError' });
    expect(result.status === 'FAILED' ? result.cause : '').toContain(message);
    expect((await runtime.ledger.listRecentReleases()).items).toEqual([]);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect(runtime.cloud.calls.filter((c) => c !== 'alarms.inAlarm')).toEqual([]);
  });

  it('accepts a start input plan that asks the configured approvers earlier and adds a gate of its own', async () => {
    const runtime = await newRuntime({ config: config() });
    const plan: PlanInput = {
      steps: [t(10), { type: 'approval', approvers: { users: ['U09EXTRA'] }, timeoutSeconds: 3600 }, configuredGate as PlanInput['steps'][number], t(100)],
    };
    const execution = runtime.startRelease(releaseInput('v2', { plan }));
    const first = await (async () => {
      for (;;) {
        const request = runtime.cloud.approvalRequests[0];
        if (request !== undefined) return request;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await runtime.decide(first.approvalId, 'APPROVED', 'U09EXTRA');
    for (;;) {
      const second = runtime.cloud.approvalRequests[1];
      if (second !== undefined) {
        await runtime.decide(second.approvalId, 'APPROVED', 'U01ALICE');
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await execution.result).status).toBe('SUCCEEDED');
  });
});
