/**
 * The local Step Functions: runs the release ASL, unchanged, on
 * aws-local-stepfunctions with every Lambda task served by an in-process
 * handler and every callback task by the local task-token broker.
 *
 * It keeps what Step Functions would: a registry of state machines and
 * executions (DescribeExecution, ListExecutions, StopExecution), execution
 * names unique per state machine (a repeated StartExecution with the same name
 * and input while it runs returns the running one, as the build trigger relies
 * on), an "execution status change" hook for the reconciler, each execution's
 * history and its count of state transitions.
 */
import { randomUUID } from 'node:crypto';
import '../node-compat.js';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import type { RunOptions } from 'aws-local-stepfunctions';
import {
  ExecutionAlreadyExistsError,
  ExecutionDoesNotExistError,
  InvalidInputError,
  StateMachineDefinitionError,
} from '../../functions/errors.js';
import { compileDefinition, lambdaFunctionName } from './definition.js';
import type { CompiledDefinition, DefinitionSource, TaskPlan } from './definition.js';
import { TaskFailure, UncatchableFailure, invokeLambda } from './lambda.js';
import type { LambdaHandler } from './lambda.js';
import { isTimerProblem, resolveTimers, taskRequest, type TaskRequest, type TaskTimers } from './task-attempt.js';
import { LocalCallbacks } from './task-token-broker.js';

type LibraryRun = ReturnType<StateMachine['run']>;
type LibraryEvent = LibraryRun['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type LibraryHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type JsonValue = Parameters<LibraryHandlers[string]>[0];

/** Step Functions' limit on an execution's input (and on any state's payload): 256 KiB. */
const MAX_PAYLOAD_BYTES = 256 * 1024;
/** What aws-local-stepfunctions reports when a Fail state has no Error / no Cause. */
const LIBRARY_FAIL_STATE_ERROR = 'FailStateError';
const LIBRARY_FAIL_STATE_CAUSE = 'Execution failed because of a Fail state';

/** Status of an execution, as DescribeExecution reports it. */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** Time compression for tests and the demo; every value is in milliseconds, by state name. */
export interface ExecutionOverrides {
  /** How long each named Wait state waits, instead of its Seconds/Timestamp. */
  readonly waitTimeOverrides?: Readonly<Record<string, number>>;
  /** How long the named state waits before each retry (one value, or one per retrier). */
  readonly retryIntervalOverrides?: Readonly<Record<string, number | readonly number[]>>;
  /** The timeout of each named Task state, instead of its TimeoutSeconds/TimeoutSecondsPath. */
  readonly taskTimeoutOverrides?: Readonly<Record<string, number>>;
}

/** The engine's configuration. */
export interface LocalStepFunctionsOptions {
  /**
   * The in-process Lambda handlers, by function ARN (the values of the
   * definition's `${...FunctionArn}` substitutions) or by function name.
   */
  readonly handlers: Readonly<Record<string, LambdaHandler>>;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default '000000000000' */
  readonly accountId?: string;
  /** Overrides for every execution; those given to a start win, state by state. */
  readonly overrides?: ExecutionOverrides;
}

/** A state machine created on the engine. */
export interface LocalStateMachine {
  readonly stateMachineArn: string;
  readonly name: string;
  /** The definition after substitution, as Step Functions would store it. */
  readonly definition: Readonly<Record<string, unknown>>;
}

/** What to create a state machine from. */
export interface CreateStateMachineOptions {
  /** 1-80 characters; part of the state machine and execution ARNs. */
  readonly name: string;
  /** The ASL: a file path or URL (`statemachines/release.asl.json`), or the parsed object. */
  readonly definition: DefinitionSource;
  /** definitionSubstitutions: `${Name}` → value, as CDK gives them. */
  readonly substitutions?: Readonly<Record<string, string>>;
}

/** A state entered by an execution, reported as it happens. */
export interface StateEntry {
  readonly name: string;
  /** The state's Type: Task, Choice, Wait, ... */
  readonly type: string;
  readonly input: unknown;
  readonly timestamp: Date;
  /** The execution's transition count including this entry (see {@link TransitionCount}). */
  readonly transition: number;
}

/** An event of an execution's history, in the order they happened. */
export interface ExecutionEvent {
  /** ExecutionStarted, StateEntered, StateExited, StateFailed, StateRetried, StateCaught, ExecutionSucceeded, ... */
  readonly type: string;
  readonly timestamp: Date;
  readonly stateName?: string;
  readonly stateType?: string;
  /** StateFailed / ExecutionFailed: the error name and cause. */
  readonly error?: string;
  readonly cause?: string;
  /** StateRetried: which retry this is of its retrier (1 = the first retry). */
  readonly retryAttempt?: number;
}

/**
 * State transitions of an execution, counted the way Step Functions bills
 * Standard workflows: "a state transition each time a step of your workflow is
 * executed, including retries" (https://aws.amazon.com/step-functions/pricing/).
 * Every state entered counts once, whatever its type (Pass, Choice, Wait,
 * Succeed and Fail included, and states inside Parallel branches and Map
 * iterations); every retry of a state counts once more. The library reports a
 * retry as StateRetried, not as a second StateEntered, so the two are added up.
 */
export interface TransitionCount {
  /** StateEntered events. */
  readonly stateEntries: number;
  /** StateRetried events. */
  readonly retries: number;
  /** What Step Functions bills: `stateEntries + retries`. */
  readonly total: number;
}

/** How an execution ended. `result` of an execution always resolves to one of these. */
export type ExecutionResult =
  | { readonly status: 'SUCCEEDED'; readonly output: unknown; readonly transitions: TransitionCount }
  | {
      readonly status: 'FAILED';
      /** The error of the Fail state or of the uncaught failure; absent for a Fail state without Error. */
      readonly error: string | undefined;
      readonly cause: string | undefined;
      readonly transitions: TransitionCount;
    }
  | {
      readonly status: 'ABORTED';
      /** What StopExecution was given, if anything. */
      readonly error: string | undefined;
      readonly cause: string | undefined;
      readonly transitions: TransitionCount;
    }
  | { readonly status: 'TIMED_OUT'; readonly error: 'States.Timeout'; readonly cause: string; readonly transitions: TransitionCount };

/** An execution as DescribeExecution reports it (the fields rollgate uses). */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate: Date | undefined;
  readonly input: unknown;
  readonly output: unknown;
  readonly error: string | undefined;
  readonly cause: string | undefined;
}

