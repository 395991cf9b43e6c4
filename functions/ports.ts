/**
 * The capabilities the release flow needs from the world. Each port has an
 * AWS adapter (functions/adapters/aws/) and a local one (local/sim/); the
 * domain and the handlers only ever see these interfaces.
 *
 * Every method is idempotent: Step Functions retries re-run steps, so a call
 * repeated with the same input converges on the same state and never makes a
 * second fleet, task, rule or migration.
 */
import type { Approval, OpenApprovalMessage } from './domain/approval.js';
import type { FleetRef } from './domain/fleet.js';
import type { Weights } from './domain/weights.js';
import type { Notification } from './domain/notifications.js';
import type { Lock, Release, ReleaseRef } from './domain/release.js';
import type { ReleaseEvent } from './domain/release-event.js';
import type { Stable } from './domain/stable.js';
import type {
  AppendEventInput,
  ClaimRetirementInput,
  ClearWaitInput,
  CreateApprovalInput,
  DecideInput,
  FinishInput,
  ListOpenApprovalMessagesInput,
  ListRecentInput,
  ListReleasesInput,
  MarkApprovalExpiredInput,
  MarkPromoteFullInput,
  ProgressInput,
  RecordApprovalMessageInput,
  RecordFleetInput,
  RecordWaitInput,
  RenewLeaseInput,
  ReplaceApprovalTokenInput,
  SetStableInput,
  StartReleaseInput,
  TransitionInput,
} from './ledger/inputs.js';

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

// ───────────────────────────── Ledger ─────────────────────────────
//
// The durable record of every release, one small interface per store
// (functions/ledger/*-store.ts on DynamoDB). Every write that could race is
// conditional, and every refusal is a named error from errors.ts. Inputs are
// validated by the schemas in functions/ledger/inputs.ts: a bad one is an
// InvalidInputError naming the field.

/** One page of a listing; pass `cursor` back to get the next page. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}

/** A release's lifecycle: start (taking the lock), status changes, the end (releasing it), and reading releases back. */
export interface Releases {
  /**
   * Creates the release record (status PENDING) and takes the
   * service+environment lock in one transaction.
   *
   * @throws ReleaseInProgressError another release holds the lock (also when its
   *   lease expired, unless `takeover` is given).
   */
  startRelease(input: StartReleaseInput): Promise<Release>;
  /**
   * Moves a release from `from` to `to` (an active status) and records the
   * change in its audit log, in one transaction.
   *
   * @throws IllegalTransitionError `from -> to` is not a legal transition, or `to` is terminal (use {@link finishRelease}).
   * @throws StaleStatusError the release is no longer `from`.
   * @throws ReleaseNotFoundError
   */
  transition(input: TransitionInput): Promise<Release>;
  /**
   * Ends a release: sets the terminal status with its outcome and reason,
   * clears any wait, releases the lock, and records it — one transaction.
   * A release whose lock was taken over by another is closed without touching
   * the new holder's lock.
   *
   * @throws IllegalTransitionError `from -> status` is not legal.
   * @throws StaleStatusError the release is no longer `from`.
   * @throws LockNotOwnedError another release holds the lock and did not take it over from this one.
   */
  finishRelease(input: FinishInput): Promise<Release>;
  /** A release, or `undefined` if there is none with that id. */
  getRelease(ref: ReleaseRef): Promise<Release | undefined>;
  /** The release holding the service+environment lock, if any. */
  getActiveRelease(ref: { service: string; environment: string }): Promise<Release | undefined>;
  /** One service+environment's releases, newest first. */
  listReleases(input: ListReleasesInput): Promise<Page<Release>>;
  /** Releases across every service and environment, newest first. */
  listRecentReleases(input?: ListRecentInput): Promise<Page<Release>>;
}

