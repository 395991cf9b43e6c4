import { describe, expect, test } from 'vitest';
import { MAX_TIMER_SECONDS, WRAPPED_HEARTBEAT, WRAPPED_INPUT, WRAPPED_PARAMETERS, WRAPPED_TIMEOUT, type TaskPlan } from '../../local/engine/definition.js';
import { isTimerProblem, resolveTimers, taskRequest } from '../../local/engine/task-attempt.js';

const PLAN: TaskPlan = {
  stateName: 'Bake',
  kind: 'callback',
  functionName: 'bake',
  hasParameters: true,
  timeoutSeconds: undefined,
  timeoutFromPath: false,
  heartbeatSeconds: undefined,
  heartbeatFromPath: false,
};

describe('resolveTimers: the timers of one attempt, decided before it runs', () => {
  test.each([
    { case: 'no timers', plan: {}, fields: {}, override: undefined, timers: { timeoutMs: undefined, heartbeatMs: undefined } },
    { case: 'TimeoutSeconds', plan: { timeoutSeconds: 30 }, fields: {}, override: undefined, timers: { timeoutMs: 30_000, heartbeatMs: undefined } },
    {
      case: 'TimeoutSeconds beyond what a timer holds is capped',
      plan: { timeoutSeconds: MAX_TIMER_SECONDS + 10 },
      fields: {},
      override: undefined,
      timers: { timeoutMs: MAX_TIMER_SECONDS * 1000, heartbeatMs: undefined },
    },
    { case: 'TimeoutSecondsPath', plan: { timeoutFromPath: true }, fields: { [WRAPPED_TIMEOUT]: 300 }, override: undefined, timers: { timeoutMs: 300_000, heartbeatMs: undefined } },
    {
      case: "a test's override wins over the path",
      plan: { timeoutFromPath: true },
      fields: { [WRAPPED_TIMEOUT]: 300 },
      override: 1500,
      timers: { timeoutMs: 1500, heartbeatMs: undefined },
    },
    { case: 'HeartbeatSeconds', plan: { heartbeatSeconds: 5 }, fields: {}, override: undefined, timers: { timeoutMs: undefined, heartbeatMs: 5000 } },
    {
      case: 'HeartbeatSecondsPath with a timeout',
      plan: { heartbeatFromPath: true, timeoutSeconds: 60 },
      fields: { [WRAPPED_HEARTBEAT]: 10 },
      override: undefined,
      timers: { timeoutMs: 60_000, heartbeatMs: 10_000 },
    },
  ])('$case', ({ plan, fields, override, timers }) => {
    expect(resolveTimers({ ...PLAN, ...plan }, fields, override)).toEqual(timers);
  });

  test.each([0, -1, 1.5, '300', null])('TimeoutSecondsPath giving %j leaves the state to the library (States.Runtime)', (seconds) => {
    const result = resolveTimers({ ...PLAN, timeoutFromPath: true }, { [WRAPPED_TIMEOUT]: seconds });
    expect(result).toEqual({ kind: 'runtime' });
    expect(isTimerProblem(result)).toBe(true);
  });

  test('a TimeoutSecondsPath longer than the engine can wait ends the execution, naming the state', () => {
    const result = resolveTimers({ ...PLAN, timeoutFromPath: true }, { [WRAPPED_TIMEOUT]: MAX_TIMER_SECONDS + 1 });
    expect(result).toEqual({ kind: 'uncatchable', message: expect.stringMatching(/^state Bake: a timeout of \d+ s is longer than the local engine can wait/) as string });
  });

  test.each([0, 2.5, MAX_TIMER_SECONDS + 1, undefined])('HeartbeatSecondsPath giving %j ends the execution, naming the state', (seconds) => {
    expect(resolveTimers({ ...PLAN, heartbeatFromPath: true }, { [WRAPPED_HEARTBEAT]: seconds })).toEqual({
      kind: 'uncatchable',
      message: expect.stringContaining('state Bake: HeartbeatSecondsPath gave') as string,
    });
  });
});

describe('taskRequest: what one attempt invokes', () => {
  test('a direct function ARN gets the effective input: Parameters when the state has them, else its input', () => {
    expect(taskRequest({ ...PLAN, kind: 'lambda' }, { [WRAPPED_PARAMETERS]: { a: 1 }, [WRAPPED_INPUT]: { b: 2 } })).toEqual({
      kind: 'lambda',
      functionName: 'bake',
      payload: { a: 1 },
    });
    expect(taskRequest({ ...PLAN, kind: 'lambda', hasParameters: false }, { [WRAPPED_INPUT]: { b: 2 } })).toEqual({
      kind: 'lambda',
      functionName: 'bake',
      payload: { b: 2 },
    });
  });

  test('lambda:invoke sends Parameters.Payload, an empty object without one', () => {
    expect(taskRequest({ ...PLAN, kind: 'invoke' }, { [WRAPPED_PARAMETERS]: { FunctionName: 'ignored', Payload: { c: 3 } } })).toEqual({
      kind: 'invoke',
      functionName: 'bake',
      payload: { c: 3 },
    });
    expect(taskRequest({ ...PLAN, kind: 'invoke' }, { [WRAPPED_PARAMETERS]: {} })).toEqual({ kind: 'invoke', functionName: 'bake', payload: {} });
  });

  test('a FunctionName only known at run time is read from Parameters (an ARN becomes its function name)', () => {
    const fields = { [WRAPPED_PARAMETERS]: { FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:approval', Payload: {} } };
    expect(taskRequest({ ...PLAN, functionName: undefined }, fields).functionName).toBe('approval');
    expect(taskRequest({ ...PLAN, functionName: undefined }, { [WRAPPED_PARAMETERS]: { Payload: {} } }).functionName).toBeUndefined();
  });
});
