import { describe, expect, it } from 'vitest';
import { PlanSchema, type PlanInput } from '../../functions/domain/plan.js';
import { planFloorViolation } from '../../functions/domain/plan-floor.js';

const t = (weight: number) => ({ type: 'traffic' as const, weight, bakeSeconds: 60 });
const a = (users: string[], groups: string[] = [], timeoutSeconds = 3600) => ({ type: 'approval' as const, approvers: { users, groups }, timeoutSeconds });
const plan = (...steps: PlanInput['steps']) => PlanSchema.parse({ steps });

/** checkout's configured plan: 10%, 50%, the release managers' approval, 100%. */
const CONFIGURED = plan(t(10), t(50), a(['U01ALICE', 'U02BOB'], ['S0MGR']), t(100));
const GATE = a(['U01ALICE', 'U02BOB'], ['S0MGR']);

describe('the approval floor of a start input plan', () => {
  it.each<[string, ReturnType<typeof plan>]>([
    ['the configured plan itself', CONFIGURED],
    ['the same gate with the approvers in another order', plan(t(10), t(50), a(['U02BOB', 'U01ALICE'], ['S0MGR']), t(100))],
    ['the gate asked earlier, at 10%', plan(t(10), GATE, t(50), t(100))],
    ['the gate asked before any traffic', plan(GATE, t(100))],
    ['the gate at 50% with other traffic steps', plan(t(25), t(50), GATE, t(75), t(100))],
    ['an added gate with any approvers, before the configured one', plan(t(10), a(['U09MALLORY']), t(50), GATE, t(100))],
    ['an added gate after the configured one', plan(t(10), t(50), GATE, a(['U09MALLORY']), t(100))],
    ['another timeout (a timeout only rolls back)', plan(t(10), t(50), a(['U01ALICE', 'U02BOB'], ['S0MGR'], 60), t(100))],
  ])('accepts %s', (_case, override) => {
    expect(planFloorViolation(CONFIGURED, override)).toBeUndefined();
  });

  it.each<[string, ReturnType<typeof plan>, string, RegExp]>([
    ['no approval at all', plan(t(10), t(100)), 'plan.steps.1', /raises the new fleet to 100% first.*U01ALICE, U02BOB, S0MGR.*50%/],
    ['its own approver instead', plan(t(10), t(50), a(['U03DANA']), t(100)), 'plan.steps.2', /asks U03DANA, but the configuration asks U01ALICE, U02BOB, S0MGR/],
    ['an approver added to the gate', plan(t(10), t(50), a(['U01ALICE', 'U02BOB', 'U03DANA'], ['S0MGR']), t(100)), 'plan.steps.2', /asks U01ALICE, U02BOB, U03DANA, S0MGR/],
    ['an approver dropped from the gate', plan(t(10), t(50), a(['U01ALICE'], ['S0MGR']), t(100)), 'plan.steps.2', /asks U01ALICE, S0MGR/],
    ['the group dropped', plan(t(10), t(50), a(['U01ALICE', 'U02BOB']), t(100)), 'plan.steps.2', /asks U01ALICE, U02BOB, but/],
    ['the gate postponed past 50%', plan(t(10), t(60), GATE, t(100)), 'plan.steps.1', /raises the new fleet to 60% first/],
    ['the gate moved after 100%', plan(t(10), t(100), GATE), 'plan.steps.1', /raises the new fleet to 100% first/],
  ])('refuses %s, naming the step', (_case, override, field, problem) => {
    const violation = planFloorViolation(CONFIGURED, override);
    expect(violation?.field).toBe(field);
    expect(violation?.problem).toMatch(problem);
  });

  it('needs one override gate per configured gate, in order', () => {
    const twoGates = plan(t(10), a(['U01ALICE']), t(50), a(['S0MGR']), t(100));
    expect(planFloorViolation(twoGates, twoGates)).toBeUndefined();
    expect(planFloorViolation(twoGates, plan(a(['U01ALICE']), a(['S0MGR']), t(100)))).toBeUndefined();
    // One gate cannot stand in for two.
    expect(planFloorViolation(twoGates, plan(t(10), a(['U01ALICE']), t(100)))).toMatchObject({ field: 'plan.steps.2' });
    // Swapped: S0MGR is asked at 10%, fine, but U01ALICE then only at 50%, later than her configured 10%.
    expect(planFloorViolation(twoGates, plan(t(10), a(['S0MGR']), t(50), a(['U01ALICE']), t(100)))).toMatchObject({ field: 'plan.steps.1' });
  });

  it('names plan.steps when a gate at full traffic is missing', () => {
    const last = plan(t(10), t(100), a(['U01ALICE']));
    expect(planFloorViolation(last, plan(t(10), t(100)))).toMatchObject({ field: 'plan.steps', problem: expect.stringMatching(/has no approval by U01ALICE/) as string });
    expect(planFloorViolation(last, plan(t(100), a(['U01ALICE'])))).toBeUndefined();
  });

  it('sets no floor for a service whose plan has no approval', () => {
    expect(planFloorViolation(plan(t(10), t(100)), plan(t(100)))).toBeUndefined();
  });
});
