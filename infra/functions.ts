/**
 * rollgate's Lambda functions as data: which entry point each one runs
 * (functions/handlers/<entry>.ts), which Task state of the release ASL it is
 * (its `${...FunctionArn}` placeholder), which port methods it calls — and so
 * which IAM actions it is granted — and how long it may run.
 *
 * `uses` is exactly what the entry point's code can call: a test
 * (test/infra/port-uses.test.ts) reads each entry point and everything it
 * reaches with the TypeScript checker and compares, so a step that starts
 * calling a new method fails that test until it is declared (and granted) here,
 * and a method no longer called fails it until it is removed (and revoked).
 */
import { adapterMethods, type AwsAdapterName, type PortMethod } from '../functions/adapters/aws/grants.js';
import { approval, bake } from '../functions/steps/wait.js';
import { checkHealth, deploy } from '../functions/steps/deploy.js';
import { checkMigration, startMigration } from '../functions/steps/migration.js';
import { darkCanary } from '../functions/steps/dark-canary.js';
import { finalize, retire } from '../functions/steps/finalize.js';
import { preflight } from '../functions/steps/preflight.js';
import { rollback } from '../functions/steps/rollback.js';
import { shiftTraffic } from '../functions/steps/shift-traffic.js';
import type { DefinedStep } from '../functions/steps/step.js';

/** How a function is started: by the state machine, by EventBridge, by an HTTP API (the approval endpoint's, the control API's), by the ledger's stream, or by CloudFormation (a custom resource: the ConfigPublisher). */
export type FunctionRole = 'task' | 'event' | 'http' | 'stream' | 'deploy';

/** One Lambda function of the orchestrator. */
export interface FunctionSpec {
  /** Construct id, also the key in {@link ReleaseOrchestrator.functions}. */
  readonly id: string;
  /** `functions/handlers/<entry>.ts`. */
  readonly entry: string;
  /** What it does, for the function's description. */
  readonly description: string;
  /** `task`: a Task state of the release ASL; `event`: an EventBridge target; `http`: behind the approval API or the control API; `stream`: the ledger stream's event source mapping. */
  readonly kind: FunctionRole;
  /** The ASL placeholder its ARN substitutes (Task-state functions only). */
  readonly substitution?: string;
  /** The port methods (with AWS adapters) its code calls; it is granted exactly their actions. */
  readonly uses: readonly PortMethod[];
  /** Whether it reads and writes the ledger; every function reads the configuration items (CONFIG) of it. */
  readonly ledger: boolean;
  /** Whether it starts executions of the state machine (needs its ARN in the environment). */
  readonly needsStateMachineArn?: boolean;
  /** Lambda timeout in seconds. */
  readonly timeoutSeconds: number;
}

/** The AWS adapters a function builds: those of the ports it calls (both fleets for `Fleet`, each granted for its kind's services). */
export function adaptersOf(spec: Pick<FunctionSpec, 'uses'>): AwsAdapterName[] {
  return [...adapterMethods(spec.uses).keys()].sort();
}

/** Set, then verify (functions/steps/traffic.ts setAndVerifyWeights). */
const SET_WEIGHTS: readonly PortMethod[] = ['TrafficRouter.setWeights', 'TrafficRouter.getWeights'];

/** A Task state's function: the step it runs, whose `needs` its handler builds (functions/handlers/step-handler.ts types them). */
export interface TaskFunctionSpec extends FunctionSpec {
  readonly step: DefinedStep<unknown>;
  readonly substitution: string;
}

/**
 * Every Task state's function: the one list of steps, their ASL placeholders
 * and what they call, that the stack's functions and grants and the local
 * runtime (local/runtime.ts STEP_FUNCTIONS) are derived from.
 */
