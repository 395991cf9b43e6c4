/**
 * Release plans: the ordered steps a release goes through once its new fleet
 * is healthy. Pure; validated with zod so a bad plan is refused with the path
 * of the bad step (`steps.2.weight: ...`) before anything is touched.
 */
import * as z from 'zod';
import { ApproversSchema } from './approval.js';
import type { Weights } from './weights.js';

const DAY = 24 * 3600;

export const TrafficStepSchema = z.strictObject({
  type: z.literal('traffic'),
  /** Percent of traffic on the new fleet after this step. */
  weight: z.number().int('must be a whole percent').min(1, 'must be at least 1').max(100, 'must be at most 100'),
  /** How long to watch the alarms at this weight before the next step. */
  bakeSeconds: z.number().int().min(0).max(DAY).default(300),
});

export const ApprovalStepSchema = z.strictObject({
  type: z.literal('approval'),
  approvers: ApproversSchema,
  /** No decision within this time rolls the release back. */
  timeoutSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * DAY)
    .default(DAY),
});

export const PlanStepSchema = z.discriminatedUnion('type', [TrafficStepSchema, ApprovalStepSchema]);

/** A smoke check the dark canary must pass through the header route. */
export const SmokeCheckSchema = z.strictObject({
  path: z.string().max(512).regex(/^\/[^\s]*$/, 'must be an absolute path like /healthz'),
  expectStatus: z.number().int().min(100).max(599).default(200),
});

/** Pre-traffic verification: the new fleet reachable only with a header, smoke-checked. */
export const DarkCanarySchema = z.strictObject({
  headerName: z.string().regex(/^[A-Za-z0-9-]{1,40}$/, 'must be an HTTP header name of 1-40 characters'),
  headerValue: z.string().min(1).max(128),
  /** Listener rule priority of the header-routed rule (ALB: 1-50000). */
  priority: z.number().int().min(1).max(50_000),
  smokeChecks: z.array(SmokeCheckSchema).min(1, 'needs at least one smoke check').max(20),
});

/**
 * The most a plan may weigh, as JSON. The plan travels in the release's state
 * from step to step, and Step Functions caps a state at 256 KiB with
 * States.DataLimitExceeded, which no Catch catches (States.ALL does not match
 * it): a plan this size keeps the whole state under 64 KiB with every other
 * field at its largest (test/unit/state-size.test.ts).
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
 */
export const MAX_PLAN_BYTES = 16_384;

export const PlanSchema = z
  .strictObject({
    steps: z.array(PlanStepSchema).min(1, 'a plan needs at least one step').max(20, 'at most 20 steps'),
    darkCanary: DarkCanarySchema.optional(),
  })
  .superRefine((plan, ctx) => {
    const bytes = Buffer.byteLength(JSON.stringify(plan), 'utf8');
    if (bytes > MAX_PLAN_BYTES) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: `the plan is ${String(bytes)} bytes as JSON; at most ${String(MAX_PLAN_BYTES)} travel in the release's state` });
    }
    let previous = 0;
    let lastTraffic: number | undefined;
    plan.steps.forEach((step, index) => {
      if (step.type !== 'traffic') return;
      if (step.weight <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', index, 'weight'],
          message: `must be greater than the previous traffic step's ${previous}`,
        });
      }
      previous = step.weight;
      lastTraffic = index;
    });
    if (lastTraffic === undefined) {
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'needs at least one traffic step' });
    } else if (previous !== 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', lastTraffic, 'weight'],
        message: `the last traffic step must send 100% to the new fleet, not ${previous}`,
      });
    }
  });

export type TrafficStep = z.output<typeof TrafficStepSchema>;
export type ApprovalStep = z.output<typeof ApprovalStepSchema>;
export type PlanStep = z.output<typeof PlanStepSchema>;
export type Plan = z.output<typeof PlanSchema>;
export type PlanInput = z.input<typeof PlanSchema>;

/** The traffic split while a step at `weight` percent is in force. */
export function weightsFor(weight: number): Weights {
  return { stable: 100 - weight, canary: weight };
}

/** Everything back on the stable fleet. */
export const ALL_STABLE: Weights = { stable: 100, canary: 0 };

/** The weights in force before step `index`: those of the last traffic step before it. */
export function weightsBefore(plan: Plan, index: number): Weights {
  let weight = 0;
  for (const step of plan.steps.slice(0, index)) if (step.type === 'traffic') weight = step.weight;
  return weightsFor(weight);
}

/** A short name for a step, for the ledger and progress output. */
/** Who may decide an approval step, for people to read: its Slack users, groups and IAM principals. */
export function approverNames(step: ApprovalStep): string {
  return [...step.approvers.users, ...step.approvers.groups, ...(step.approvers.principals ?? [])].join(', ');
}

export function stepName(step: PlanStep): string {
  return step.type === 'traffic' ? `traffic ${step.weight}%` : 'approval';
}

/** The approval steps of a plan after step `index`, with their indexes: what a full promotion from there would pass. */
export function approvalStepsAfter(plan: Plan, index: number): { readonly index: number; readonly step: ApprovalStep }[] {
  return plan.steps.flatMap((step, i) => (i > index && step.type === 'approval' ? [{ index: i, step }] : []));
}
