import { describe, expect, test } from 'vitest';
import { LocalStepFunctions } from '../../local/engine/index.js';
import type { LambdaContext, LocalStepFunctionsOptions } from '../../local/engine/index.js';
import { fixture, functionArn, namedError } from './helpers.js';

function chainEngine(extra: Partial<LocalStepFunctionsOptions> = {}) {
  const calls: { event: unknown; context: LambdaContext }[] = [];
  const engine = new LocalStepFunctions({
    handlers: {
      [functionArn('increment')]: (event, context) => {
        calls.push({ event, context });
        const { value } = event as { value: number };
        return Promise.resolve({ count: value + 1 });
      },
      [functionArn('describe')]: (event) => {
        const { count } = event as { count: number };
        return Promise.resolve({ text: `counted to ${count}` });
      },
    },
    ...extra,
  });
  const machine = engine.createStateMachine({
    name: 'chain',
    definition: fixture('chain.asl.json'),
    substitutions: { IncrementFunctionArn: functionArn('increment'), DescribeFunctionArn: functionArn('describe') },
  });
  return { engine, machine, calls };
}

describe('direct Lambda tasks', () => {
  test('a chain of tasks runs with each handler getting the effective input and the context object', async () => {
    const { engine, machine, calls } = chainEngine();

    const execution = engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'run-1', input: { service: 'checkout' } });
    const result = await execution.result;

    expect(result).toMatchObject({
      status: 'SUCCEEDED',
      output: {
        service: 'checkout',
        counter: { count: 3 },
        description: { text: 'counted to 3', statusCode: 200 },
      },
    });
    expect(execution.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:chain:run-1');
    expect(calls.map((call) => call.event)).toEqual([
      { value: 1, executionArn: execution.executionArn, stateMachineName: 'chain' },
      { value: 2, executionArn: execution.executionArn, stateMachineName: 'chain' },
    ]);
    expect(calls[0]?.context).toMatchObject({ functionName: 'increment', invokedFunctionArn: functionArn('increment') });
  });

  test('counts one transition per state entered: Start, Increment, Enough, Increment, Enough, Describe, Done', async () => {
    const { engine, machine } = chainEngine();
    const entered: string[] = [];

    const execution = engine.startExecution({
      stateMachineArn: machine.stateMachineArn,
      onState: (entry) => entered.push(`${String(entry.transition)}:${entry.name}`),
    });
    const result = await execution.result;

    expect(entered).toEqual(['1:Start', '2:Increment', '3:Enough', '4:Increment', '5:Enough', '6:Describe', '7:Done']);
    expect(result.transitions).toEqual({ stateEntries: 7, retries: 0, total: 7 });
    expect(execution.transitions).toEqual(result.transitions);
  });

  test('onStateEntered sees the states of every execution of the engine', async () => {
    const { engine, machine } = chainEngine();
    const seen: string[] = [];
    engine.onStateEntered((executionArn, entry) => {
      seen.push(`${executionArn.split(':').at(-1) ?? ''}/${entry.name}`);
    });

    await engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'a' }).result;
    await engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'b' }).result;

    expect(seen.filter((entry) => entry.endsWith('/Done'))).toEqual(['a/Done', 'b/Done']);
    expect(seen).toHaveLength(14);
  });

  test('a handler result crosses a JSON boundary: undefined becomes null, dates become strings', async () => {
    const engine = new LocalStepFunctions({
      handlers: { [functionArn('odd')]: () => Promise.resolve({ at: new Date(0), nothing: undefined }) },
    });
    const machine = engine.createStateMachine({
      name: 'json',
      definition: { StartAt: 'Odd', States: { Odd: { Type: 'Task', Resource: functionArn('odd'), End: true } } },
    });

    const result = await engine.startExecution({ stateMachineArn: machine.stateMachineArn }).result;

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { at: '1970-01-01T00:00:00.000Z' } });
  });
});

function migrateEngine(migrate: () => Promise<unknown>) {
  const engine = new LocalStepFunctions({ handlers: { [functionArn('migrate')]: migrate } });
  const machine = engine.createStateMachine({
    name: 'errors',
    definition: fixture('errors.asl.json'),
    substitutions: { MigrateFunctionArn: functionArn('migrate') },
  });
  return { engine, machine };
}

describe('handler errors', () => {
  test('an error a handler throws is caught by its name, with the Lambda error payload as Cause', async () => {
    const { engine, machine } = migrateEngine(() => Promise.reject(namedError('MigrationFailedError', 'exit code 3')));

    const result = await engine.startExecution({ stateMachineArn: machine.stateMachineArn }).result;

    expect(result.status).toBe('FAILED');
    if (result.status !== 'FAILED') return;
    expect(result.error).toBe('MigrationFailed');
    expect(JSON.parse(result.cause ?? '')).toMatchObject({ errorType: 'MigrationFailedError', errorMessage: 'exit code 3' });
  });

  test('an error no Catch names fails the execution with the error name', async () => {
    const { engine, machine } = migrateEngine(() => Promise.reject(new TypeError('boom')));

    const result = await engine.startExecution({ stateMachineArn: machine.stateMachineArn }).result;

    expect(result).toMatchObject({ status: 'FAILED', error: 'TypeError' });
  });

  test('Lambda.TooManyRequestsException is retried by the ASL Retry until the handler succeeds', async () => {
    let attempts = 0;
    const { engine, machine } = migrateEngine(() => {
      attempts += 1;
      return attempts <= 2
        ? Promise.reject(namedError('Lambda.TooManyRequestsException', 'Rate exceeded'))
        : Promise.resolve({ migrated: true });
    });

    const execution = engine.startExecution({
      stateMachineArn: machine.stateMachineArn,
      overrides: { retryIntervalOverrides: { Migrate: 0 } },
    });
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { migration: { migrated: true } } });
    expect(attempts).toBe(3);
    const retried = execution.history().filter((event) => event.type === 'StateRetried');
    expect(retried.map((event) => [event.stateName, event.retryAttempt])).toEqual([
      ['Migrate', 1],
      ['Migrate', 2],
    ]);
    const failed = execution.history().filter((event) => event.type === 'StateFailed');
    expect(failed.map((event) => [event.error, event.cause])).toEqual([
      ['Lambda.TooManyRequestsException', 'Rate exceeded'],
      ['Lambda.TooManyRequestsException', 'Rate exceeded'],
    ]);
    // Migrate entered once, retried twice, then Migrated: AWS bills 4 transitions.
    expect(result.transitions).toEqual({ stateEntries: 2, retries: 2, total: 4 });
  });

  test('throttling that outlasts MaxAttempts fails the execution with the Lambda error', async () => {
    let attempts = 0;
    const { engine, machine } = migrateEngine(() => {
      attempts += 1;
      return Promise.reject(namedError('Lambda.TooManyRequestsException', 'Rate exceeded'));
    });

    const result = await engine.startExecution({
      stateMachineArn: machine.stateMachineArn,
      overrides: { retryIntervalOverrides: { Migrate: 0 } },
    }).result;

    expect(result).toMatchObject({ status: 'FAILED', error: 'Lambda.TooManyRequestsException', cause: 'Rate exceeded' });
    expect(attempts).toBe(7); // the first attempt and 6 retries
  });
});
