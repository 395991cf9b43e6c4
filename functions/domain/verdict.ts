/**
 * How a failed release ends: from the error the flow caught (its name, its
 * cause, and what the flow was doing), the terminal status, the outcome code,
 * the error the execution fails with, and a reason a person can act on. Pure.
 */
import type { TerminalStatus } from './status.js';

/** Reasons of aborts start with this, so a rollback can tell an abort from an alarm. */
export const ABORT_REASON_PREFIX = 'aborted by ';

export interface RollbackVerdict {
  /** The error the execution fails with (the Fail state's Error). */
  readonly error: string;
  readonly status: Extract<TerminalStatus, 'ROLLED_BACK' | 'FAILED' | 'ABORTED'>;
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

const KNOWN: Readonly<Record<string, { error: string; outcome: string; what: string }>> = {
  AlarmFiredError: { error: 'RolledBack', outcome: 'ALARM', what: 'alarm' },
  ApprovalRejectedError: { error: 'ApprovalRejected', outcome: 'REJECTED', what: 'rejected' },
  MigrationFailedError: { error: 'MigrationFailed', outcome: 'MIGRATION_FAILED', what: 'migration' },
  MigrationTimedOutError: { error: 'MigrationTimedOut', outcome: 'MIGRATION_TIMED_OUT', what: 'migration timed out' },
  FleetUnhealthyError: { error: 'FleetUnhealthy', outcome: 'UNHEALTHY', what: 'health gate' },
  SmokeCheckFailedError: { error: 'SmokeCheckFailed', outcome: 'SMOKE_CHECK_FAILED', what: 'dark canary' },
  ReleaseAbortedError: { error: 'ReleaseAborted', outcome: 'ABORTED', what: 'aborted' },
  RollbackRequestedError: { error: 'RolledBack', outcome: 'ROLLBACK_REQUESTED', what: 'rollback requested' },
  WeightsNotAppliedError: { error: 'WeightsNotApplied', outcome: 'WEIGHTS_NOT_APPLIED', what: 'weights' },
};

/**
 * @param caught the error the flow caught
 * @param waitingOn what the flow was doing when it was caught (`approval`, `bake`, ...)
 * @param trafficMoved whether any weighted traffic ever reached the new fleet
 */
export function rollbackVerdict(caught: CaughtError, waitingOn: string | undefined, trafficMoved: boolean): RollbackVerdict {
  const message = causeMessage(caught.Cause);
  const known = KNOWN[caught.Error];
  const status = caught.Error === 'ReleaseAbortedError' ? 'ABORTED' : trafficMoved ? 'ROLLED_BACK' : 'FAILED';
  if (caught.Error === 'States.Timeout' && waitingOn === 'approval') {
    return { error: 'ApprovalTimedOut', status, outcome: 'APPROVAL_TIMED_OUT', reason: 'no approval decision before the timeout' };
  }
  if (known !== undefined) {
    return { error: known.error, status, outcome: known.outcome, reason: message === '' ? known.what : message };
  }
  return {
    error: 'ReleaseFailed',
    status,
    outcome: 'ERROR',
    reason: `${caught.Error}${message === '' ? '' : `: ${message}`}`,
  };
}
