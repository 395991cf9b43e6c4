import { describe, expect, it } from 'vitest';
import { MAX_REASON_LENGTH } from '../../functions/domain/text.js';
import { ReasonSchema } from '../../functions/domain/fields.js';
import { causeMessage, causeOf, ROLLBACK_CAUSES, rollbackVerdict, verdictFor, type RollbackCause, type RollbackVerdict } from '../../functions/domain/verdict.js';

const lambdaCause = (type: string, message: string) => JSON.stringify({ errorType: type, errorMessage: message, trace: [] });

describe('rollback verdicts', () => {
  it.each<[string, { Error: string; Cause?: string }, string | undefined, boolean, RollbackVerdict]>([
    ['an alarm after traffic moved', { Error: 'AlarmFiredError', Cause: 'checkout-5xx in ALARM at step 1 (traffic 50%)' }, 'bake', true,
      { error: 'RolledBack', status: 'ROLLED_BACK', cause: 'alarm', outcome: 'ALARM', reason: 'checkout-5xx in ALARM at step 1 (traffic 50%)' }],
    ['a rejection, with approver and comment', { Error: 'ApprovalRejectedError', Cause: 'rejected by U02BOB: error budget spent' }, 'approval', true,
      { error: 'ApprovalRejected', status: 'ROLLED_BACK', cause: 'rejection', outcome: 'REJECTED', reason: 'rejected by U02BOB: error budget spent' }],
    ['an approval timeout', { Error: 'States.Timeout' }, 'approval', true,
      { error: 'ApprovalTimedOut', status: 'ROLLED_BACK', cause: 'timeout', outcome: 'APPROVAL_TIMED_OUT', reason: 'no approval decision before the timeout' }],
    ['a failed migration: nothing moved', { Error: 'MigrationFailedError', Cause: lambdaCause('MigrationFailedError', 'migration failed (exit code 3): boom') }, 'start', false,
      { error: 'MigrationFailed', status: 'FAILED', cause: 'migration', outcome: 'MIGRATION_FAILED', reason: 'migration failed (exit code 3): boom' }],
    ['a migration stopped at its timeout: nothing moved', { Error: 'MigrationTimedOutError', Cause: lambdaCause('MigrationTimedOutError', 'migration task t-1 still running 1800 s after it started') }, 'start', false,
      { error: 'MigrationTimedOut', status: 'FAILED', cause: 'migration-timeout', outcome: 'MIGRATION_TIMED_OUT', reason: 'migration task t-1 still running 1800 s after it started' }],
    ['an unhealthy fleet', { Error: 'FleetUnhealthyError', Cause: lambdaCause('FleetUnhealthyError', 'ts-1 not healthy') }, 'start', false,
      { error: 'FleetUnhealthy', status: 'FAILED', cause: 'health', outcome: 'UNHEALTHY', reason: 'ts-1 not healthy' }],
    ['an abort', { Error: 'ReleaseAbortedError', Cause: 'aborted by dana: wrong build' }, 'bake', true,
      { error: 'ReleaseAborted', status: 'ABORTED', cause: 'abort', outcome: 'ABORTED', reason: 'aborted by dana: wrong build' }],
    ['an unexpected error', { Error: 'Lambda.Unknown', Cause: 'out of memory' }, 'bake', true,
      { error: 'ReleaseFailed', status: 'ROLLED_BACK', cause: 'error', outcome: 'ERROR', reason: 'Lambda.Unknown: out of memory' }],
  ])('%s', (_, caught, waitingOn, moved, expected) => {
    expect(rollbackVerdict(caught, waitingOn, moved)).toEqual(expected);
  });

  it('reads the message out of a Lambda error cause and leaves plain text alone', () => {
    expect(causeMessage(lambdaCause('X', 'the message'))).toBe('the message');
    expect(causeMessage('plain words')).toBe('plain words');
    expect(causeMessage('{"not":"lambda"}')).toBe('{"not":"lambda"}');
    expect(causeMessage(undefined)).toBe('');
  });

  it.each<[RollbackCause, string, RollbackVerdict['status'], string]>([
    ['alarm', 'RolledBack', 'ROLLED_BACK', 'ALARM'],
    ['abort', 'ReleaseAborted', 'ABORTED', 'ABORTED'],
    ['rejection', 'ApprovalRejected', 'ROLLED_BACK', 'REJECTED'],
    ['timeout', 'ApprovalTimedOut', 'ROLLED_BACK', 'APPROVAL_TIMED_OUT'],
    ['smoke', 'SmokeCheckFailed', 'ROLLED_BACK', 'SMOKE_CHECK_FAILED'],
    ['health', 'FleetUnhealthy', 'ROLLED_BACK', 'UNHEALTHY'],
    ['migration', 'MigrationFailed', 'ROLLED_BACK', 'MIGRATION_FAILED'],
    ['migration-timeout', 'MigrationTimedOut', 'ROLLED_BACK', 'MIGRATION_TIMED_OUT'],
    ['weights', 'WeightsNotApplied', 'ROLLED_BACK', 'WEIGHTS_NOT_APPLIED'],
    ['reconciler', 'ReleaseFailed', 'ROLLED_BACK', 'EXECUTION_DIED'],
    ['error', 'ReleaseFailed', 'ROLLED_BACK', 'ERROR'],
  ])('a rollback caused by %s ends with %s, %s, %s, whatever its reason says', (cause, error, status, outcome) => {
    // The reason is free text: a message that mentions another cause never changes the verdict.
    expect(verdictFor(cause, 'aborted by dana (an alarm, really)', true)).toEqual({ error, status, cause, outcome, reason: 'aborted by dana (an alarm, really)' });
    expect(verdictFor(cause, 'x', false).status).toBe(cause === 'abort' ? 'ABORTED' : 'FAILED');
  });

  it('covers every cause in the closed set, and maps the flow errors onto it', () => {
    expect(ROLLBACK_CAUSES.map((c) => verdictFor(c, '', true).cause)).toEqual([...ROLLBACK_CAUSES]);
    expect(causeOf({ Error: 'States.Timeout' }, 'approval')).toBe('timeout');
    expect(causeOf({ Error: 'States.Timeout' }, 'bake')).toBe('error');
    expect(causeOf({ Error: 'SmokeCheckFailedError' }, undefined)).toBe('smoke');
    expect(causeOf({ Error: 'RollbackRequestedError' }, 'bake')).toBe('error');
  });

  it('keeps any reason storable: a 40 KiB Lambda error with control characters is cut to the ledger limit between graphemes', () => {
    const message = `boom\u0000\u001b[31m ${'👩‍👩‍👧‍👦'.repeat(5000)}`;
    const verdict = rollbackVerdict({ Error: 'Lambda.Unknown', Cause: lambdaCause('Error', message) }, 'bake', true);
    expect(verdict.reason.length).toBeLessThanOrEqual(MAX_REASON_LENGTH);
    expect(verdict.reason).toMatch(/^Lambda\.Unknown: boom {2}\[31m 👩‍👩‍👧‍👦/u);
    expect(verdict.reason.endsWith('👩‍👩‍👧‍👦…')).toBe(true);
    expect(ReasonSchema.safeParse(verdict.reason).success).toBe(true);
  });
});
