import { readFileSync } from 'node:fs';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { RELEASE_ASL, STEP_FUNCTIONS } from '../../local/runtime.js';

const text = readFileSync(RELEASE_ASL, 'utf8');
const placeholders = [...new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]))].sort();

describe('the release state machine definition', () => {
  it('has a step function for every ARN placeholder, and a placeholder for every step function', () => {
    expect(placeholders).toEqual(Object.keys(STEP_FUNCTIONS).sort());
  });

  it('validates with asl-validator once its placeholders are substituted', () => {
    const substituted: unknown = JSON.parse(
      text.replace(/\$\{(\w+)\}/g, (_, name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:rollgate-${name}`),
    );
    const result = aslValidator(substituted);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('gives every Lambda task the standard Lambda retry and a retry for AWS being unavailable', () => {
    const states = (JSON.parse(text) as { States: Record<string, { Type: string; Retry?: { ErrorEquals: string[]; IntervalSeconds: number; BackoffRate: number; MaxAttempts: number }[] }> }).States;
    const tasks = Object.entries(states).filter(([, s]) => s.Type === 'Task');
    expect(tasks).toHaveLength(12);
    for (const [name, state] of tasks) {
      expect(state.Retry, name).toContainEqual({
        ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 6,
      });
      // AWS throttling or outages (the ledger's included) that outlasted the SDK's own retries, and a
      // configuration a publish is still writing (a cold function finds no revision to read yet): worth
      // another go later; how long each state keeps trying is test/faults/asl-retries.test.ts.
      expect(
        state.Retry?.some((r) => ['CloudProviderUnavailableError', 'LedgerUnavailableError', 'ConfigNotReadyError'].every((e) => r.ErrorEquals.includes(e))),
        name,
      ).toBe(true);
    }
  });
});