/** The per-service+environment lock a running release holds under a lease. */
export interface ReleaseLocks {
  /** The lock of a service+environment, if a release holds it. */
  getLock(ref: { service: string; environment: string }): Promise<Lock | undefined>;
  /**
   * Extends the lock's lease; only the holder may.
   *
   * @throws LockNotOwnedError
   */
  renewLease(input: RenewLeaseInput): Promise<Lock>;
  /**
   * Releases the lock. Only the holder may; releasing a lock nobody holds is a
   * no-op so that a retried step stays harmless.
   *
   * @throws LockNotOwnedError another release holds the lock.
   */
  releaseLock(ref: ReleaseRef): Promise<void>;
}

/** What an active release records as it goes: its step and weights, its new fleet, the wait it is on, a full promotion asked for. */
export interface ReleaseProgress {
  /**
   * Records the step the release is on and the weights now in force.
   *
   * @throws ReleaseNotActiveError
   */
  recordProgress(input: ProgressInput): Promise<Release>;
  /**
   * Retire's claim, before it removes the old fleet: sets the current step to
   * `retire` (domain/release.ts RETIRE_STEP) while (and only while) the release
   * is FINALIZING, in one conditional write. A rollback after promotion is one
   * conditional write on the same item that refuses a claimed release
   * (`unlessStep: 'retire'`), so of the two exactly one wins: the old fleet is
   * never retired under a rollback that put traffic back on it. Idempotent for
   * a retried Retire.
   *
   * @throws ReleaseNotActiveError the release is no longer FINALIZING (rolled back, or already closed)
   */
  claimRetirement(input: ClaimRetirementInput): Promise<Release>;
  /**
   * Marks a release for full promotion (functions/approval/promotion.ts): its
   * next ShiftTraffic skips the remaining plan steps and hands over to Finalize.
   * Only while it shifts or waits for an approval; marking it again keeps
   * the last request (a retried click).
   *
   * @throws ReleaseNotActiveError the release is no longer SHIFTING or AWAITING_APPROVAL
   */
  markPromoteFull(input: MarkPromoteFullInput): Promise<Release>;
  /** Records the release's new fleet once it exists, so a rollback or the reconciler can remove it. */
  recordFleet(input: RecordFleetInput): Promise<Release>;
  /** Records the task token of the bake or approval the release now waits on. */
  recordWait(input: RecordWaitInput): Promise<Release>;
  /**
   * Clears the recorded wait if it is the given token's. Clearing when nothing
   * is recorded is a no-op (a retried step stays harmless).
   *
   * @throws WaitTokenMismatchError the release waits on another token.
   */
  clearWait(input: ClearWaitInput): Promise<Release>;
}

/** A release's audit log: append-only, deduplicated by event id. */
export interface AuditLog {
  /**
   * Appends an event to a release's audit log. The same event id twice is
   * stored once; `stored` tells which happened.
   */
  appendEvent(input: AppendEventInput): Promise<{ stored: boolean; event: ReleaseEvent }>;
  /** A release's audit log, oldest first. */
  listEvents(input: { releaseId: string }): Promise<ReleaseEvent[]>;
}

/** The version and fleet taking traffic for each service+environment. */
export interface StableVersions {
  /** The version and fleet taking traffic for a service+environment. */
  getStable(ref: { service: string; environment: string }): Promise<Stable | undefined>;
  /**
   * Records the stable version and fleet. With `releaseId`, only the release
   * holding the lock may; without (onboarding), only while no release runs.
   *
   * @throws LockNotOwnedError
   */
  setStable(input: SetStableInput): Promise<Stable>;
  /**
   * Puts back what was stable before `releaseId` recorded itself stable (a
   * release rolled back after Finalize). Only the lock holder may; a stable
   * record that is not this release's is left as it is.
   *
   * @returns the stable record now in force
   * @throws LockNotOwnedError
   */
  revertStable(ref: ReleaseRef): Promise<Stable | undefined>;
}