/** A running (or ended) execution. */
export interface LocalExecution {
  /** `arn:aws:states:<region>:<account>:execution:<stateMachineName>:<name>` */
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** Resolves (never rejects) once the execution has ended and its history is complete. */
  readonly result: Promise<ExecutionResult>;
  /** Transitions so far. */
  readonly transitions: TransitionCount;
  /** Where it is now. */
  describe(): ExecutionDescription;
  /**
   * StopExecution: ends the execution as ABORTED now; its open task tokens
   * close, no further step runs (a Lambda handler already running finishes,
   * and its result is dropped). No-op once the execution has ended.
   */
  abort(reason?: { readonly error?: string; readonly cause?: string }): void;
  /**
   * Calls `listener` for every state the execution enters from now on, in
   * order, just after it is entered (asynchronously: a Task's handler may
   * already be running). A throwing listener is reported and does not stop
   * the execution. Returns a function that unsubscribes.
   */
  onState(listener: (entry: StateEntry) => void): () => void;
  /** The execution's events so far (GetExecutionHistory). */
  history(): readonly ExecutionEvent[];
}

/** Starting an execution. */
export interface StartExecutionOptions {
  readonly stateMachineArn: string;
  /** Any JSON value; `{}` when absent. */
  readonly input?: unknown;
  /** Unique per state machine, 1-80 characters, none of whitespace `<>{}[]?*"#%\^|~\`$&,;:/`; a UUID when absent. */
  readonly name?: string;
  /** Time compression for this execution (wins over the engine's). */
  readonly overrides?: ExecutionOverrides;
  /** Subscribed before the first state is entered; see {@link LocalExecution.onState}. */
  readonly onState?: (entry: StateEntry) => void;
}

/** Which executions to list. */
export interface ListExecutionsFilter {
  readonly stateMachineArn?: string;
  readonly statusFilter?: ExecutionStatus;
}

