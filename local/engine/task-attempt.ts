/**
 * What one attempt of a Task state needs, decided before anything runs: its
 * timers (from the definition, the state's input or a test's override) and
 * the request to send (which function, which payload, how its answer becomes
 * the task result). Pure: the engine (local-step-functions.ts) only carries
 * the plan out, so each rule here has a table-driven test
 * (test/engine/task-attempt.test.ts) without an execution around it.
 */
import { MAX_TIMER_SECONDS, WRAPPED_HEARTBEAT, WRAPPED_INPUT, WRAPPED_PARAMETERS, WRAPPED_TIMEOUT, lambdaFunctionName } from './definition.js';
import type { TaskKind, TaskPlan } from './definition.js';

/** The timers of one attempt, in milliseconds; `undefined` where the state has none. */
export interface TaskTimers {
  readonly timeoutMs: number | undefined;
  readonly heartbeatMs: number | undefined;
}

/**
 * Why an attempt cannot start. `runtime`: the library fails the state itself
 * with States.Runtime (a `TimeoutSecondsPath` that is not a positive integer),
 * so the engine must run nothing and let it; `uncatchable`: the engine ends
 * the execution, as Step Functions refuses the value outright.
 */
export type TimerProblem = { readonly kind: 'runtime' } | { readonly kind: 'uncatchable'; readonly message: string };

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/**
 * The attempt's timeout: a test's override (ms, capped at what the engine can
 * wait) before `TimeoutSecondsPath` (the value the state's input carries)
 * before `TimeoutSeconds`.
 */
function timeoutOf(plan: TaskPlan, fields: Readonly<Record<string, unknown>>, overrideMs: number | undefined): number | undefined | TimerProblem {
  if (overrideMs !== undefined) {
    // The very float the library computes from the TimeoutSeconds it was given.
    return (Math.min(overrideMs, MAX_TIMER_SECONDS * 1000) / 1000) * 1e3;
  }
  if (plan.timeoutFromPath) {
    const seconds = fields[WRAPPED_TIMEOUT];
    if (!isPositiveInteger(seconds)) return { kind: 'runtime' };
    if (seconds > MAX_TIMER_SECONDS) {
      return {
        kind: 'uncatchable',
        message: `state ${plan.stateName}: a timeout of ${String(seconds)} s is longer than the local engine can wait (${String(MAX_TIMER_SECONDS)} s)`,
      };
    }
    return seconds * 1e3;
  }
  return plan.timeoutSeconds === undefined ? undefined : Math.min(plan.timeoutSeconds, MAX_TIMER_SECONDS) * 1e3;
}

/** The attempt's heartbeat: `HeartbeatSecondsPath` (from the input) before `HeartbeatSeconds`. */
function heartbeatOf(plan: TaskPlan, fields: Readonly<Record<string, unknown>>): number | undefined | TimerProblem {
  if (plan.heartbeatFromPath) {
    const seconds = fields[WRAPPED_HEARTBEAT];
    if (!isPositiveInteger(seconds) || seconds > MAX_TIMER_SECONDS) {
      return { kind: 'uncatchable', message: `state ${plan.stateName}: HeartbeatSecondsPath gave ${JSON.stringify(seconds)}, not a positive integer` };
    }
    return seconds * 1000;
  }
  return plan.heartbeatSeconds === undefined ? undefined : Math.min(plan.heartbeatSeconds, MAX_TIMER_SECONDS) * 1000;
}

function isProblem(value: number | undefined | TimerProblem): value is TimerProblem {
  return typeof value === 'object';
}

/**
 * The timers of one attempt of `plan`, given the wrapped input the engine's
 * library copy of the state hands its handler (`fields`) and a test's timeout
 * override for the state, if any; or why the attempt cannot start.
 */
export function resolveTimers(plan: TaskPlan, fields: Readonly<Record<string, unknown>>, overrideMs?: number): TaskTimers | TimerProblem {
  const timeoutMs = timeoutOf(plan, fields, overrideMs);
  if (isProblem(timeoutMs)) return timeoutMs;
  const heartbeatMs = heartbeatOf(plan, fields);
  if (isProblem(heartbeatMs)) return heartbeatMs;
  return { timeoutMs, heartbeatMs };
}

/** Whether {@link resolveTimers} refused the attempt. */
export function isTimerProblem(value: TaskTimers | TimerProblem): value is TimerProblem {
  return 'kind' in value;
}

/** The invocation one attempt sends, and how its answer becomes the task result. */
export interface TaskRequest {
  readonly kind: TaskKind;
  /** The function to invoke; `undefined` when neither the definition nor `FunctionName` names one. */
  readonly functionName: string | undefined;
  /** The event the handler gets. */
  readonly payload: unknown;
}

/**
 * What one attempt of `plan` invokes, from the wrapped input: the effective
 * input itself for a direct function ARN; `Parameters.Payload` for
 * `lambda:invoke` (with `FunctionName` read at run time when the definition
 * left it to `FunctionName.$`) and its `.waitForTaskToken` form.
 */
export function taskRequest(plan: TaskPlan, fields: Readonly<Record<string, unknown>>): TaskRequest {
  const effective = plan.hasParameters ? fields[WRAPPED_PARAMETERS] : fields[WRAPPED_INPUT];
  if (plan.kind === 'lambda') return { kind: plan.kind, functionName: plan.functionName, payload: effective };
  const parameters = typeof effective === 'object' && effective !== null && !Array.isArray(effective) ? (effective as Record<string, unknown>) : {};
  const requested = parameters['FunctionName'];
  return {
    kind: plan.kind,
    functionName: plan.functionName ?? (typeof requested === 'string' ? lambdaFunctionName(requested) : undefined),
    payload: 'Payload' in parameters ? parameters['Payload'] : {},
  };
}
