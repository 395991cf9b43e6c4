/**
 * How a failed release ends: from the error the flow caught (its name, its
 * cause, and what the flow was doing), the terminal status, the outcome code,
 * the error the execution fails with, and a reason a person can act on. Pure.
 */
import type { TerminalStatus } from './status.js';
import { storableReason } from './text.js';

/**
 * Why a release rolls back: a closed set, recorded on the ROLLING_BACK
 * transition by whoever decided it (the flow, the alarm handler, an abort, the
 * reconciler), so the rollback never has to read it out of a message.
 */
export const ROLLBACK_CAUSES = [
  'alarm',
  'abort',
  'rejection',
  'timeout',
  'smoke',
  'health',
  'migration',
  'migration-timeout',
  'weights',
  'reconciler',
  'error',
  'rollback',
] as const;
export type RollbackCause = (typeof ROLLBACK_CAUSES)[number];

export interface RollbackVerdict {
  /** The error the execution fails with (the Fail state's Error). */
  readonly error: string;
  readonly status: Extract<TerminalStatus, 'ROLLED_BACK' | 'FAILED' | 'ABORTED' | 'ROLLBACK_FAILED'>;
  readonly cause: RollbackCause;
  /** UPPER_SNAKE_CASE outcome recorded in the ledger. */
  readonly outcome: string;
  readonly reason: string;
}

export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string | undefined;
}

/**
 * The message of a caught error. Lambda errors arrive with a JSON cause
 * (`{"errorType","errorMessage",...}`); SendTaskFailure causes are plain text.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export function causeMessage(cause: string | undefined): string {
  if (cause === undefined || cause === '') return '';
  try {
    const parsed: unknown = JSON.parse(cause);
    if (typeof parsed === 'object' && parsed !== null && 'errorMessage' in parsed && typeof parsed.errorMessage === 'string') {
      return parsed.errorMessage;
    }
  } catch {
    // plain text
  }
  return cause;
}

/** What each cause ends as: the execution's error, the ledger's outcome, and a reason when none was given. */
const BY_CAUSE: Readonly<Record<RollbackCause, { error: string; outcome: string; what: string }>> = {
  alarm: { error: 'RolledBack', outcome: 'ALARM', what: 'alarm' },
  abort: { error: 'ReleaseAborted', outcome: 'ABORTED', what: 'aborted' },
  rejection: { error: 'ApprovalRejected', outcome: 'REJECTED', what: 'rejected' },
  timeout: { error: 'ApprovalTimedOut', outcome: 'APPROVAL_TIMED_OUT', what: 'no approval decision before the timeout' },
  smoke: { error: 'SmokeCheckFailed', outcome: 'SMOKE_CHECK_FAILED', what: 'dark canary' },
  health: { error: 'FleetUnhealthy', outcome: 'UNHEALTHY', what: 'health gate' },
  migration: { error: 'MigrationFailed', outcome: 'MIGRATION_FAILED', what: 'migration' },
  'migration-timeout': { error: 'MigrationTimedOut', outcome: 'MIGRATION_TIMED_OUT', what: 'migration timed out' },
  weights: { error: 'WeightsNotApplied', outcome: 'WEIGHTS_NOT_APPLIED', what: 'weights' },
  reconciler: { error: 'ReleaseFailed', outcome: 'EXECUTION_DIED', what: 'the execution died' },
  error: { error: 'ReleaseFailed', outcome: 'ERROR', what: 'error' },
  // A person asked to roll back (the control API's rollback): before promotion, or during the termination wait after it.
  rollback: { error: 'RolledBackOnRequest', outcome: 'ROLLED_BACK_ON_REQUEST', what: 'rolled back on request' },
};

/** The cause of each error a step or a callback fails with; anything else is `error`. */
const CAUSE_OF_ERROR: Readonly<Record<string, RollbackCause>> = {
  AlarmFiredError: 'alarm',
  ApprovalRejectedError: 'rejection',
  MigrationFailedError: 'migration',
  MigrationTimedOutError: 'migration-timeout',
  FleetUnhealthyError: 'health',
  SmokeCheckFailedError: 'smoke',
  ReleaseAbortedError: 'abort',
  WeightsNotAppliedError: 'weights',
};

/** The cause of an error the flow caught, given what it was doing (`approval`, `bake`, ...). */
export function causeOf(caught: CaughtError, waitingOn: string | undefined): RollbackCause {
  if (caught.Error === 'States.Timeout' && waitingOn === 'approval') return 'timeout';
  return CAUSE_OF_ERROR[caught.Error] ?? 'error';
}

/**
 * How a release that rolls back for `cause` ends.
 *
 * @param trafficMoved whether any weighted traffic ever reached the new fleet (else FAILED, not ROLLED_BACK)
 */
export function verdictFor(cause: RollbackCause, reason: string, trafficMoved: boolean): RollbackVerdict {
  const known = BY_CAUSE[cause];
  // A rollback someone asked for is ROLLED_BACK whether or not traffic had moved: nothing failed.
  const status = cause === 'abort' ? 'ABORTED' : cause === 'rollback' || trafficMoved ? 'ROLLED_BACK' : 'FAILED';
  return { error: known.error, status, cause, outcome: known.outcome, reason: reason === '' ? known.what : storableReason(reason) };
}

/**
 * @param caught the error the flow caught
 * @param waitingOn what the flow was doing when it was caught (`approval`, `bake`, ...)
 * @param trafficMoved whether any weighted traffic ever reached the new fleet
 */
export function rollbackVerdict(caught: CaughtError, waitingOn: string | undefined, trafficMoved: boolean): RollbackVerdict {
  const cause = causeOf(caught, waitingOn);
  const message = causeMessage(caught.Cause);
  if (cause === 'timeout') return verdictFor(cause, '', trafficMoved);
  if (cause === 'error') return verdictFor(cause, `${caught.Error}${message === '' ? '' : `: ${message}`}`, trafficMoved);
  return verdictFor(cause, message, trafficMoved);
}