/** Called for every state any execution of the engine enters. */
export type StateEnteredListener = (executionArn: string, entry: StateEntry) => void;

/** Called once per execution when it ends (the "Step Functions Execution Status Change" event). */
export type ExecutionEndedListener = (execution: ExecutionDescription) => void | Promise<void>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Replaces `placeholder` with `replacement` in every string of a JSON value. */
function replaceInStrings(value: unknown, placeholder: string, replacement: string): unknown {
  if (typeof value === 'string') return value.replaceAll(placeholder, replacement);
  if (Array.isArray(value)) return value.map((item) => replaceInStrings(item, placeholder, replacement));
  if (isObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, replaceInStrings(item, placeholder, replacement)]),
    );
  }
  return value;
}

/** Execution (and state machine) names as Step Functions accepts them. */
function nameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > 80) return 'must be 1 to 80 characters long';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/.test(name)) {
    return 'must not contain whitespace, brackets, wildcards, control characters or any of "#%\\^|~`$&,;:/';
  }
  return undefined;
}

function stringCause(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  return typeof cause === 'string' ? cause : JSON.stringify(cause);
}

/** Maps the library's events to the engine's history entries. */
function toExecutionEvent(event: LibraryEvent): ExecutionEvent {
  const timestamp = new Date(event.timestamp);
  switch (event.type) {
    case 'StateEntered':
    case 'StateExited':
    case 'StateCaught':
      return { type: event.type, timestamp, stateName: event.state.name, stateType: event.state.type };
    case 'StateRetried':
      return {
        type: event.type,
        timestamp,
        stateName: event.state.name,
        stateType: event.state.type,
        retryAttempt: event.retry.attempt,
      };
    case 'StateFailed':
      return {
        type: event.type,
        timestamp,
        stateName: event.state.name,
        stateType: event.state.type,
        error: event.Error,
        cause: stringCause(event.Cause),
      };
    case 'ExecutionFailed':
      return { type: event.type, timestamp, error: event.Error, cause: stringCause(event.Cause) };
    default:
      return { type: event.type, timestamp };
  }
}

/** One execution: the library's run, the task wrappers and the bookkeeping. */
class Execution implements LocalExecution {
  public readonly executionArn: string;
  public readonly stateMachineArn: string;
  public readonly name: string;
  public readonly result: Promise<ExecutionResult>;
  public readonly inputText: string;

  private status: ExecutionStatus = 'RUNNING';
  private readonly startDate = new Date();
  private stopDate: Date | undefined;
  private output: unknown;
  private error: string | undefined;
  private cause: string | undefined;
  /** Set when the execution is over: from then on no handler is invoked. */
  private closed = false;
  private stateEntries = 0;
  private retries = 0;
  private readonly events: ExecutionEvent[] = [];
  private readonly stateListeners = new Set<(entry: StateEntry) => void>();
  private readonly run: LibraryRun;
  /** Stands for `$$.Task.Token` until a task starts and gets its real token. */
  private readonly tokenPlaceholder = `rollgate-local-task-token-${randomUUID()}`;

  public constructor(
    private readonly engine: LocalStepFunctions,
    machine: LocalStateMachine,
    compiled: CompiledDefinition,
    name: string,
    input: unknown,
    inputText: string,
    private readonly overrides: ExecutionOverrides,
    onState: ((entry: StateEntry) => void) | undefined,
  ) {
    this.stateMachineArn = machine.stateMachineArn;
    this.name = name;
    this.executionArn = machine.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
    this.inputText = inputText;
    if (onState !== undefined) this.stateListeners.add(onState);

    const handlers: LibraryHandlers = {};
    for (const plan of compiled.tasks.values()) {
      handlers[plan.stateName] = (taskInput) => this.runTask(plan, taskInput);
    }
    const retryIntervals: Record<string, number | number[]> = {};
    for (const [state, value] of Object.entries(overrides.retryIntervalOverrides ?? {})) {
      retryIntervals[state] = typeof value === 'number' ? value : [...value];
    }
    const libraryMachine = new StateMachine(compiled.forLibrary(overrides.taskTimeoutOverrides), {
      validationOptions: { noValidate: true }, // validated once, as written, when the state machine was created
    });
    this.run = libraryMachine.run(input as JsonValue, {
      overrides: {
        taskResourceLocalHandlers: handlers,
        waitTimeOverrides: { ...overrides.waitTimeOverrides },
        retryIntervalOverrides: retryIntervals,
      },
      context: {
        Execution: {
          Id: this.executionArn,
          Name: name,
          RoleArn: `arn:aws:iam::${engine.accountId}:role/rollgate-local-state-machine`,
        },
        StateMachine: { Id: machine.stateMachineArn, Name: machine.name },
        Task: { Token: this.tokenPlaceholder },
      },
    });

    const historyDone = this.pumpEvents();
    const ended = this.run.result.then(
      (output) => {
        this.end('SUCCEEDED', { output });
      },
      (error: unknown) => {
        this.endWithError(error);
      },
    );
    this.result = Promise.all([ended, historyDone]).then(() => {
      const result = this.toResult();
      this.engine.executionEnded(this.describe());
      return result;
    });
  }

