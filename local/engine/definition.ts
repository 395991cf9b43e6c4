/**
 * Turns an ASL file (the one CDK deploys) into what the local engine runs:
 * definitionSubstitutions applied, every Task state resolved to an in-process
 * Lambda handler, and a copy of the definition adjusted so that
 * aws-local-stepfunctions behaves like Step Functions where it does not on its own.
 *
 * The adjustments, all on Task states and all invisible to the handlers:
 *
 * - `Parameters` is wrapped as `{ "input.$": "$", "parameters": <Parameters>, ... }`.
 *   The library hands a local handler only the effective input (after
 *   Parameters); the wrapper also needs the state input, because Step Functions
 *   resolves `TimeoutSecondsPath` / `HeartbeatSecondsPath` against the state
 *   input, whereas the library resolves them against the effective input (so
 *   `"TimeoutSecondsPath": "$.cursor.waitSeconds"` next to a `Payload` would
 *   not resolve). The paths are resolved by the library's own payload-template
 *   code into `timeoutSeconds` / `heartbeatSeconds` of the wrapper, and the
 *   library's `TimeoutSecondsPath` points there.
 * - A Task without a timeout gets `TimeoutSeconds` = {@link MAX_TIMER_SECONDS}:
 *   the library defaults to 60 s, Step Functions to 99999999 s (no timeout in practice).
 *   Larger static values are clamped to it: Node timers cannot wait longer.
 * - `HeartbeatSeconds*` are removed from the library's copy; the task-token
 *   broker enforces them.
 */
import { readFileSync } from 'node:fs';
import { StateMachine } from 'aws-local-stepfunctions';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { StateMachineDefinitionError, UnsubstitutedPlaceholderError } from '../../functions/errors.js';

/**
 * The longest wait a Node timer can take (2^31 - 1 ms, about 24.8 days), in
 * whole seconds. Longer timers fire at once, so the engine never asks for more.
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** The key under which the wrapped Parameters carry the state input. */
export const WRAPPED_INPUT = 'input';
/** The key under which the wrapped Parameters carry the original Parameters' result. */
export const WRAPPED_PARAMETERS = 'parameters';
/** The key under which the wrapped Parameters carry the resolved `TimeoutSecondsPath`. */
export const WRAPPED_TIMEOUT = 'timeoutSeconds';
/** The key under which the wrapped Parameters carry the resolved `HeartbeatSecondsPath`. */
export const WRAPPED_HEARTBEAT = 'heartbeatSeconds';

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const TASK_TOKEN_PATH = '$$.Task.Token';
/** `${Name}` as CDK definitionSubstitutions write it (a name, no dots or spaces). */
const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** Where a definition comes from: a file path (or file URL), or the parsed ASL object. */
export type DefinitionSource = string | URL | object;

/** How a Task state calls its Lambda function. */
export type TaskKind =
  /** `Resource` is the function ARN: the handler gets the effective input, its result is the task result. */
  | 'lambda'
  /** `arn:aws:states:::lambda:invoke`: the handler gets `Payload`, the result is `{ Payload, ... }`. */
  | 'invoke'
  /** `...lambda:invoke.waitForTaskToken`: the handler gets `Payload` with a fresh task token; the token's resume is the result. */
  | 'callback';

/** How the engine runs one Task state. */
export interface TaskPlan {
  readonly stateName: string;
  readonly kind: TaskKind;
  /**
   * The function, when the definition names it; `undefined` when it is only
   * known at run time (`"FunctionName.$"` of lambda:invoke).
   */
  readonly functionName: string | undefined;
  /** Whether the state has `Parameters` (else the effective input is the state input). */
  readonly hasParameters: boolean;
  /** `TimeoutSeconds` as written, if any. */
  readonly timeoutSeconds: number | undefined;
  /** Whether the timeout comes from `TimeoutSecondsPath`. */
  readonly timeoutFromPath: boolean;
  /** `HeartbeatSeconds` as written, if any. */
  readonly heartbeatSeconds: number | undefined;
  /** Whether the heartbeat comes from `HeartbeatSecondsPath`. */
  readonly heartbeatFromPath: boolean;
}

