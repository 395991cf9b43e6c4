/**
 * The local engine: the release ASL and the Lambda handlers of rollgate, run
 * on one machine by aws-local-stepfunctions (see local-step-functions.ts).
 *
 * @example
 * const engine = new LocalStepFunctions({ handlers: { [preflightArn]: preflight, ... } });
 * const release = engine.createStateMachine({
 *   name: 'rollgate-release',
 *   definition: 'statemachines/release.asl.json',
 *   substitutions: { PreflightFunctionArn: preflightArn, ... },
 * });
 * engine.onExecutionEnded((execution) => reconciler(execution));
 * const execution = engine.startExecution({ stateMachineArn: release.stateMachineArn, name, input });
 * execution.onState((state) => console.log(state.transition, state.name));
 * await engine.callbacks.success(taskToken, { promoteNow: true }); // the Callbacks port
 * const { status, transitions } = await execution.result;
 */
export { LocalStepFunctions } from './local-step-functions.js';
export type {
  CreateStateMachineOptions,
  ExecutionDescription,
  ExecutionEndedListener,
  ExecutionEvent,
  ExecutionOverrides,
  ExecutionResult,
  ExecutionStatus,
  ListExecutionsFilter,
  LocalExecution,
  LocalStateMachine,
  LocalStepFunctionsOptions,
  StartExecutionOptions,
  StateEntry,
  StateEnteredListener,
  TransitionCount,
} from './local-step-functions.js';
export { LocalCallbacks } from './task-token-broker.js';
export { LocalExecutions } from './local-executions.js';
export type { OpenTokenInfo, TaskTokenOwner } from './task-token-broker.js';
export type { LambdaContext, LambdaHandler } from './lambda.js';
export { MAX_TIMER_SECONDS, lambdaFunctionName, substituteDefinition } from './definition.js';
export type { DefinitionSource } from './definition.js';
