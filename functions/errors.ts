/**
 * The named errors of rollgate. Every refusal the domain, the ledger or an
 * adapter can make is one of these classes; each sets `name` to its class name
 * so the state machine's Catch/Retry lists can use it verbatim (Lambda reports
 * `errorType` from `name`), and each keeps the underlying `cause`.
 */

/** Base class of every rollgate error. */
export class RollgateError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error's name and message for a log line (rollgate's errors carry no tokens). */
export function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}

/** An input failed validation; `field` is the dotted path of the bad field. */
export class InvalidInputError extends RollgateError {
  public constructor(
    public readonly operation: string,
    public readonly field: string,
    public readonly problem: string,
  ) {
    super(`${operation}: ${field === '' ? 'input' : field}: ${problem}`);
  }
}

/** Another release holds the service+environment lock. */
export class ReleaseInProgressError extends RollgateError {
  public constructor(
    public readonly service: string,
    public readonly environment: string,
    public readonly activeReleaseId: string,
    public readonly leaseExpiresAt: string,
    leaseExpired: boolean,
  ) {
    super(
      `release ${activeReleaseId} is in progress for ${service}/${environment}` +
        (leaseExpired
          ? ` (its lease expired at ${leaseExpiresAt}; start with a takeover to replace it)`
          : ` (lease valid until ${leaseExpiresAt})`),
    );
  }
}

/** The requested status change is not one of the legal transitions. */
export class IllegalTransitionError extends RollgateError {
  public constructor(
    public readonly from: string,
    public readonly to: string,
  ) {
    super(`illegal status transition ${from} -> ${to}`);
  }
}

/** A writer expected a status that is no longer the release's current one. */
export class StaleStatusError extends RollgateError {
  public constructor(
    public readonly releaseId: string,
    public readonly expected: string,
    public readonly actual: string,
  ) {
    super(`release ${releaseId} is ${actual}, not ${expected} as the writer expected`);
  }
}

/** The release does not exist. */
export class ReleaseNotFoundError extends RollgateError {
  public constructor(public readonly releaseId: string) {
    super(`release ${releaseId} not found`);
  }
}

/** The release has ended; it can no longer be changed. */
export class ReleaseNotActiveError extends RollgateError {
  public constructor(
    public readonly releaseId: string,
    public readonly status: string,
  ) {
    super(`release ${releaseId} is ${status} and can no longer be changed`);
  }
}

/** Neither the stable fleet nor the new one exists: a rollback has nowhere safe to send traffic. */
export class NoLiveFleetError extends RollgateError {
  public constructor(
    public readonly releaseId: string,
    public readonly fleets: readonly string[],
  ) {
    super(`release ${releaseId}: none of ${fleets.join(', ')} exists with a healthy target; traffic is left as it is`);
  }
}

/** Only the release that holds a lock may release it. */
export class LockNotOwnedError extends RollgateError {
  public constructor(
    public readonly releaseId: string,
    public readonly holderReleaseId: string | undefined,
  ) {
    super(
      holderReleaseId === undefined
        ? `release ${releaseId} does not hold the lock`
        : `release ${releaseId} does not hold the lock; ${holderReleaseId} does`,
    );
  }
}

/** A waiting task token to clear is not the one the release records. */
export class WaitTokenMismatchError extends RollgateError {
  public constructor(public readonly releaseId: string) {
    super(`release ${releaseId} is not waiting on that task token`);
  }
}

/** DynamoDB kept cancelling a transaction on conflicting writes. */
export class LedgerConflictError extends RollgateError {
  public constructor(operation: string, attempts: number, options?: { cause?: unknown }) {
    super(`${operation}: transaction conflicted ${attempts} times; giving up`, options);
  }
}

/** A pagination cursor that this query did not produce. */
export class InvalidCursorError extends RollgateError {
  public constructor(reason: string) {
    super(`invalid cursor: ${reason}`);
  }
}

/** The approval does not exist (or its record has expired away). */
export class ApprovalNotFoundError extends RollgateError {
  public constructor(public readonly approvalId: string) {
    super(`approval ${approvalId} not found`);
  }
}

/** This approver already approved; the policy wants another, distinct approver too. */
export class AlreadyEndorsedError extends RollgateError {
  public constructor(
    public readonly approvalId: string,
    public readonly by: string,
  ) {
    super(`${by} already approved approval ${approvalId}; it needs another, distinct approver`);
  }
}