/** A definition ready to run: substituted, validated, every Task resolved. */
export interface CompiledDefinition {
  /** The substituted definition, as Step Functions would store it. */
  readonly definition: Readonly<Record<string, unknown>>;
  /** Every state name (nested Parallel/Map states included). */
  readonly stateNames: ReadonlySet<string>;
  /** One plan per Task state (nested Parallel/Map states included), by state name. */
  readonly tasks: ReadonlyMap<string, TaskPlan>;
  /**
   * The library's copy of the definition for one execution; `taskTimeoutOverridesMs`
   * replaces the timeout of the named Task states (tests compress bakes and approvals with it).
   */
  forLibrary(taskTimeoutOverridesMs?: Readonly<Record<string, number>>): StateMachineDefinition;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The function name in any form Lambda accepts as FunctionName: a name, a
 * full or partial ARN, each with or without a version or alias qualifier.
 */
export function lambdaFunctionName(nameOrArn: string): string {
  const parts = nameOrArn.split(':');
  if (nameOrArn.startsWith('arn:')) return parts[6] ?? '';
  if (parts[1] === 'function') return parts[2] ?? ''; // 123456789012:function:name[:qualifier]
  return parts[0] ?? '';
}

function isLambdaFunctionArn(resource: string): boolean {
  return /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/.test(resource);
}

/** Reads the definition's text: the file, or the object serialised. */
function definitionText(source: DefinitionSource): string {
  if (typeof source === 'string' || source instanceof URL) {
    try {
      return readFileSync(source, 'utf8');
    } catch (error) {
      throw new StateMachineDefinitionError(`cannot read ${String(source)}`, { cause: error });
    }
  }
  return JSON.stringify(source);
}

/**
 * Applies definitionSubstitutions the way CDK/CloudFormation do (`${Name}`
 * replaced wherever it appears) and parses the result.
 * @throws UnsubstitutedPlaceholderError naming every placeholder left outside `Comment` fields.
 */
export function substituteDefinition(
  source: DefinitionSource,
  substitutions: Readonly<Record<string, string>> = {},
): JsonObject {
  const text = definitionText(source).replace(PLACEHOLDER, (whole, name: string) => {
    const value = substitutions[name];
    // The text is JSON: the value goes in as the inside of a JSON string.
    return value === undefined ? whole : JSON.stringify(value).slice(1, -1);
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StateMachineDefinitionError('not valid JSON', { cause: error });
  }
  if (!isObject(parsed)) throw new StateMachineDefinitionError('the definition is not a JSON object');
  const left = new Set<string>();
  collectPlaceholders(parsed, left);
  if (left.size > 0) throw new UnsubstitutedPlaceholderError([...left].sort());
  return parsed;
}

/**
 * Definitions asl-validator accepted, as JSON text. It compiles its schemas on
 * every call (most of a LocalRuntime's start-up), and its verdict depends on
 * the definition alone: each runtime of a process creates the same one.
 */
const VALID_DEFINITIONS = new Set<string>();

/** The library's asl-validator (ARNs and paths checked) on `definition`, once per distinct definition. */
function validate(definition: JsonObject): void {
  const text = JSON.stringify(definition);
  if (VALID_DEFINITIONS.has(text)) return;
  try {
    new StateMachine(definition as unknown as StateMachineDefinition);
  } catch (error) {
    throw new StateMachineDefinitionError(error instanceof Error ? error.message : String(error), { cause: error });
  }
  VALID_DEFINITIONS.add(text);
}

function collectPlaceholders(value: unknown, found: Set<string>): void {
  if (typeof value === 'string') {
    for (const match of value.matchAll(PLACEHOLDER)) found.add(match[1] ?? '');
  } else if (Array.isArray(value)) {
    for (const item of value) collectPlaceholders(item, found);
  } else if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      // Comments are prose; a `${...}` there is not meant to be substituted.
      if (key !== 'Comment') collectPlaceholders(item, found);
    }
  }
}

/** Every `States` object of the definition: the top level, Parallel branches, Map processors. */
function* stateScopes(machine: JsonObject): Generator<JsonObject> {
  const states = machine['States'];
  if (!isObject(states)) return;
  yield states;
  for (const state of Object.values(states)) {
    if (!isObject(state)) continue;
    const branches = state['Branches'];
    if (Array.isArray(branches)) {
      for (const branch of branches) if (isObject(branch)) yield* stateScopes(branch);
    }
    for (const key of ['Iterator', 'ItemProcessor']) {
      const processor = state[key];
      if (isObject(processor)) yield* stateScopes(processor);
    }
  }
}

