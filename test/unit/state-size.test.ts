/**
 * The state a release carries from state to state, at its largest: Step
 * Functions refuses a state over 256 KiB with States.DataLimitExceeded, which
 * no Catch catches (States.ALL does not match it), so the execution would
 * fail with traffic wherever it was and the lock held. Every field is built
 * at the largest its schema (or Step Functions) accepts, and the whole state
 * must stay under a quarter of that.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.js';
import { MAX_PLAN_BYTES, PlanSchema } from '../../functions/domain/plan.js';
import { CursorSchema, DeploySchema, ReleaseContextSchema } from '../../functions/steps/step.js';
import { CHECKOUT_SERVICE, SAMPLE_SLACK } from '../../local/sample-config.js';
import { largestAlarms, largestPlan, planBytes } from './largest-release.js';

const KIB = 1024;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');
const fleet = (kind: 'ecs-task-set' | 'auto-scaling-group') => ({ kind, id: 'f'.repeat(512), targetGroup: 't'.repeat(512) });

describe('the largest release state', () => {
  it('fills the plan to its cap, and the configuration accepts that plan and the most alarm names', () => {
    const plan = largestPlan();
    expect(planBytes(plan)).toBeGreaterThan(MAX_PLAN_BYTES - 200);
    expect(planBytes(plan)).toBeLessThanOrEqual(MAX_PLAN_BYTES);
    const config = parseConfig({ services: [{ ...structuredClone(CHECKOUT_SERVICE), plan, alarms: largestAlarms() }], slack: SAMPLE_SLACK });
    expect(config.services[0]?.alarms.length).toBeGreaterThan(12);
  });

  it('stays under 64 KiB with every field at its largest, an error cause of 32,768 characters included', () => {
    const release = ReleaseContextSchema.parse({
      releaseId: '01JDV0Z8ZQ4W6S5X0M3K7N2P9R',
      service: 's'.repeat(63),
      environment: 'e'.repeat(63),
      version: 'v'.repeat(128),
      previousVersion: 'p'.repeat(256),
      commit: 'c'.repeat(128),
      author: 'a'.repeat(256),
      plan: PlanSchema.parse(largestPlan()),
      // An expedited release carries the alarms that fired when it started: at most all of them.
      ignoredAlarms: largestAlarms(),
      stableFleet: fleet('ecs-task-set'),
      canaryTargetGroupArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/${'t'.repeat(1986)}`,
      hasMigration: true,
      hasDarkCanary: true,
      pollSeconds: 15,
    });
    const state = {
      release,
      cursor: CursorSchema.parse({ next: 20, action: 'approval', stepIndex: 19, waitSeconds: 604_800 }),
      migration: { state: 'SUCCEEDED', taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/${'c'.repeat(255)}/${'0'.repeat(32)}`, deadline: '2030-01-01T00:00:00.000Z' },
      deploy: DeploySchema.parse({ fleet: fleet('ecs-task-set'), healthDeadline: '2030-01-01T00:00:00.000Z' }),
      health: { healthy: true, detail: 'd'.repeat(1024) },
      resumed: { decision: 'APPROVED', by: 'b'.repeat(256) },
      finalize: { terminationWaitSeconds: 86_400 },
      // Step Functions keeps at most 32,768 characters of a cause; its error name at most 256.
      error: { Error: 'E'.repeat(256), Cause: 'x'.repeat(32_768) },
      // The ledger takes a reason of at most 2,048 characters.
      rollback: { error: 'ReleaseFailed', status: 'ROLLED_BACK', outcome: 'ERROR', reason: 'r'.repeat(2048) },
    };
    expect(bytes(state.release.plan)).toBeLessThanOrEqual(MAX_PLAN_BYTES);
    expect(bytes(state)).toBeLessThan(64 * KIB);
  });
});
