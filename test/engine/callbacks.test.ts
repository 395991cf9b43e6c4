import { describe, expect, test } from 'vitest';
import { TaskAlreadyClosedError } from '../../functions/errors.js';
import { LocalStepFunctions } from '../../local/engine/index.js';
import type { ExecutionDescription, LambdaHandler } from '../../local/engine/index.js';
import { Inbox, fixture, functionArn, namedError, recordingCallbackHandler } from './helpers.js';
import type { CallbackEvent } from './helpers.js';

function bakeEngine(bake?: LambdaHandler) {
  const inbox = new Inbox<CallbackEvent>();
  const engine = new LocalStepFunctions({ handlers: { [functionArn('bake')]: bake ?? recordingCallbackHandler(inbox) } });
  const machine = engine.createStateMachine({
    name: 'bake',
    definition: fixture('callback.asl.json'),
    substitutions: { BakeFunctionArn: functionArn('bake') },
  });
  const start = (input: { bakeSeconds: number; step?: number }, overrides?: { taskTimeoutOverrides?: Record<string, number> }) =>
    engine.startExecution({ stateMachineArn: machine.stateMachineArn, input: { step: 1, ...input }, overrides });
  return { engine, inbox, start };
}

describe('callback tasks (.waitForTaskToken)', () => {
  test('the handler gets a fresh real task token, and SendTaskSuccess resumes the task with the output', async () => {
    const { engine, inbox, start } = bakeEngine();

    const execution = start({ bakeSeconds: 60 });
    const event = await inbox.next();

    expect(event.taskToken).toMatch(/^[A-Za-z0-9_-]{64}$/);
    expect(event['tokenInText']).toBe(`token=${event.taskToken}`);
    expect(event['step']).toBe(1);
    expect(engine.callbacks.openTokens(execution.executionArn)).toEqual([
      { token: event.taskToken, executionArn: execution.executionArn, stateName: 'Bake' },
    ]);

    await engine.callbacks.success(event.taskToken, { promoted: true });
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { step: 1, resumed: { promoted: true } } });
    // A bake costs two transitions: the Task and the state after it.
    expect(result.transitions.total).toBe(2);
    expect(engine.callbacks.openTokens()).toEqual([]);
  });

  test('SendTaskFailure fails the task with the given error name, which the ASL catches', async () => {
    const { engine, inbox, start } = bakeEngine();

    const execution = start({ bakeSeconds: 60 });
    const { taskToken } = await inbox.next();
    await engine.callbacks.failure(taskToken, 'AlarmFiredError', 'checkout-p99-latency in ALARM during step 1');
    const result = await execution.result;

    expect(result).toMatchObject({
      status: 'FAILED',
      error: 'RolledBack',
      cause: 'checkout-p99-latency in ALARM during step 1',
    });
  });

  test('a second resume of the same token fails with TaskAlreadyClosedError', async () => {
    const { engine, inbox, start } = bakeEngine();

    const execution = start({ bakeSeconds: 60 });
    const { taskToken } = await inbox.next();
    await engine.callbacks.success(taskToken, {});

    await expect(engine.callbacks.success(taskToken, {})).rejects.toThrow(TaskAlreadyClosedError);
    await expect(engine.callbacks.failure(taskToken, 'AlarmFiredError', 'late')).rejects.toThrow(/already resumed/);
    await expect(engine.callbacks.heartbeat(taskToken)).rejects.toThrow(TaskAlreadyClosedError);
    expect((await execution.result).status).toBe('SUCCEEDED');
  });

  test('a token the engine never issued is refused with TaskAlreadyClosedError', async () => {
    const { engine } = bakeEngine();

    await expect(engine.callbacks.success('not-a-token', {})).rejects.toThrow(TaskAlreadyClosedError);
    await expect(engine.callbacks.heartbeat('not-a-token')).rejects.toThrow(/not one this engine issued/);
  });

  test('a heartbeat on an open token succeeds and leaves it open', async () => {
    const { engine, inbox, start } = bakeEngine();

    const execution = start({ bakeSeconds: 60 });
    const { taskToken } = await inbox.next();

    await expect(engine.callbacks.heartbeat(taskToken)).resolves.toBeUndefined();
    await engine.callbacks.success(taskToken, { promoted: true });
    expect((await execution.result).status).toBe('SUCCEEDED');
  });

  test('TimeoutSecondsPath is read from the state input: the task times out with States.Timeout, caught, and its token closes', async () => {
    const { engine, inbox, start } = bakeEngine();

    const execution = start({ bakeSeconds: 1 });
    const { taskToken } = await inbox.next();
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'baked clean' } });
    expect(execution.history().find((event) => event.type === 'StateFailed')).toMatchObject({
      stateName: 'Bake',
      error: 'States.Timeout',
    });
    await expect(engine.callbacks.success(taskToken, {})).rejects.toThrow(/timed out/);
  });

  test('taskTimeoutOverrides compress a callback timeout to milliseconds', async () => {
    const { engine, inbox, start } = bakeEngine();

    const began = Date.now();
    const execution = start({ bakeSeconds: 3600 }, { taskTimeoutOverrides: { Bake: 50 } });
    const { taskToken } = await inbox.next();
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { outcome: 'baked clean' } });
    expect(Date.now() - began).toBeLessThan(2000);
    await expect(engine.callbacks.failure(taskToken, 'AlarmFiredError', 'too late')).rejects.toThrow(TaskAlreadyClosedError);
  });

  test('a retried callback task gets a new token; the token of the failed attempt is closed', async () => {
    const inbox = new Inbox<CallbackEvent>();
    let attempts = 0;
    const { engine } = bakeEngine((event) => {
      attempts += 1;
      inbox.push(event as CallbackEvent);
      return attempts === 1
        ? Promise.reject(namedError('Lambda.TooManyRequestsException', 'Rate exceeded'))
        : Promise.resolve({});
    });

    const execution = engine.startExecution({
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:bake',
      input: { step: 1, bakeSeconds: 60 },
      overrides: { retryIntervalOverrides: { Bake: 0 } },
    });
    const first = await inbox.next();
    const second = await inbox.next();

    expect(second.taskToken).not.toBe(first.taskToken);
    await expect(engine.callbacks.success(first.taskToken, {})).rejects.toThrow(/invocation failed/);
    await engine.callbacks.success(second.taskToken, { promoted: true });
    expect(await execution.result).toMatchObject({ status: 'SUCCEEDED', transitions: { total: 3 } });
  });

  test('abort ends the execution ABORTED, closes its open tokens and reaches the ended-execution hook', async () => {
    const { engine, inbox, start } = bakeEngine();
    const ended: ExecutionDescription[] = [];
    engine.onExecutionEnded((description) => {
      ended.push(description);
    });

    const execution = start({ bakeSeconds: 60 });
    const { taskToken } = await inbox.next();
    execution.abort({ error: 'KilledMidShift', cause: 'operator pulled the plug' });

    expect(engine.describeExecution(execution.executionArn).status).toBe('ABORTED');
    expect(engine.callbacks.openTokens()).toEqual([]);
    await expect(engine.callbacks.success(taskToken, {})).rejects.toThrow(/aborted/);
    const result = await execution.result;
    expect(result).toMatchObject({ status: 'ABORTED', error: 'KilledMidShift', cause: 'operator pulled the plug' });
    expect(result.transitions.total).toBe(1);
    expect(ended).toMatchObject([{ executionArn: execution.executionArn, status: 'ABORTED' }]);
    expect(execution.history().some((event) => event.type === 'StateFailed' || event.type === 'StateCaught')).toBe(false);
  });

  test('an execution can be aborted from an onState listener as it enters a state', async () => {
    const { engine, start } = bakeEngine();

    const execution = start({ bakeSeconds: 60 });
    execution.onState((entry) => {
      if (entry.name === 'Bake') execution.abort();
    });
    const result = await execution.result;

    expect(result.status).toBe('ABORTED');
    expect(engine.callbacks.openTokens()).toEqual([]);
  });
});