  public get transitions(): TransitionCount {
    return { stateEntries: this.stateEntries, retries: this.retries, total: this.stateEntries + this.retries };
  }

  public describe(): ExecutionDescription {
    return {
      executionArn: this.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: this.name,
      status: this.status,
      startDate: this.startDate,
      stopDate: this.stopDate,
      input: JSON.parse(this.inputText) as unknown,
      output: this.output,
      error: this.error,
      cause: this.cause,
    };
  }

  public abort(reason?: { readonly error?: string; readonly cause?: string }): void {
    if (this.status !== 'RUNNING') return;
    this.end('ABORTED', { error: reason?.error, cause: reason?.cause });
    // The library first: its event log closes, so nothing the closing tokens cause is recorded.
    this.run.abort();
    this.engine.callbacks.closeExecution(this.executionArn, 'its execution was aborted');
  }

  public onState(listener: (entry: StateEntry) => void): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  public history(): readonly ExecutionEvent[] {
    return [...this.events];
  }

  private end(
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    details: { output?: unknown; error?: string | undefined; cause?: string | undefined },
  ): void {
    if (this.status !== 'RUNNING') return;
    this.status = status;
    this.stopDate = new Date();
    this.output = details.output;
    this.error = details.error;
    this.cause = details.cause;
    this.closed = true;
    if (status !== 'ABORTED') {
      // A token still open (a callback in a Parallel branch, say) dies with its execution.
      this.engine.callbacks.closeExecution(this.executionArn, `its execution ended ${status}`);
    }
  }

