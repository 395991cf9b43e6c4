import { describe, expect, it } from 'vitest';
import { PlanSchema, weightsBefore, weightsFor, type PlanInput } from '../../functions/domain/plan.js';
import { parseInput } from '../../functions/validation.js';

const approval = { type: 'approval' as const, approvers: { users: ['U01ALICE'] } };
const manyApprovers = { ...approval, approvers: { users: Array.from({ length: 100 }, (_, i) => `U${String(i).padStart(127, '0')}`) } };
const traffic = (weight: number, bakeSeconds = 60) => ({ type: 'traffic', weight, bakeSeconds }) as const;

function planError(plan: unknown): { field: string; message: string } {
  try {
    parseInput(PlanSchema, plan, 'plan');
  } catch (error) {
    return { field: (error as { field: string }).field, message: (error as Error).message };
  }
  throw new Error('plan was accepted');
}

describe('plan validation', () => {
  it('accepts a canary plan with an approval and fills in defaults', () => {
    const plan = parseInput(PlanSchema, { steps: [traffic(10), traffic(50), approval, { type: 'traffic', weight: 100 }] } satisfies PlanInput, 'plan');
    expect(plan.steps).toEqual([
      { type: 'traffic', weight: 10, bakeSeconds: 60 },
      { type: 'traffic', weight: 50, bakeSeconds: 60 },
      { type: 'approval', approvers: { users: ['U01ALICE'], groups: [] }, timeoutSeconds: 86_400 },
      { type: 'traffic', weight: 100, bakeSeconds: 300 },
    ]);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a weight that does not increase', { steps: [traffic(50), traffic(50), traffic(100)] }, 'steps.1.weight', /greater than the previous traffic step's 50/],
    ['a weight that goes down', { steps: [traffic(20), approval, traffic(10), traffic(100)] }, 'steps.2.weight', /greater than the previous traffic step's 20/],
    ['a last traffic step below 100', { steps: [traffic(10), traffic(50), approval] }, 'steps.1.weight', /must send 100% to the new fleet, not 50/],
    ['a weight of 0', { steps: [traffic(0), traffic(100)] }, 'steps.0.weight', /at least 1/],
    ['a weight above 100', { steps: [traffic(10), traffic(101)] }, 'steps.1.weight', /at most 100/],
    ['a fractional weight', { steps: [traffic(12.5), traffic(100)] }, 'steps.0.weight', /whole percent/],
    ['no traffic step', { steps: [approval] }, 'steps', /at least one traffic step/],
    ['no steps', { steps: [] }, 'steps', /at least one step/],
    ['an unknown step type', { steps: [{ type: 'pause', seconds: 5 }, traffic(100)] }, 'steps.0.type', /./],
    ['an approval without approvers', { steps: [{ type: 'approval', approvers: {} }, traffic(100)] }, 'steps.0.approvers', /at least one approver/],
    ['an approval timeout under a minute', { steps: [{ ...approval, timeoutSeconds: 5 }, traffic(100)] }, 'steps.0.timeoutSeconds', /./],
    ['a negative bake', { steps: [traffic(100, -1)] }, 'steps.0.bakeSeconds', /./],
    ['a dark canary without smoke checks', { steps: [traffic(100)], darkCanary: { headerName: 'x-canary', headerValue: '1', priority: 10, smokeChecks: [] } }, 'darkCanary.smokeChecks', /at least one smoke check/],
    ['a smoke check path over 512 characters', { steps: [traffic(100)], darkCanary: { headerName: 'x-canary', headerValue: '1', priority: 10, smokeChecks: [{ path: `/${'a'.repeat(512)}` }] } }, 'darkCanary.smokeChecks.0.path', /<=512/],
    ['a plan over 16 KiB as JSON (the release state carries it)', { steps: [manyApprovers, traffic(50), manyApprovers, traffic(100)] }, 'steps', /the plan is \d+ bytes as JSON; at most 16384/],
  ])('refuses %s, naming the step', (_, plan, field, message) => {
    const error = planError(plan);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});

describe('weights of a plan', () => {
  it('puts the step weight on the canary and the rest on stable', () => {
    expect(weightsFor(10)).toEqual({ stable: 90, canary: 10 });
    expect(weightsFor(100)).toEqual({ stable: 0, canary: 100 });
  });

  it('knows the weights in force before each step', () => {
    const plan = parseInput(PlanSchema, { steps: [traffic(10), approval, traffic(60), traffic(100)] }, 'plan');
    expect([0, 1, 2, 3, 4].map((i) => weightsBefore(plan, i).canary)).toEqual([0, 10, 10, 60, 100]);
  });
});