export const TASK_FUNCTIONS: readonly TaskFunctionSpec[] = (
  [
  { id: 'Preflight', step: preflight, entry: 'preflight', substitution: 'PreflightFunctionArn', uses: ['AlarmSource.alarmsInAlarm'], timeoutSeconds: 30, description: 'Preflight and lock' },
  { id: 'StartMigration', step: startMigration, entry: 'start-migration', substitution: 'StartMigrationFunctionArn', uses: ['Migrator.start'], timeoutSeconds: 60, description: 'Starts the migration task' },
  { id: 'CheckMigration', step: checkMigration, entry: 'check-migration', substitution: 'CheckMigrationFunctionArn', uses: ['Migrator.status', 'Migrator.stop'], timeoutSeconds: 30, description: 'Polls the migration task' },
  { id: 'Deploy', step: deploy, entry: 'deploy', substitution: 'DeployFunctionArn', uses: ['Fleet.create'], timeoutSeconds: 120, description: 'Creates the new immutable fleet' },
  { id: 'CheckHealth', step: checkHealth, entry: 'check-health', substitution: 'CheckHealthFunctionArn', uses: ['Fleet.health'], timeoutSeconds: 30, description: 'Health gate of the new fleet' },
  // Up to 20 smoke checks of 5 s each, plus the header route set and removed.
  { id: 'DarkCanary', step: darkCanary, entry: 'dark-canary', substitution: 'DarkCanaryFunctionArn', uses: ['TrafficRouter.setHeaderRoute', 'TrafficRouter.removeHeaderRoute'], timeoutSeconds: 150, description: 'Header-routed dark canary and smoke checks' },
  { id: 'ShiftTraffic', step: shiftTraffic, entry: 'shift-traffic', substitution: 'ShiftTrafficFunctionArn', uses: ['AlarmSource.alarmsInAlarm', ...SET_WEIGHTS], timeoutSeconds: 60, description: 'Checks the bake, sets and verifies the next weights' },
  { id: 'Bake', step: bake, entry: 'bake', substitution: 'BakeFunctionArn', uses: [], timeoutSeconds: 30, description: 'Registers a bake task token' },
  { id: 'Approval', step: approval, entry: 'approval', substitution: 'ApprovalFunctionArn', uses: ['AlarmSource.alarmsInAlarm', 'SlackBotToken.get'], timeoutSeconds: 30, description: 'Registers an approval and asks the approvers in Slack' },
  { id: 'Finalize', step: finalize, entry: 'finalize', substitution: 'FinalizeFunctionArn', uses: [...SET_WEIGHTS, 'Fleet.promote'], timeoutSeconds: 120, description: 'Promotes the new fleet' },
  { id: 'Retire', step: retire, entry: 'retire', substitution: 'RetireFunctionArn', uses: ['Fleet.retire'], timeoutSeconds: 120, description: 'Retires the old fleet and closes the release' },
  { id: 'Rollback', step: rollback, entry: 'rollback', substitution: 'RollbackFunctionArn', uses: [...SET_WEIGHTS, 'TrafficRouter.removeHeaderRoute', 'Fleet.health', 'Fleet.promote', 'Fleet.retire', 'Migrator.stop'], timeoutSeconds: 180, description: 'Restores the stable fleet and closes the release' },
  ] satisfies Omit<TaskFunctionSpec, 'kind' | 'ledger'>[]
).map((f) => ({ ...f, kind: 'task', ledger: true }));

/** The out-of-band handlers, each the target of EventBridge rules. */
export const EVENT_FUNCTIONS: readonly FunctionSpec[] = (
  [
  { id: 'AlarmHandler', entry: 'alarm', uses: ['AlarmSource.alarmsInAlarm', ...SET_WEIGHTS, 'Callbacks.failure'], ledger: true, timeoutSeconds: 60, description: 'Alarm to ALARM: traffic back to stable, flow failed' },
  // Every onboarded service, each possibly rolled back.
  { id: 'Reconciler', entry: 'reconcile', uses: ['Executions.status', ...SET_WEIGHTS, 'TrafficRouter.removeHeaderRoute', 'Fleet.health', 'Fleet.promote', 'Fleet.retire'], ledger: true, timeoutSeconds: 300, description: 'Closes releases whose execution died' },
  { id: 'BuildTrigger', entry: 'build-trigger', uses: ['ReleaseStarter.start'], ledger: false, needsStateMachineArn: true, timeoutSeconds: 30, description: 'Starts releases from ECR pushes and CodeBuild builds' },
  ] satisfies Omit<FunctionSpec, 'kind'>[]
).map((f) => ({ ...f, kind: 'event' }));