  private endWithError(error: unknown): void {
    if (error instanceof ExecutionAbortedError) {
      this.end('ABORTED', {});
    } else if (error instanceof ExecutionTimeoutError) {
      this.end('TIMED_OUT', { error: 'States.Timeout', cause: 'the execution ran longer than its TimeoutSeconds' });
    } else if (error instanceof ExecutionError && error.cause instanceof Error) {
      const failure = error.cause;
      this.end('FAILED', {
        error: failure.name === LIBRARY_FAIL_STATE_ERROR ? undefined : failure.name,
        cause: failure.message === LIBRARY_FAIL_STATE_CAUSE ? undefined : failure.message,
      });
    } else {
      this.end('FAILED', { error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) });
    }
  }

  private toResult(): ExecutionResult {
    const transitions = this.transitions;
    switch (this.status) {
      case 'SUCCEEDED':
        return { status: 'SUCCEEDED', output: this.output, transitions };
      case 'TIMED_OUT':
        return { status: 'TIMED_OUT', error: 'States.Timeout', cause: this.cause ?? '', transitions };
      case 'ABORTED':
        return { status: 'ABORTED', error: this.error, cause: this.cause, transitions };
      default:
        return { status: 'FAILED', error: this.error, cause: this.cause, transitions };
    }
  }

  private async pumpEvents(): Promise<void> {
    try {
      for await (const event of this.run.eventLogs) this.record(event);
    } catch (error) {
      console.error(`local engine: the history of ${this.executionArn} broke off`, error);
    }
  }

  private record(event: LibraryEvent): void {
    this.events.push(toExecutionEvent(event));
    if (event.type === 'StateRetried') this.retries += 1;
    if (event.type !== 'StateEntered') return;
    this.stateEntries += 1;
    const entry: StateEntry = {
      name: event.state.name,
      type: event.state.type,
      input: event.state.input,
      timestamp: new Date(event.timestamp),
      transition: this.stateEntries + this.retries,
    };
    for (const listener of [...this.stateListeners]) {
      try {
        listener(entry);
      } catch (error) {
        console.error(`local engine: an onState listener of ${this.executionArn} threw`, error);
      }
    }
    this.engine.stateEntered(this.executionArn, entry);
  }

  /**
   * Runs one attempt of a Task state. Not `async` on purpose: the callback
   * task's timeout timer must be set before the library sets its own (right
   * after this returns), so that the token is closed by the time the library
   * fails the state with States.Timeout.
   */
  private runTask(plan: TaskPlan, wrapped: JsonValue): Promise<JsonValue> {
    if (this.closed) return Promise.reject(new UncatchableFailure(`execution ${this.executionArn} has ended`));
    const fields = isObject(wrapped) ? wrapped : {};
    const timers = resolveTimers(plan, fields, this.overrides.taskTimeoutOverrides?.[plan.stateName]);
    if (isTimerProblem(timers)) {
      // `runtime`: the library fails the state with States.Runtime as soon as this returns, before any handler should run.
      return timers.kind === 'runtime' ? new Promise<never>(() => undefined) : Promise.reject(new UncatchableFailure(timers.message));
    }
    const request = taskRequest(plan, fields);
    if (request.kind === 'lambda') return this.invoke(request.functionName, request.payload) as Promise<JsonValue>;
    if (request.kind === 'invoke') {
      return this.invoke(request.functionName, request.payload).then(
        // The fields of the Lambda Invoke response ASL reads; SDK metadata left out.
        (result) => ({ ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 }) as JsonValue,
      );
    }
    return this.runCallbackTask(plan.stateName, request, timers);
  }

  /** A `.waitForTaskToken` attempt: opens a token, invokes with it, and answers with the token's resume (or its timeout). */
  private runCallbackTask(stateName: string, request: TaskRequest, timers: TaskTimers): Promise<JsonValue> {
    const callbacks = this.engine.callbacks;
    const { token, outcome } = callbacks.open({ executionArn: this.executionArn, stateName }, timers.heartbeatMs);
    const timer =
      timers.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            callbacks.close(token, 'its task timed out');
          }, timers.timeoutMs);
    return this.invoke(request.functionName, replaceInStrings(request.payload, this.tokenPlaceholder, token))
      .then(
        () => outcome as Promise<JsonValue>,
        (error: unknown) => {
          // Invoked RequestResponse: a function error fails the task at once.
          callbacks.close(token, 'its Lambda invocation failed');
          throw error;
        },
      )
      .finally(() => {
        clearTimeout(timer);
      });
  }

  private invoke(functionName: string | undefined, event: unknown): Promise<unknown> {
    const target = functionName === undefined ? undefined : this.engine.handlerFor(functionName);
    if (target === undefined) {
      return Promise.reject(
        new TaskFailure('Lambda.ResourceNotFoundException', `Function not found: ${functionName ?? '(no FunctionName)'}`),
      );
    }
    return invokeLambda(target.handler, target.functionArn, target.functionName, event);
  }
}

/**
 * Step Functions on one machine. Create state machines from ASL, start
 * executions, resume callback tasks through {@link callbacks}, watch them end.
 */
export class LocalStepFunctions {
  /** The task-token broker: the local `Callbacks` port. */
  public readonly callbacks = new LocalCallbacks();
  public readonly region: string;
  public readonly accountId: string;

  private readonly handlers = new Map<string, { functionArn: string; functionName: string; handler: LambdaHandler }>();
  private readonly machines = new Map<string, { machine: LocalStateMachine; compiled: CompiledDefinition }>();
  private readonly executions = new Map<string, Execution>();
  private readonly endedListeners = new Set<ExecutionEndedListener>();
  private readonly stateListeners = new Set<StateEnteredListener>();
  private readonly defaultOverrides: ExecutionOverrides;

