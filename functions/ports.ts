/**
 * The capabilities the release flow needs from the world. Each port has an
 * AWS adapter (functions/adapters/aws/) and a local one (local/sim/); the
 * domain and the handlers only ever see these interfaces.
 *
 * Every method is idempotent: Step Functions retries re-run steps, so a call
 * repeated with the same input converges on the same state and never makes a
 * second fleet, task, rule or migration.
 */
import type { FleetRef, Weights } from './ledger/records.js';
import type { Notification } from './domain/notifications.js';

export type { FleetRef, Weights };

// ───────────────────────────── Fleet ─────────────────────────────

/** Where a service's ECS fleets live (EXTERNAL deployment controller). */
export interface EcsFleetTarget {
  readonly kind: 'ecs';
  /** Cluster name or ARN. */
  readonly cluster: string;
  /** Service name or ARN; its deployment controller is EXTERNAL. */
  readonly service: string;
  /** The container whose image is the release's version. */
  readonly containerName: string;
  /** The container port registered in the target group. */
  readonly containerPort: number;
  /** The image repository URI; the version is a tag (`repo:tag`) or a digest (`repo@sha256:…`). */
  readonly imageRepository: string;
}

/** Where a service's Auto Scaling group fleets come from (one immutable group per release). */
export interface AsgFleetTarget {
  readonly kind: 'asg';
  /** Launch template id; the release's version is a launch-template version or an AMI id. */
  readonly launchTemplateId: string;
  /** Group names are `<groupNamePrefix>-<releaseId>`. */
  readonly groupNamePrefix: string;
  /** Subnets the instances go in. */
  readonly subnetIds: readonly string[];
}

export type FleetTarget = EcsFleetTarget | AsgFleetTarget;

export interface CreateFleetInput {
  readonly service: string;
  readonly environment: string;
  readonly releaseId: string;
  readonly version: string;
  readonly target: FleetTarget;
  /** The idle target group the new fleet registers in. */
  readonly targetGroupArn: string;
  /** The fleet taking traffic now; the new one is sized like it. */
  readonly current: FleetRef | undefined;
}

export interface FleetHealth {
  readonly healthy: boolean;
  /** Instances/tasks wanted, and how many are healthy in the target group. */
  readonly desired: number;
  readonly healthyCount: number;
  /** Human-readable state for the ledger and the logs. */
  readonly detail: string;
}

/** Immutable fleets: one per release, never modified in place. */
export interface Fleet {
  /** Creates the fleet for a release, or returns the one this release already created. */
  create(input: CreateFleetInput): Promise<FleetRef>;
  /** Whether every wanted task/instance is up and healthy in its target group. */
  health(target: FleetTarget, fleet: FleetRef): Promise<FleetHealth>;
  /** Marks the fleet as the service's primary (ECS: primary task set; ASG: nothing to do). */
  promote(target: FleetTarget, fleet: FleetRef): Promise<void>;
  /** Removes a fleet and its tasks/instances; a fleet already gone is success. */
  retire(target: FleetTarget, fleet: FleetRef): Promise<void>;
}

// ───────────────────────────── TrafficRouter ─────────────────────────────

/** The ALB listener (or listener rule) forwarding to the service's two target groups. */
export interface TrafficTarget {
  /** The service whose traffic it is: the rules rollgate makes are tagged with it (`rollgate:service`). */
  readonly service: string;
  readonly listenerArn: string;
  /** Set when the service's traffic is a listener rule, not the listener's default action. */
  readonly ruleArn?: string;
  /** Target-group stickiness, kept as configured on every change. */
  readonly stickiness?: { readonly enabled: boolean; readonly durationSeconds: number };
}

/** Which target group is which for one release. */
export interface TrafficSplit {
  readonly stableTargetGroupArn: string;
  readonly canaryTargetGroupArn: string;
}

/** A header-routed rule that reaches the canary only with a given header (dark canary). */
export interface HeaderRoute {
  readonly headerName: string;
  readonly headerValue: string;
  /** Listener rule priority of the dark-canary rule. */
  readonly priority: number;
}

export interface TrafficRouter {
  /** Sets the weights (percent) on both target groups in one full ForwardConfig. */
  setWeights(target: TrafficTarget, split: TrafficSplit, weights: Weights): Promise<void>;
  /** Reads the weights back (percent of the two groups). */
  getWeights(target: TrafficTarget, split: TrafficSplit): Promise<Weights>;
  /** Adds (or keeps) the header-routed rule to the canary target group. */
  setHeaderRoute(target: TrafficTarget, split: TrafficSplit, route: HeaderRoute): Promise<void>;
  /** Removes the header-routed rule; absent is success. */
  removeHeaderRoute(target: TrafficTarget, route: HeaderRoute): Promise<void>;
}

// ───────────────────────────── AlarmSource ─────────────────────────────

export interface AlarmSource {
  /** The names, among `alarmNames`, of alarms in ALARM now (metric and composite). */
  alarmsInAlarm(alarmNames: readonly string[]): Promise<string[]>;
}

// ───────────────────────────── Migrator ─────────────────────────────

/** The migration of a service: a one-off ECS task run with the release's image. */
export interface MigrationTarget {
  readonly cluster: string;
  readonly taskDefinition: string;
  readonly containerName: string;
  readonly imageRepository: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupIds: readonly string[];
  readonly command?: readonly string[];
}

export interface MigrationInput {
  /** The service migrated: its migration task is tagged with it (`rollgate:service`). */
  readonly service: string;
  readonly releaseId: string;
  readonly version: string;
  readonly target: MigrationTarget;
}