/**
 * The approval path's functions, deployed when the configuration names a
 * Slack app (`slack`): the endpoint behind the approval HTTP API (Slack
 * interactivity and the browser links) and the sweeper, on a schedule.
 */
export const APPROVAL_FUNCTIONS: readonly FunctionSpec[] = [
  // Slack wants an answer within 3 s; the timeout only bounds a stuck call.
  { id: 'ApprovalEndpoint', entry: 'approval-endpoint', kind: 'http', uses: ['Callbacks.success', 'Callbacks.failure', 'SlackBotToken.get', 'SlackSigningSecrets.get'], ledger: true, timeoutSeconds: 10, description: 'Slack interactivity and approval links: decides approvals' },
  { id: 'ApprovalSweeper', entry: 'approval-sweeper', kind: 'event', uses: ['AlarmSource.alarmsInAlarm', 'Callbacks.success', 'Callbacks.failure', 'SlackBotToken.get'], ledger: true, timeoutSeconds: 60, description: 'Delivers undelivered approval decisions, expires approvals that stopped mattering, in the ledger and in Slack' },
];

/**
 * The control API's function, behind the IAM-authorized HTTP API of
 * infra/control-api.ts (one route per functions/control/routes.ts entry):
 * starts releases (StartExecution), reads their executions, resumes their
 * task tokens (promote-now, abort, approve, reject), flips traffic back to a
 * warm fleet (rollback) and, with a Slack app, updates approval messages.
 * Deployed whatever the configuration: the CLI and the dashboard need it.
 */
export const CONTROL_FUNCTIONS: readonly FunctionSpec[] = [
  // API Gateway gives an HTTP API integration at most 30 s; a rollback's set-and-verify fits well inside.
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
  {
    id: 'ControlEndpoint',
    entry: 'control-api',
    kind: 'http',
    uses: [
      'ReleaseStarter.start',
      'Callbacks.success',
      'Callbacks.failure',
      'Executions.status',
      ...SET_WEIGHTS,
      'TrafficRouter.removeHeaderRoute',
      'Fleet.health',
      'Fleet.promote',
      'Fleet.retire',
      'AlarmSource.alarmsInAlarm',
      'TrafficMetrics.read',
      'SlackBotToken.get',
    ],
    ledger: true,
    needsStateMachineArn: true,
    timeoutSeconds: 29,
    description: 'Control API: starts, promotes, aborts and rolls back releases, decides approvals, under IAM',
  },
];

/**
 * The Notifier, fed by the ledger table's stream (functions/handlers/notify.ts):
 * release notifications as EventBridge events on the default bus and, with a
 * Slack app, messages in the service's channel (its bot token read once per
 * container; without `slack` the grant renders to nothing). It reads the
 * stream, never the table: no ledger grants.
 */
export const STREAM_FUNCTIONS: readonly FunctionSpec[] = [
  // A batch is at most 10 records, each at most one PutEvents and one Slack post.
  { id: 'Notifier', entry: 'notify', kind: 'stream', uses: ['ReleaseEvents.publish', 'SlackBotToken.get'], ledger: false, timeoutSeconds: 60, description: 'Release notifications from the ledger stream: EventBridge events and Slack messages' },
];

/** Every function the orchestrator can deploy (which of them it does depends on the configuration: see ReleaseOrchestrator). */
export const ALL_FUNCTIONS: readonly FunctionSpec[] = [...TASK_FUNCTIONS, ...EVENT_FUNCTIONS, ...APPROVAL_FUNCTIONS, ...CONTROL_FUNCTIONS, ...STREAM_FUNCTIONS];