  public constructor(options: LocalStepFunctionsOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.defaultOverrides = options.overrides ?? {};
    for (const [key, handler] of Object.entries(options.handlers)) {
      const functionName = lambdaFunctionName(key);
      const functionArn = key.startsWith('arn:')
        ? key
        : `arn:aws:lambda:${this.region}:${this.accountId}:function:${functionName}`;
      const existing = this.handlers.get(functionName);
      if (existing !== undefined) {
        throw new InvalidInputError('LocalStepFunctions', 'handlers', `${key} and ${existing.functionArn} are the same function`);
      }
      this.handlers.set(functionName, { functionArn, functionName, handler });
    }
  }

  /**
   * CreateStateMachine: substitutes, validates and resolves the definition.
   * @throws UnsubstitutedPlaceholderError for a `${Name}` without a substitution.
   * @throws StateMachineDefinitionError for invalid ASL, an unsupported resource or a function without a handler.
   */
  public createStateMachine(options: CreateStateMachineOptions): LocalStateMachine {
    const problem = nameProblem(options.name);
    if (problem !== undefined) throw new InvalidInputError('createStateMachine', 'name', problem);
    const stateMachineArn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${options.name}`;
    if (this.machines.has(stateMachineArn)) {
      throw new StateMachineDefinitionError(`a state machine named ${options.name} already exists`);
    }
    const compiled = compileDefinition(options.definition, options.substitutions, (name) => this.handlers.has(name));
    const machine: LocalStateMachine = { stateMachineArn, name: options.name, definition: compiled.definition };
    this.machines.set(stateMachineArn, { machine, compiled });
    return machine;
  }

  /**
   * StartExecution. The same name and input as an execution still running
   * returns that execution; otherwise a name already used throws.
   * @throws ExecutionAlreadyExistsError, InvalidInputError (unknown state machine, bad name or input, override of a state that does not exist).
   */
  public startExecution(options: StartExecutionOptions): LocalExecution {
    const entry = this.machines.get(options.stateMachineArn);
    if (entry === undefined) {
      throw new InvalidInputError('startExecution', 'stateMachineArn', `no state machine ${options.stateMachineArn}`);
    }
    const name = options.name ?? randomUUID();
    const problem = nameProblem(name);
    if (problem !== undefined) throw new InvalidInputError('startExecution', 'name', problem);
    const inputText = JSON.stringify(options.input ?? {}) as string | undefined;
    if (inputText === undefined) throw new InvalidInputError('startExecution', 'input', 'must be a JSON value');
    if (Buffer.byteLength(inputText) > MAX_PAYLOAD_BYTES) {
      throw new InvalidInputError('startExecution', 'input', `is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    }