/** The approval was already decided; `decision` is the earlier decision. */
export class AlreadyDecidedError extends RollgateError {
  public constructor(
    public readonly approvalId: string,
    public readonly decision: { readonly outcome: string; readonly by: string; readonly at: string },
  ) {
    super(
      `approval ${approvalId} was already ${decision.outcome.toLowerCase()} by ${decision.by} at ${decision.at}`,
    );
  }
}

/** The approval expired before it was decided. */
export class ApprovalExpiredError extends RollgateError {
  public constructor(
    public readonly approvalId: string,
    public readonly expiresAt: string,
  ) {
    super(`approval ${approvalId} expired at ${expiresAt}`);
  }
}

/** An item read from the ledger does not have the shape rollgate wrote. */
export class CorruptRecordError extends RollgateError {
  public constructor(
    public readonly key: string,
    public readonly problem: string,
  ) {
    super(`ledger item ${key} is malformed: ${problem}`);
  }
}

/** The service+environment is not onboarded (without an environment: the service is onboarded in none). */
export class UnknownServiceError extends RollgateError {
  public constructor(
    public readonly service: string,
    public readonly environment: string | undefined,
    known: readonly string[],
  ) {
    super(
      (environment === undefined ? `${service} is not an onboarded service` : `${service}/${environment} is not an onboarded service+environment`) +
        (known.length === 0 ? '' : ` (onboarded: ${known.join(', ')})`),
    );
  }
}

// ───────────────────────────── the release flow ─────────────────────────────

/** The service+environment has no stable version recorded; onboard it first. */
export class NoStableVersionError extends RollgateError {
  public constructor(service: string, environment: string) {
    super(`${service}/${environment} has no stable version recorded: record the version and fleet taking traffic now before the first release`);
  }
}

/** Alarms of the service are already in ALARM at preflight (and the release is not expedited). */
export class AlarmsFiringError extends RollgateError {
  public constructor(public readonly alarmNames: readonly string[]) {
    super(`alarms already in ALARM: ${alarmNames.join(', ')}; fix them or start the release with expedite`);
  }
}

/** An alarm went to ALARM during the release. */
export class AlarmFiredError extends RollgateError {
  public constructor(public readonly alarmNames: readonly string[], where: string) {
    super(`${alarmNames.join(', ')} in ALARM ${where}`);
  }
}

/** The migration task did not exit 0. */
export class MigrationFailedError extends RollgateError {
  public constructor(
    public readonly exitCode: number | null,
    reason: string,
  ) {
    super(`migration failed (exit code ${exitCode === null ? 'none' : String(exitCode)}): ${reason}`);
  }
}

/** The migration task was still running at its timeout (`migration.timeoutSeconds`); it was stopped. */
export class MigrationTimedOutError extends RollgateError {
  public constructor(
    public readonly taskArn: string,
    public readonly timeoutSeconds: number,
    public readonly deadline: string,
  ) {
    super(`migration task ${taskArn} still running ${String(timeoutSeconds)} s after it started (deadline ${deadline}); it was stopped`);
  }
}

/** The new fleet did not become healthy within the health gate. */
export class FleetUnhealthyError extends RollgateError {}

/** A dark-canary smoke check failed. */
export class SmokeCheckFailedError extends RollgateError {}

/** An approver rejected the release. */
export class ApprovalRejectedError extends RollgateError {}

/** Someone aborted the release. */
export class ReleaseAbortedError extends RollgateError {}

/** The release was put into ROLLING_BACK out of band (alarm handler, abort) while a step ran. */
export class RollbackRequestedError extends RollgateError {}

/**
 * The release was rolled back on request during its termination wait, after
 * promotion: Retire finds it closed and ends the execution with this error
 * instead of retiring the old fleet, which takes traffic again.
 */
export class RolledBackOnRequestError extends RollgateError {}

// ───────────────────────────── rollback (control API) ─────────────────────────────

/**
 * A rollback of a release can no longer flip traffic back: its old fleet is
 * retired (or being retired) after the termination wait. A rollback to an
 * earlier version (`rollback --to <version>`) releases it again instead.
 */
export class RollbackWindowClosedError extends RollgateError {
  public constructor(
    public readonly releaseId: string,
    public readonly previousVersion: string | undefined,
    why: string,
  ) {
    super(`release ${releaseId} can no longer be rolled back in place: ${why}; use \`rollback --to ${previousVersion ?? '<version>'}\` to release the earlier version again`);
  }
}

