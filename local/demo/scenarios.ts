/**
 * The demo's world: one service (checkout/prod, from the sample
 * configuration), its plan and alarms with time compressed, and the
 * scenarios — which version is released, how it behaves, and how its release
 * must end for the demo to exit 0.
 */
import type { RollgateConfigInput } from '../../functions/config.js';
import type { PlanInput } from '../../functions/domain/plan.js';
import type { ExecutionOverrides } from '../engine/index.js';
import { CHECKOUT_SERVICE, SAMPLE_SLACK } from '../sample-config.js';
import type { RouterAlarm } from '../sim/http-cloud.js';
import type { VersionServerBehaviour } from '../sim/version-server.js';

export const SERVICE = { service: 'checkout', environment: 'prod' } as const;
export const SERVICE_KEY = `${SERVICE.service}/${SERVICE.environment}`;
export const APPROVER = 'U01ALICE';
/** Dana, who starts the demo's releases with `rollgate`: the principal the control API verifies and records. */
export const DEMO_OPERATOR_ARN = 'arn:aws:iam::000000000000:user/dana';
/** Alice's own credentials, for `rollgate approve`: the plan's approval step names her principal as well as her Slack user. */
export const DEMO_APPROVER_ARN = 'arn:aws:iam::000000000000:user/alice';

/** Every bake lasts this long instead of its 300 s. */
export const BAKE_MS = 2_000;
/** Load through the router while a release runs. */
export const REQUESTS_PER_SECOND = 200;
/** CloudWatch periods are a minute at best; a quarter second here. */
export const ALARM_PERIOD_MS = 250;

export const PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 10, bakeSeconds: 300 },
    { type: 'traffic', weight: 50, bakeSeconds: 300 },
    { type: 'approval', approvers: { users: [APPROVER], principals: [DEMO_APPROVER_ARN] }, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 300 },
  ],
};

/** checkout/prod with a health gate short enough to fail a crashed fleet within a second, and the sample's Slack app. */
export const DEMO_CONFIG: RollgateConfigInput = {
  // Its configured plan keeps no approval floor, so the bench may compare PLAN with all-at-once.
  services: [{ ...CHECKOUT_SERVICE, plan: { steps: PLAN.steps.filter((step) => step.type !== 'approval') }, healthGate: { timeoutSeconds: 1, intervalSeconds: 1 }, terminationWaitSeconds: 60 }],
  slack: SAMPLE_SLACK,
};

export const OVERRIDES: ExecutionOverrides = {
  waitTimeOverrides: { WaitForHealth: 100, WaitForMigration: 100, TerminationWait: 300 },
  taskTimeoutOverrides: { Bake: BAKE_MS },
};

/** The service's two onboarded alarms, on what its router saw: 2 of 3 quarter-second datapoints over the threshold. */
export function demoAlarms(periodMs = ALARM_PERIOD_MS): RouterAlarm[] {
  const common = {
    service: SERVICE_KEY,
    periodMs,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    comparisonOperator: 'GreaterThanThreshold',
    // No requests to a target group (the idle one, or all of them between releases) is not a failure.
    treatMissingData: 'notBreaching',
  } as const;
  return [
    { ...common, alarmName: 'checkout-prod-5xx', metric: '5xx-rate', threshold: 5 },
    { ...common, alarmName: 'checkout-prod-p99-latency', metric: 'p99-latency', threshold: 500 },
  ];
}

export const SCENARIO_NAMES = ['good', 'bad', 'crash', 'migration-fails', 'reject'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export interface Scenario {
  readonly name: ScenarioName;
  readonly version: string;
  readonly story: string;
  readonly behaviour: VersionServerBehaviour;
  readonly migrationExitCode?: number;
  /**
   * What the approver does when asked (automatically, unless --interactive):
   * `rollgate approve`/`reject` with her own credentials (the control API),
   * click a button in Slack, or decide on the approval page, where a comment
   * can go with the decision (Slack's buttons carry none).
   */
  readonly approver: { readonly decision: 'APPROVED' | 'REJECTED'; readonly via: 'cli' | 'slack' | 'browser'; readonly comment?: string };
  /** How the release must end: its final status and the ledger's outcome. */
  readonly expected: { readonly status: string; readonly outcome: string; readonly reason: RegExp };
}

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  good: {
    name: 'good',
    version: 'v2',
    story: 'healthy: 10% -> 50% -> approval -> 100%, promoted',
    behaviour: { latencyMs: 2 },
    approver: { decision: 'APPROVED', via: 'cli' },
    expected: { status: 'SUCCEEDED', outcome: 'PROMOTED', reason: /^v2 promoted after 4 plan steps$/ },
  },
  bad: {
    name: 'bad',
    version: 'v3',
    story: 'answers 5xx on 20% of its requests: its alarm rolls it back',
    behaviour: { latencyMs: 2, errorRate: 0.2 },
    approver: { decision: 'APPROVED', via: 'slack' },
    expected: { status: 'ROLLED_BACK', outcome: 'ALARM', reason: /^checkout-prod-5xx in ALARM at step \d \(traffic \d+%\)$/ },
  },
  crash: {
    name: 'crash',
    version: 'v4',
    story: 'crashes on start: the health gate fails it, no traffic moves',
    behaviour: { crashOnStart: true },
    approver: { decision: 'APPROVED', via: 'slack' },
    expected: { status: 'FAILED', outcome: 'UNHEALTHY', reason: /not healthy by .*0\/2 healthy/ },
  },
  'migration-fails': {
    name: 'migration-fails',
    version: 'v5',
    story: 'its database migration exits 3: nothing is deployed',
    behaviour: {},
    migrationExitCode: 3,
    approver: { decision: 'APPROVED', via: 'slack' },
    expected: { status: 'FAILED', outcome: 'MIGRATION_FAILED', reason: /^migration failed \(exit code 3\)/ },
  },
  reject: {
    name: 'reject',
    version: 'v6',
    story: 'healthy, but the approver rejects it at 50%',
    behaviour: { latencyMs: 2 },
    approver: { decision: 'REJECTED', via: 'browser', comment: 'error budget is spent' },
    expected: { status: 'ROLLED_BACK', outcome: 'REJECTED', reason: /^rejected by U01ALICE/ },
  },
};