/** Approvals: created with an opaque id, decided once, delivered to the flow, expired. */
export interface Approvals {
  /**
   * Creates a pending approval with an opaque random id. The task token stays
   * in the ledger: only the id is ever shown to people.
   */
  createApproval(input: CreateApprovalInput): Promise<Approval>;
  /** An approval, or `undefined`. */
  getApproval(approvalId: string): Promise<Approval | undefined>;
  /**
   * Decides an approval, once, and records the decision in the release's
   * audit log in the same transaction. Whether `by` may decide is the caller's
   * policy; the ledger makes sure only one decision ever lands.
   *
   * @throws AlreadyDecidedError carrying the earlier decision.
   * @throws AlreadyEndorsedError `by` already approved toward the quorum.
   * @throws ApprovalExpiredError the approval expired undecided.
   * @throws ApprovalNotFoundError
   */
  decideApproval(input: DecideInput): Promise<Approval>;
  /**
   * Records that the approval's decision reached the flow (the task token was
   * answered). Recording again returns the approval as it is. The flow's
   * answer is the truth: should a concurrent attempt have marked the decision
   * undelivered in between (its own send found the token already answered —
   * by this delivery), that mark is taken back.
   *
   * @throws ApprovalNotFoundError
   * @throws InvalidInputError the approval has no decision to deliver.
   */
  markApprovalDelivered(approvalId: string): Promise<Approval>;
  /**
   * Points an undecided, unexpired approval at a new task token. Step
   * Functions gives a retried callback task a new token and the old one dies
   * with the failed attempt; the retried approval step keeps asking the same
   * approval (same id, same Slack message, same deadline) instead of opening
   * a second one.
   *
   * @returns the approval with the new token, or `undefined` when it can no
   *   longer take one (decided, expired, gone, or its token is no longer
   *   `previousTaskToken`): the caller opens a new approval.
   */
  replaceApprovalToken(input: ReplaceApprovalTokenInput): Promise<Approval | undefined>;
  /**
   * Marks an approval as no longer deciding anything: it timed out, or the
   * release stopped waiting on it. Recorded once, with an APPROVAL_EXPIRED
   * audit event in the same transaction; marking again returns the approval
   * as it is. An approval already decided can still be marked: its decision
   * arrived after the task had closed and changed nothing.
   *
   * @throws ApprovalNotFoundError
   */
  markApprovalExpired(input: MarkApprovalExpiredInput): Promise<Approval>;
}

/** The Slack messages that ask for approvals, and the sweeper's list of those it still has work on. */
export interface ApprovalMessages {
  /**
   * Records the Slack message that asks for the decision, and lists the
   * approval among those whose message still has buttons (see
   * {@link listOpenApprovalMessages}), in one transaction. A message is
   * recorded once: recording again returns the approval with the first one.
   *
   * @throws ApprovalNotFoundError
   */
  recordApprovalMessage(input: RecordApprovalMessageInput): Promise<Approval>;
  /**
   * Approvals the sweeper still has work on, soonest expiry first: every
   * approval from its creation until its Slack message shows the outcome (or,
   * never posted, until it ends) — a request to post, a decision to deliver,
   * a message to update once decided, expired, or no longer mattering.
   */
  listOpenApprovalMessages(input?: ListOpenApprovalMessagesInput): Promise<OpenApprovalMessage[]>;
  /** Takes an approval off the open-message list once its Slack message shows the outcome; absent is success. */
  closeApprovalMessage(approval: { approvalId: string; expiresAt: string }): Promise<void>;
}

/**
 * The release ledger: every store behind one port, so a step, the control
 * API or the local runtime takes one `ledger` and calls what it needs. On AWS
 * (and on DynamoDB Local) it is functions/ledger/dynamodb-ledger.ts.
 */
export interface Ledger extends Releases, ReleaseLocks, ReleaseProgress, AuditLog, StableVersions, Approvals, ApprovalMessages {}