function mentionsTaskToken(value: unknown): boolean {
  return JSON.stringify(value ?? null).includes(TASK_TOKEN_PATH);
}

function optionalNumber(state: JsonObject, key: string): number | undefined {
  const value = state[key];
  return typeof value === 'number' ? value : undefined;
}

function planTask(
  stateName: string,
  state: JsonObject,
  hasHandler: (functionName: string) => boolean,
): TaskPlan {
  const resource = state['Resource'];
  const where = `state ${JSON.stringify(stateName)}`;
  if (typeof resource !== 'string') throw new StateMachineDefinitionError(`${where}: Resource is missing`);
  const parameters = state['Parameters'];
  const common = {
    stateName,
    hasParameters: 'Parameters' in state,
    timeoutSeconds: optionalNumber(state, 'TimeoutSeconds'),
    timeoutFromPath: typeof state['TimeoutSecondsPath'] === 'string',
    heartbeatSeconds: optionalNumber(state, 'HeartbeatSeconds'),
    heartbeatFromPath: typeof state['HeartbeatSecondsPath'] === 'string',
  };
  const requireHandler = (functionName: string): string => {
    if (!hasHandler(functionName)) {
      throw new StateMachineDefinitionError(`${where}: no handler for Lambda function ${JSON.stringify(functionName)}`);
    }
    return functionName;
  };

  if (resource.startsWith('arn:') && resource.split(':')[2] === 'lambda') {
    if (!isLambdaFunctionArn(resource)) {
      throw new StateMachineDefinitionError(`${where}: ${resource} is not a Lambda function ARN`);
    }
    if (mentionsTaskToken(parameters)) {
      throw new StateMachineDefinitionError(`${where}: ${TASK_TOKEN_PATH} is only available to .waitForTaskToken tasks`);
    }
    return { ...common, kind: 'lambda', functionName: requireHandler(lambdaFunctionName(resource)) };
  }

  if (resource === LAMBDA_INVOKE || resource === LAMBDA_INVOKE_CALLBACK) {
    const kind: TaskKind = resource === LAMBDA_INVOKE ? 'invoke' : 'callback';
    if (!isObject(parameters)) {
      throw new StateMachineDefinitionError(`${where}: ${resource} needs Parameters with FunctionName`);
    }
    const staticName = parameters['FunctionName'];
    let functionName: string | undefined;
    if (typeof staticName === 'string') {
      functionName = requireHandler(lambdaFunctionName(staticName));
    } else if (typeof parameters['FunctionName.$'] !== 'string') {
      throw new StateMachineDefinitionError(`${where}: Parameters has no FunctionName`);
    }
    const invocationType = parameters['InvocationType'];
    if (invocationType !== undefined && invocationType !== 'RequestResponse') {
      throw new StateMachineDefinitionError(`${where}: InvocationType ${JSON.stringify(invocationType)} is not supported locally`);
    }
    if (kind === 'callback' && !mentionsTaskToken(parameters)) {
      // Nothing could ever resume it: Step Functions refuses this definition too.
      throw new StateMachineDefinitionError(`${where}: a .waitForTaskToken task must pass ${TASK_TOKEN_PATH} in Parameters`);
    }
    if (kind === 'invoke' && mentionsTaskToken(parameters)) {
      throw new StateMachineDefinitionError(`${where}: ${TASK_TOKEN_PATH} is only available to .waitForTaskToken tasks`);
    }
    return { ...common, kind, functionName };
  }

  throw new StateMachineDefinitionError(
    `${where}: resource ${resource} is not supported by the local engine ` +
      `(Lambda function ARNs, ${LAMBDA_INVOKE} and ${LAMBDA_INVOKE_CALLBACK} are)`,
  );
}

