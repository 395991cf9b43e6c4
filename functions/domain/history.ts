/**
 * The execution history of a release, counted the way Step Functions counts
 * it for a Standard workflow, so the configuration can refuse any loop bound
 * that could outgrow the 25,000-event history quota: an execution that hits
 * it fails outside every Catch, with traffic wherever it was and the lock
 * held. Pure.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-state-machine-executions
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */

/** Step Functions' quota of history events per Standard execution (not adjustable). */
export const HISTORY_EVENT_QUOTA = 25_000;

/**
 * The events one entry into a state writes, by how the state runs (the event
 * types of GetExecutionHistory).
 */
export const EVENTS_PER_ENTRY = {
  /** TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded (or Failed), TaskStateExited. */
  lambdaTask: 5,
  /** A `.waitForTaskToken` task: TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded (or Failed, TimedOut), TaskStateExited. */
  callbackTask: 6,
  /** ChoiceStateEntered, ChoiceStateExited. */
  choice: 2,
  /** WaitStateEntered, WaitStateExited. */
  wait: 2,
  /** SucceedStateEntered, SucceedStateExited. */
  succeed: 2,
  /** FailStateEntered (the ExecutionFailed after it is one of {@link EXECUTION_EVENTS}). */
  fail: 1,
} as const;

/** A failed attempt that a Retrier retries: its Scheduled, Started and Failed (or TimedOut) events. */
export const EVENTS_PER_RETRY = 3;

/** ExecutionStarted, and ExecutionSucceeded or ExecutionFailed. */
export const EXECUTION_EVENTS = 2;

/**
 * The most times the health gate and the migration poll may look (after the
 * first look): with both loops at this bound, the largest plan and a failed
 * attempt retried on every Task entry, a release stays under
 * {@link HISTORY_EVENT_QUOTA} with margin (test/unit/history.test.ts).
 */
export const MAX_POLLS = 240;

/** The plan steps as the history sees them. */
export type HistoryStep = { readonly type: 'traffic'; readonly bakeSeconds: number } | { readonly type: 'approval' };

/** One way through the release state machine (statemachines/release.asl.json). */
export interface ReleasePath {
  /** CheckMigration entries; undefined when the service has no migration. */
  readonly migrationChecks?: number | undefined;
  /** CheckHealth entries (at least 1). */
  readonly healthChecks: number;
  readonly darkCanary: boolean;
  readonly steps: readonly HistoryStep[];
  /** Released (Succeed), or rolled back from Finalize, the last state that can fail into Rollback. */
  readonly ending: 'released' | 'rolled-back-at-finalize';
  /** Failed attempts retried on every Task entry. @default 0 */
  readonly failedAttemptsPerTask?: number;
}

/** The history events of one way through the release state machine. */
export function releaseHistoryEvents(path: ReleasePath): number {
  const retries = (path.failedAttemptsPerTask ?? 0) * EVENTS_PER_RETRY;
  const task = EVENTS_PER_ENTRY.lambdaTask + retries;
  const callback = EVENTS_PER_ENTRY.callbackTask + retries;
  const { choice, wait, succeed, fail } = EVENTS_PER_ENTRY;

  let events = EXECUTION_EVENTS + task /* Preflight */ + choice; /* MigrationConfigured */
  if (path.migrationChecks !== undefined) {
    // StartMigration, MigrationFinished; then per check: WaitForMigration, CheckMigration, MigrationFinished.
    events += task + choice + path.migrationChecks * (wait + task + choice);
  }
  // Deploy; per check: CheckHealth, Healthy; a WaitForHealth between two checks.
  const healthChecks = Math.max(1, path.healthChecks);
  events += task + healthChecks * (task + choice) + (healthChecks - 1) * wait;
  events += choice; // DarkCanaryConfigured
  if (path.darkCanary) events += task;
  for (const step of path.steps) {
    // ShiftTraffic, NextAction, then Bake or Approval (a bake of 0 seconds goes straight back to ShiftTraffic).
    events += task + choice + (step.type === 'approval' || step.bakeSeconds > 0 ? callback : 0);
  }
  events += task + choice + task; // the last ShiftTraffic, NextAction, Finalize
  events += path.ending === 'released' ? wait + task + succeed /* TerminationWait, Retire, Released */ : task + fail; /* Rollback, RolledBack */
  return events;
}

/** CheckHealth entries at most: one now, one after each interval until the deadline has passed. */
export function maxPollChecks(timeoutSeconds: number, intervalSeconds: number): number {
  return Math.ceil(timeoutSeconds / intervalSeconds) + 1;
}

/** The most events any release of a service with these loops and this plan can write. */
export function worstCaseHistoryEvents(
  shape: {
    readonly healthGate: { readonly timeoutSeconds: number; readonly intervalSeconds: number };
    /** The migration's timeout; it is polled every `healthGate.intervalSeconds`. */
    readonly migrationTimeoutSeconds?: number | undefined;
    readonly darkCanary: boolean;
    readonly steps: readonly HistoryStep[];
  },
  failedAttemptsPerTask = 0,
): number {
  const { timeoutSeconds, intervalSeconds } = shape.healthGate;
  const path = {
    migrationChecks: shape.migrationTimeoutSeconds === undefined ? undefined : maxPollChecks(shape.migrationTimeoutSeconds, intervalSeconds),
    healthChecks: maxPollChecks(timeoutSeconds, intervalSeconds),
    darkCanary: shape.darkCanary,
    steps: shape.steps,
    failedAttemptsPerTask,
  };
  return Math.max(releaseHistoryEvents({ ...path, ending: 'released' }), releaseHistoryEvents({ ...path, ending: 'rolled-back-at-finalize' }));
}