/** A rollback to a version was asked for, but no version that ran before the current one is known. */
export class NoEarlierVersionError extends RollgateError {
  public constructor(
    public readonly service: string,
    public readonly environment: string,
    public readonly version: string | undefined,
  ) {
    super(
      version === undefined
        ? `no earlier version of ${service}/${environment} is known (neither the stable record nor the release history names one): pass --to <version>`
        : `version ${version} never ran in ${service}/${environment} (it is neither the previous stable version nor one a release shipped)`,
    );
  }
}

/** A rollback to the version that is stable already: there is nothing to roll back to. */
export class AlreadyStableVersionError extends RollgateError {
  public constructor(
    public readonly service: string,
    public readonly environment: string,
    public readonly version: string,
  ) {
    super(`${version} is already the stable version of ${service}/${environment}`);
  }
}

// ───────────────────────────── adapters ─────────────────────────────

/**
 * The task token no longer waits: it timed out, its execution ended, it was
 * already used, or it is not a token (Step Functions TaskTimedOut,
 * TaskDoesNotExist, InvalidToken).
 */
export class TaskAlreadyClosedError extends RollgateError {
  public constructor(reason: string, options?: { cause?: unknown }) {
    super(`the waiting task is already closed: ${reason}`, options);
  }
}

/** Weights read back after a change are not the weights that were set. */
export class WeightsNotAppliedError extends RollgateError {
  public constructor(
    public readonly expected: { readonly stable: number; readonly canary: number },
    public readonly actual: { readonly stable: number; readonly canary: number },
  ) {
    super(
      `weights read back as ${actual.stable}/${actual.canary} (stable/canary), expected ${expected.stable}/${expected.canary}`,
    );
  }
}

/** A routing configuration the load balancer cannot take (beyond ALB limits or malformed). */
export class TrafficConfigError extends RollgateError {}

/**
 * A cloud API refused a call for a reason retries will not fix. `summary`, when
 * given, leads the message with what the failure means to a release (e.g.
 * "CloudWatch could not be read").
 */
export class CloudProviderError extends RollgateError {
  public constructor(
    public readonly service: string,
    public readonly operation: string,
    public readonly code: string,
    message: string,
    options?: { cause?: unknown; summary?: string },
  ) {
    super(`${options?.summary === undefined ? '' : `${options.summary}: `}${service} ${operation} failed: ${code}: ${message}`, options);
  }
}

/**
 * A cloud API kept failing for a reason that may pass (throttling, a server
 * fault, a network error) after the client's own retries were exhausted. The
 * state machine may retry this one; every other {@link CloudProviderError} is final.
 */
export class CloudProviderUnavailableError extends CloudProviderError {}

/**
 * The ledger's DynamoDB table kept failing for a reason that may pass
 * (throttling, a server fault, a timeout, a refused or reset connection) after
 * the client's own retries. A {@link CloudProviderUnavailableError} with service
 * `dynamodb`, named apart so the state machine's Retry lists and a failed
 * execution's error say which dependency was down.
 */
export class LedgerUnavailableError extends CloudProviderUnavailableError {
  public constructor(operation: string, code: string, message: string, options?: { cause?: unknown }) {
    super('dynamodb', operation, code, message, { ...options, summary: 'the ledger (DynamoDB) could not be reached' });
  }
}

/**
 * A fleet (or the migration task) cannot be created as configured: nothing to
 * copy from, a container missing from the task definition, an unusable version.
 */
export class FleetConfigError extends RollgateError {}

/** The fleet (ECS task set or Auto Scaling group) does not exist. */
export class FleetNotFoundError extends RollgateError {
  public constructor(
    public readonly fleetId: string,
    options?: { cause?: unknown },
  ) {
    super(`fleet ${fleetId} not found`, options);
  }
}

/** The migration task does not exist (never started, or stopped too long ago for ECS to remember). */
export class MigrationTaskNotFoundError extends RollgateError {
  public constructor(
    public readonly taskArn: string,
    options?: { cause?: unknown },
  ) {
    super(`migration task ${taskArn} not found`, options);
  }
}

// ───────────────────────────── local engine ─────────────────────────────

/**
 * A state machine definition the local engine cannot run: not valid ASL, a Task
 * resource it does not know, or a Lambda function no handler was given for.
 * Raised before any execution starts, naming the state at fault.
 */
export class StateMachineDefinitionError extends RollgateError {
  public constructor(
    public readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`state machine definition: ${problem}`, options);
  }
}

/** A `${Placeholder}` of the definition has no definitionSubstitutions value. */
export class UnsubstitutedPlaceholderError extends StateMachineDefinitionError {
  public constructor(public readonly placeholders: readonly string[]) {
    super(
      `no substitution for ${placeholders.map((name) => `\${${name}}`).join(', ')}; ` +
        'pass a value for each in substitutions (CDK definitionSubstitutions)',
    );
  }
}

