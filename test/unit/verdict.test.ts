import { describe, expect, it } from 'vitest';
import { causeMessage, rollbackVerdict, type RollbackVerdict } from '../../functions/domain/verdict.js';

const lambdaCause = (type: string, message: string) => JSON.stringify({ errorType: type, errorMessage: message, trace: [] });

describe('rollback verdicts', () => {
  it.each<[string, { Error: string; Cause?: string }, string | undefined, boolean, RollbackVerdict]>([
    ['an alarm after traffic moved', { Error: 'AlarmFiredError', Cause: 'checkout-5xx in ALARM at step 1 (traffic 50%)' }, 'bake', true,
      { error: 'RolledBack', status: 'ROLLED_BACK', outcome: 'ALARM', reason: 'checkout-5xx in ALARM at step 1 (traffic 50%)' }],
    ['a rejection, with approver and comment', { Error: 'ApprovalRejectedError', Cause: 'rejected by U02BOB: error budget spent' }, 'approval', true,
      { error: 'ApprovalRejected', status: 'ROLLED_BACK', outcome: 'REJECTED', reason: 'rejected by U02BOB: error budget spent' }],
    ['an approval timeout', { Error: 'States.Timeout' }, 'approval', true,
      { error: 'ApprovalTimedOut', status: 'ROLLED_BACK', outcome: 'APPROVAL_TIMED_OUT', reason: 'no approval decision before the timeout' }],
    ['a failed migration: nothing moved', { Error: 'MigrationFailedError', Cause: lambdaCause('MigrationFailedError', 'migration failed (exit code 3): boom') }, 'start', false,
      { error: 'MigrationFailed', status: 'FAILED', outcome: 'MIGRATION_FAILED', reason: 'migration failed (exit code 3): boom' }],
    ['a migration stopped at its timeout: nothing moved', { Error: 'MigrationTimedOutError', Cause: lambdaCause('MigrationTimedOutError', 'migration task t-1 still running 1800 s after it started') }, 'start', false,
      { error: 'MigrationTimedOut', status: 'FAILED', outcome: 'MIGRATION_TIMED_OUT', reason: 'migration task t-1 still running 1800 s after it started' }],
    ['an unhealthy fleet', { Error: 'FleetUnhealthyError', Cause: lambdaCause('FleetUnhealthyError', 'ts-1 not healthy') }, 'start', false,
      { error: 'FleetUnhealthy', status: 'FAILED', outcome: 'UNHEALTHY', reason: 'ts-1 not healthy' }],
    ['an abort', { Error: 'ReleaseAbortedError', Cause: 'aborted by dana: wrong build' }, 'bake', true,
      { error: 'ReleaseAborted', status: 'ABORTED', outcome: 'ABORTED', reason: 'aborted by dana: wrong build' }],
    ['an unexpected error', { Error: 'Lambda.Unknown', Cause: 'out of memory' }, 'bake', true,
      { error: 'ReleaseFailed', status: 'ROLLED_BACK', outcome: 'ERROR', reason: 'Lambda.Unknown: out of memory' }],
  ])('%s', (_, caught, waitingOn, moved, expected) => {
    expect(rollbackVerdict(caught, waitingOn, moved)).toEqual(expected);
  });

  it('reads the message out of a Lambda error cause and leaves plain text alone', () => {
    expect(causeMessage(lambdaCause('X', 'the message'))).toBe('the message');
    expect(causeMessage('plain words')).toBe('plain words');
    expect(causeMessage('{"not":"lambda"}')).toBe('{"not":"lambda"}');
    expect(causeMessage(undefined)).toBe('');
  });
});