export type MigrationStatus =
  | { readonly state: 'RUNNING'; readonly taskArn: string }
  | { readonly state: 'SUCCEEDED'; readonly taskArn: string }
  | { readonly state: 'FAILED'; readonly taskArn: string; readonly exitCode: number | null; readonly reason: string };

export interface Migrator {
  /** Starts the migration task for a release, or finds the one already started for it. */
  start(input: MigrationInput): Promise<MigrationStatus>;
  /** Where the migration task is now; SUCCEEDED only on exit code 0 of the container. */
  status(input: MigrationInput, taskArn: string): Promise<MigrationStatus>;
  /** Stops the migration task (its timeout passed), saying why; a task already stopped or gone is success. */
  stop(input: MigrationInput, taskArn: string, reason: string): Promise<void>;
}

// ───────────────────────────── Callbacks ─────────────────────────────

/** Resuming a flow waiting on a task token (a bake or an approval). */
export interface Callbacks {
  /** Resumes the waiting task with `output`. */
  success(taskToken: string, output: Record<string, unknown>): Promise<void>;
  /** Fails the waiting task with a named error the ASL Catch lists use. */
  failure(taskToken: string, error: string, cause: string): Promise<void>;
}

// ───────────────────────────── SmokeChecker ─────────────────────────────

export interface SmokeCheck {
  readonly path: string;
  readonly expectStatus: number;
}

export interface SmokeResult {
  readonly path: string;
  readonly ok: boolean;
  /** The status received, or null when the request failed outright. */
  readonly status: number | null;
  readonly detail: string;
}

/** Requests through the service's public endpoint carrying the dark-canary header. */
export interface SmokeChecker {
  run(baseUrl: string, route: HeaderRoute, checks: readonly SmokeCheck[]): Promise<SmokeResult[]>;
}

// ───────────────────────────── Notifier ─────────────────────────────

/** What approvers are shown; never the task token. */
export interface ApprovalRequest {
  readonly approvalId: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly previousVersion: string | undefined;
  readonly commit: string | undefined;
  readonly author: string | undefined;
  readonly stepIndex: number;
  readonly weights: Weights | undefined;
  readonly expiresAt: string;
}

/** The approval channel (Slack in AWS). */
export interface Notifier {
  requestApproval(request: ApprovalRequest): Promise<void>;
}

// ───────────────────────────── Executions ─────────────────────────────

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** Whether a release's state machine execution is still alive (SFN DescribeExecution). */
export interface Executions {
  status(executionArn: string): Promise<ExecutionStatus | 'NOT_FOUND'>;
}

// ───────────────────────────── TrafficMetrics ─────────────────────────────

/**
 * A target group as its load balancer counts its traffic: the ALB's target
 * group metrics are per target group *and* load balancer, and the listener
 * (which the configuration names) belongs to exactly one load balancer.
 */
export interface TargetGroupRef {
  readonly targetGroupArn: string;
  /** A listener of the load balancer the traffic goes through. */
  readonly listenerArn: string;
}

/** What to read: the target groups, and the window cut into periods. */
export interface TrafficQuery {
  readonly targets: readonly TargetGroupRef[];
  /** Start of the first period (inclusive). Callers align it to `periodSeconds`, as CloudWatch aligns its periods. */
  readonly start: Date;
  /** End of the window (exclusive): the last period is the one that starts before it. */
  readonly end: Date;
  /** Length of one period, in seconds (CloudWatch: a multiple of 60, or 1/5/10/30 for high-resolution data). */
  readonly periodSeconds: number;
}

/**
 * What one target group served in one period. Counts are sums over the
 * period; latency is the target's response time (the ALB's
 * TargetResponseTime: from the request leaving the load balancer to the
 * target's answer), in milliseconds, and null when there was no request to
 * time.
 */
export interface TrafficPeriod {
  /** Start of the period; it lasts the query's `periodSeconds`. */
  readonly start: Date;
  /** Requests routed to the target group (RequestCount). */
  readonly requests: number;
  /** Of those, answered 5xx by a target (HTTPCode_Target_5XX_Count). */
  readonly errors5xx: number;
  /** Percentiles of the target response time, in ms; null without requests. */
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
}

/** One target group's periods: every period of the window, oldest first; a period nobody reported is 0 requests. */
export interface TargetGroupTraffic {
  readonly targetGroupArn: string;
  readonly periods: TrafficPeriod[];
}

/**
 * Request count, 5xx count and latency percentiles per target group and per
 * period: the stable and canary target groups of a release side by side, for
 * `rollgate watch`, the dashboard's charts (issue 15) and canary-vs-baseline
 * analysis (issue 17), which needs the raw counts (a rate needs its
 * denominator, a minimum-traffic rule its requests) and aligned periods.
 * AWS: CloudWatch GetMetricData on AWS/ApplicationELB; locally, what the
 * simulated router saw.
 */
export interface TrafficMetrics {
  /** One entry per target of the query, in its order. */
  read(query: TrafficQuery): Promise<TargetGroupTraffic[]>;
}

// ───────────────────────────── ReleaseEvents ─────────────────────────────

/**
 * Where release notifications go (functions/domain/notifications.ts): EventBridge
 * events (`source: rollgate`) on AWS, the service's Slack channel. Delivery is
 * at-least-once: a publish that throws is retried with the same notifications,
 * which consumers dedupe by `detail.eventId`.
 */
export interface ReleaseEvents {
  /** Delivers every notification, or throws (a retryable error) so the caller retries them all. */
  publish(notifications: readonly Notification[]): Promise<void>;
}