    const executionArn = `${entry.machine.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing !== undefined) {
      if (existing.describe().status === 'RUNNING' && existing.inputText === inputText) return existing;
      throw new ExecutionAlreadyExistsError(executionArn);
    }

    const overrides = this.mergeOverrides(options.overrides ?? {}, entry.compiled);
    const execution = new Execution(
      this,
      entry.machine,
      entry.compiled,
      name,
      JSON.parse(inputText) as unknown,
      inputText,
      overrides,
      options.onState,
    );
    this.executions.set(executionArn, execution);
    return execution;
  }

  /**
   * DescribeExecution.
   * @throws ExecutionDoesNotExistError
   */
  public describeExecution(executionArn: string): ExecutionDescription {
    return this.execution(executionArn).describe();
  }

  /** The execution's handle (its result, transitions, history). @throws ExecutionDoesNotExistError */
  public execution(executionArn: string): LocalExecution {
    const execution = this.executions.get(executionArn);
    if (execution === undefined) throw new ExecutionDoesNotExistError(executionArn);
    return execution;
  }

  /** StopExecution: see {@link LocalExecution.abort}. @throws ExecutionDoesNotExistError */
  public stopExecution(executionArn: string, reason?: { readonly error?: string; readonly cause?: string }): void {
    this.execution(executionArn).abort(reason);
  }

  /** ListExecutions, newest first. */
  public listExecutions(filter: ListExecutionsFilter = {}): ExecutionDescription[] {
    return [...this.executions.values()]
      .map((execution) => execution.describe())
      .filter(
        (description) =>
          (filter.stateMachineArn === undefined || description.stateMachineArn === filter.stateMachineArn) &&
          (filter.statusFilter === undefined || description.status === filter.statusFilter),
      )
      .reverse();
  }

  /**
   * Calls `listener` once for every execution that ends from now on, with its
   * final description, after its history is complete: the local "Step Functions
   * Execution Status Change" event (the reconciler listens for FAILED,
   * TIMED_OUT and ABORTED). A listener that throws or rejects is reported and
   * does not affect others. Returns a function that unsubscribes.
   */
  public onExecutionEnded(listener: ExecutionEndedListener): () => void {
    this.endedListeners.add(listener);
    return () => {
      this.endedListeners.delete(listener);
    };
  }

  /**
   * Calls `listener` for every state any execution enters from now on (the
   * demo's progress display; executions started by handlers included). A
   * throwing listener is reported and ignored. Returns a function that unsubscribes.
   */
  public onStateEntered(listener: StateEnteredListener): () => void {
    this.stateListeners.add(listener);
    return () => {
      this.stateListeners.delete(listener);
    };
  }

  /** Tells the engine-wide state listeners (engine use). */
  public stateEntered(executionArn: string, entry: StateEntry): void {
    for (const listener of [...this.stateListeners]) {
      try {
        listener(executionArn, entry);
      } catch (error) {
        console.error(`local engine: an onStateEntered listener threw for ${executionArn}`, error);
      }
    }
  }

  /** The handler of a Lambda function, by name (engine use). */
  public handlerFor(
    functionName: string,
  ): { readonly functionArn: string; readonly functionName: string; readonly handler: LambdaHandler } | undefined {
    return this.handlers.get(functionName);
  }

  /** Tells the ended-execution listeners (engine use). */
  public executionEnded(description: ExecutionDescription): void {
    for (const listener of [...this.endedListeners]) {
      const report = (error: unknown) => {
        console.error(`local engine: an onExecutionEnded listener failed for ${description.executionArn}`, error);
      };
      try {
        const returned = listener(description);
        if (returned instanceof Promise) returned.catch(report);
      } catch (error) {
        report(error);
      }
    }
  }

  private mergeOverrides(own: ExecutionOverrides, compiled: CompiledDefinition): ExecutionOverrides {
    const check = (field: string, values: object | undefined, states: { has(name: string): boolean }, what: string) => {
      for (const name of Object.keys(values ?? {})) {
        if (!states.has(name)) {
          throw new InvalidInputError('startExecution', `overrides.${field}`, `${JSON.stringify(name)} is not ${what}`);
        }
      }
    };
    check('waitTimeOverrides', own.waitTimeOverrides, compiled.stateNames, 'a state of the state machine');
    check('retryIntervalOverrides', own.retryIntervalOverrides, compiled.stateNames, 'a state of the state machine');
    check('taskTimeoutOverrides', own.taskTimeoutOverrides, compiled.tasks, 'a Task state of the state machine');
    for (const [name, ms] of Object.entries({ ...this.defaultOverrides.taskTimeoutOverrides, ...own.taskTimeoutOverrides })) {
      if (!(ms >= 1)) {
        throw new InvalidInputError('startExecution', `overrides.taskTimeoutOverrides.${name}`, 'must be at least 1 ms');
      }
    }
    const defaults = this.defaultOverrides;
    const known = <T>(values: Readonly<Record<string, T>> | undefined): Record<string, T> =>
      Object.fromEntries(Object.entries(values ?? {}).filter(([name]) => compiled.stateNames.has(name)));
    return {
      waitTimeOverrides: { ...known(defaults.waitTimeOverrides), ...own.waitTimeOverrides },
      retryIntervalOverrides: { ...known(defaults.retryIntervalOverrides), ...own.retryIntervalOverrides },
      taskTimeoutOverrides: {
        ...Object.fromEntries(
          Object.entries(defaults.taskTimeoutOverrides ?? {}).filter(([name]) => compiled.tasks.has(name)),
        ),
        ...own.taskTimeoutOverrides,
      },
    };
  }
}