/** The Task state as the library gets it (see the file comment). */
function taskForLibrary(state: JsonObject, plan: TaskPlan, timeoutOverrideMs: number | undefined): JsonObject {
  const parameters = state['Parameters'];
  const timeoutPath = state['TimeoutSecondsPath'];
  const heartbeatPath = state['HeartbeatSecondsPath'];
  const rest: JsonObject = { ...state };
  for (const key of ['Parameters', 'TimeoutSeconds', 'TimeoutSecondsPath', 'HeartbeatSeconds', 'HeartbeatSecondsPath']) {
    // Reflect: computed deletes are what @typescript-eslint/no-dynamic-delete forbids.
    Reflect.deleteProperty(rest, key);
  }
  const wrapped: JsonObject = { [`${WRAPPED_INPUT}.$`]: '$' };
  if (plan.hasParameters) wrapped[WRAPPED_PARAMETERS] = parameters;
  if (typeof heartbeatPath === 'string') wrapped[`${WRAPPED_HEARTBEAT}.$`] = heartbeatPath;
  const copy: JsonObject = { ...rest, Parameters: wrapped };
  if (timeoutOverrideMs !== undefined) {
    // Fractional seconds are fine for the library (it multiplies by 1000).
    copy['TimeoutSeconds'] = Math.min(timeoutOverrideMs, MAX_TIMER_SECONDS * 1000) / 1000;
  } else if (typeof timeoutPath === 'string') {
    wrapped[`${WRAPPED_TIMEOUT}.$`] = timeoutPath;
    copy['TimeoutSecondsPath'] = `$.${WRAPPED_TIMEOUT}`;
  } else {
    copy['TimeoutSeconds'] = Math.min(plan.timeoutSeconds ?? MAX_TIMER_SECONDS, MAX_TIMER_SECONDS);
  }
  return copy;
}

function machineForLibrary(
  machine: JsonObject,
  tasks: ReadonlyMap<string, TaskPlan>,
  overrides: Readonly<Record<string, number>>,
): JsonObject {
  const states = machine['States'];
  if (!isObject(states)) return machine;
  const copied: JsonObject = {};
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) {
      copied[name] = state;
      continue;
    }
    const plan = tasks.get(name);
    let copy: JsonObject = plan !== undefined && state['Type'] === 'Task' ? taskForLibrary(state, plan, overrides[name]) : { ...state };
    const branches = copy['Branches'];
    if (Array.isArray(branches)) {
      copy = {
        ...copy,
        Branches: branches.map((branch: unknown) => (isObject(branch) ? machineForLibrary(branch, tasks, overrides) : branch)),
      };
    }
    for (const key of ['Iterator', 'ItemProcessor']) {
      const processor = copy[key];
      if (isObject(processor)) copy = { ...copy, [key]: machineForLibrary(processor, tasks, overrides) };
    }
    copied[name] = copy;
  }
  const result: JsonObject = { ...machine, States: copied };
  const timeout = machine['TimeoutSeconds'];
  if (typeof timeout === 'number') result['TimeoutSeconds'] = Math.min(timeout, MAX_TIMER_SECONDS);
  return result;
}

/**
 * Substitutes, validates (the library's asl-validator, ARNs and paths checked)
 * and resolves every Task state of a definition.
 * @param hasHandler whether a handler exists for a Lambda function name.
 * @throws UnsubstitutedPlaceholderError, StateMachineDefinitionError naming the state at fault.
 */
export function compileDefinition(
  source: DefinitionSource,
  substitutions: Readonly<Record<string, string>> | undefined,
  hasHandler: (functionName: string) => boolean,
): CompiledDefinition {
  const definition = substituteDefinition(source, substitutions);
  validate(definition);
  const tasks = new Map<string, TaskPlan>();
  const stateNames = new Set<string>();
  for (const states of stateScopes(definition)) {
    for (const [name, state] of Object.entries(states)) {
      stateNames.add(name);
      if (isObject(state) && state['Type'] === 'Task') tasks.set(name, planTask(name, state, hasHandler));
    }
  }
  return {
    definition,
    stateNames,
    tasks,
    forLibrary(taskTimeoutOverridesMs = {}) {
      for (const name of Object.keys(taskTimeoutOverridesMs)) {
        if (!tasks.has(name)) {
          throw new StateMachineDefinitionError(`taskTimeoutOverrides: ${JSON.stringify(name)} is not a Task state`);
        }
      }
      return machineForLibrary(definition, tasks, taskTimeoutOverridesMs) as unknown as StateMachineDefinition;
    },
  };
}
