/**
 * The largest plan and release state the schemas accept, for the quota tests
 * (history events, state size): every list at its longest, every string at
 * its longest, the plan filled with approvers up to its byte cap.
 */
import { MAX_ALARM_NAMES_BYTES } from '../../functions/config.js';
import { PlanSchema, type PlanInput } from '../../functions/domain/plan.js';

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

/** 20 steps (ten approvals, ten traffic steps with bakes), a dark canary with 20 smoke checks, approvers up to the plan's byte cap (MAX_PLAN_BYTES). */
export function largestPlan(): PlanInput {
  const steps: NonNullable<PlanInput['steps']> = [];
  for (let i = 1; i <= 10; i++) {
    steps.push({ type: 'approval', approvers: { users: [], groups: ['S'.padEnd(128, 'G')] }, timeoutSeconds: 7 * 86_400 });
    steps.push({ type: 'traffic', weight: i * 10, bakeSeconds: 86_400 });
  }
  const plan = {
    steps,
    darkCanary: {
      headerName: 'x'.repeat(40),
      headerValue: 'v'.repeat(128),
      priority: 50_000,
      smokeChecks: Array.from({ length: 20 }, (_, i) => ({ path: `/${String(i).padStart(2, '0')}`, expectStatus: 200 })),
    },
  } satisfies PlanInput;
  // Fill approvals with 128-character users, round-robin, while the plan stays within its cap.
  const approvals = steps.filter((s) => s.type === 'approval');
  for (let n = 0; ; n++) {
    const step = approvals[n % approvals.length];
    if (step?.approvers.users === undefined || step.approvers.users.length >= 100) break;
    const user = `U${String(n).padStart(127, '0')}`;
    step.approvers.users.push(user);
    // The parsed plan is what travels; the schema measures it with its defaults filled in.
    if (!PlanSchema.safeParse(plan).success) {
      step.approvers.users.pop();
      break;
    }
  }
  return plan;
}

/** As many 255-character alarm names as fit in {@link MAX_ALARM_NAMES_BYTES}. */
export function largestAlarms(): string[] {
  const names: string[] = [];
  for (let i = 0; i < 100; i++) {
    const name = `${String(i).padStart(3, '0')}${'a'.repeat(252)}`;
    if (bytes([...names, name]) > MAX_ALARM_NAMES_BYTES) break;
    names.push(name);
  }
  return names;
}

/** The plan's size as it travels (parsed, defaults filled in). */
export function planBytes(plan: PlanInput): number {
  return bytes(PlanSchema.parse(plan));
}
