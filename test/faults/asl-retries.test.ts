/**
 * The retry arithmetic of the release state machine: a dependency outage of a
 * minute (AWS throttling or a fault, the ledger's DynamoDB down) must end in a
 * normal outcome, so every Task state keeps retrying the unavailable errors for
 * at least a minute, and Rollback, the step that puts traffic back, is the most
 * patient of all. The waits are computed the way Step Functions computes them:
 * IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds, MaxAttempts retries.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RELEASE_ASL } from '../../local/runtime.js';

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly BackoffRate?: number;
  readonly MaxAttempts?: number;
  readonly MaxDelaySeconds?: number;
  readonly JitterStrategy?: string;
}
interface State {
  readonly Type: string;
  readonly Retry?: readonly Retrier[];
}

const states = (JSON.parse(readFileSync(RELEASE_ASL, 'utf8')) as { States: Record<string, State> }).States;
const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');

const UNAVAILABLE = ['CloudProviderUnavailableError', 'LedgerUnavailableError'];
const LAMBDA_RETRY: Retrier = {
  ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
  IntervalSeconds: 2,
  BackoffRate: 2,
  MaxAttempts: 6,
};

/** The seconds a retrier waits in all before it gives up (ASL defaults: 1 s, ×2, 3 attempts). */
function secondsOfRetrying(retrier: Retrier): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  const cap = retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY;
  let total = 0;
  for (let n = 0; n < (retrier.MaxAttempts ?? 3); n++) total += Math.min(interval * backoff ** n, cap);
  return total;
}

/** The retrier of `state` that catches `error` first (Step Functions takes the first match). */
function retrierFor(state: State, error: string): Retrier | undefined {
  return state.Retry?.find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'));
}

describe('retries of the release state machine', () => {
  it('has the twelve Task states, each keeping the standard Lambda retry', () => {
    expect(tasks.map(([name]) => name)).toHaveLength(12);
    for (const [name, state] of tasks) expect(state.Retry, name).toContainEqual(LAMBDA_RETRY);
  });

  it.each(tasks.flatMap(([name, state]) => UNAVAILABLE.map((error) => [name, error, state] as const)))(
    '%s retries %s for at least a minute, without jitter shortening the waits',
    (_name, error, state) => {
      const retrier = retrierFor(state, error);
      expect(retrier).toBeDefined();
      // FULL jitter waits a random part of each interval: the sum below would be an upper bound only.
      expect(retrier?.JitterStrategy ?? 'NONE').toBe('NONE');
      expect(secondsOfRetrying(retrier ?? { ErrorEquals: [], MaxAttempts: 0 })).toBeGreaterThanOrEqual(60);
    },
  );

  it('Rollback is the most patient: it outlasts every other state and retries for several minutes', () => {
    const budget = (state: State) => Math.min(...UNAVAILABLE.map((e) => secondsOfRetrying(retrierFor(state, e) ?? { ErrorEquals: [], MaxAttempts: 0 })));
    const rollback = states.Rollback;
    expect(rollback).toBeDefined();
    const rollbackBudget = budget(rollback ?? { Type: 'Task' });
    expect(rollbackBudget).toBeGreaterThanOrEqual(5 * 60);
    for (const [name, state] of tasks) {
      if (name !== 'Rollback') expect(rollbackBudget, name).toBeGreaterThan(budget(state));
    }
  });
});