/**
 * An execution of that name already exists on the state machine and was not
 * started with the same input, or has ended (Step Functions ExecutionAlreadyExists).
 */
export class ExecutionAlreadyExistsError extends RollgateError {
  public constructor(public readonly executionArn: string) {
    super(`execution ${executionArn} already exists`);
  }
}

/** No execution has that ARN (Step Functions ExecutionDoesNotExist). */
export class ExecutionDoesNotExistError extends RollgateError {
  public constructor(public readonly executionArn: string) {
    super(`execution ${executionArn} does not exist`);
  }
}

// ───────────────────────────── approvals in Slack ─────────────────────────────

/** The Slack user is neither one of the approval's users nor in one of its user groups. */
export class NotAnApproverError extends RollgateError {
  public constructor(
    public readonly userId: string,
    public readonly approvalId: string,
  ) {
    super(`${userId} may not decide approval ${approvalId}: not an allowed approver`);
  }
}

/**
 * "Promote now" (a full promotion: the approval approved and every remaining
 * plan step skipped) refused: the decider may not approve one of the approval
 * steps it would skip (`stepIndex`, 0-based as the ledger counts), four-eyes
 * refuses them, or nobody can tell that they did not start the release.
 * Nothing changed: the ledger and traffic are as they were.
 */
export class PromotionNotAllowedError extends RollgateError {
  public constructor(
    public readonly by: string,
    public readonly releaseId: string,
    public readonly stepIndex: number | undefined,
    public readonly why: string,
    options?: { cause?: unknown },
  ) {
    super(`${by} may not promote release ${releaseId} now${stepIndex === undefined ? '' : ` (plan step ${String(stepIndex)})`}: ${why}`, options);
  }
}

/** Four-eyes: the release's author may not approve their own release. */
export class SelfApprovalError extends RollgateError {
  public constructor(
    public readonly userId: string,
    public readonly approvalId: string,
  ) {
    super(`${userId} authored the release of approval ${approvalId} and may not approve it (four-eyes)`);
  }
}

/** The release no longer waits on this approval (rolled back, aborted, timed out, or its task closed). */
export class ApprovalNoLongerWaitingError extends RollgateError {
  public constructor(
    public readonly approvalId: string,
    public readonly reason: string,
  ) {
    super(`approval ${approvalId} no longer decides anything: ${reason}`);
  }
}

/**
 * A Slack Web API call failed: Slack answered `ok: false` (`code` is Slack's
 * `error`), or the call did not complete (`code` is `http_<status>`,
 * `timeout` or `network`). Never carries the token.
 */
export class SlackApiError extends RollgateError {
  public constructor(
    public readonly method: string,
    public readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`Slack ${method} failed: ${code}`, options);
  }
}

// ───────────────────────────── Release notifications ─────────────────────────────

/**
 * EventBridge refused some of the release notifications, even on a second
 * try. Retryable: the notifier fails the stream record, so the stream delivers
 * it again (consumers dedupe by `detail.eventId`).
 */
export class ReleaseEventsNotPublishedError extends RollgateError {
  public constructor(
    /** The event ids not published. */
    public readonly eventIds: readonly string[],
    /** EventBridge's error code and message of each one, `code: message`. */
    public readonly failures: readonly string[],
  ) {
    super(`EventBridge did not publish ${String(eventIds.length)} release event(s) (${eventIds.join(', ')}): ${failures.join('; ')}`);
  }
}

// ───────────────────────────── Service configuration (ledger items) ─────────────────────────────

/**
 * Another publish of the configuration got in first: the stored revision is
 * no longer the one this publish read and diffed against. Nothing of this
 * publish was written (the revision check is part of every transaction it
 * sends); read again and publish again.
 */
export class ConfigRevisionConflictError extends RollgateError {
  public constructor(
    /** The revision this publish read. */
    public readonly expected: number,
    /** What publish was doing when it found out. */
    public readonly operation: string,
  ) {
    super(`${operation}: the configuration changed since revision ${String(expected)} was read; read it again and publish again`);
  }
}

/**
 * The configuration is being published in more than one transaction (more
 * changed items than one transaction takes) and is not whole yet, or the
 * ledger holds no configuration at all. Retryable: a reader that holds an
 * earlier revision keeps using it meanwhile.
 */
export class ConfigNotReadyError extends RollgateError {
  public constructor(public readonly reason: string) {
    super(`the service configuration cannot be read: ${reason}`);
  }
}
