/**
 * rollgate's Lambda functions as data: which entry point each one runs
 * (functions/handlers/<entry>.ts), which Task state of the release ASL it is
 * (its `${...FunctionArn}` placeholder), which adapters it builds — and so
 * which IAM grants it gets — and how long it may run.
 *
 * The entry points build exactly the adapters listed here; a test
 * (test/infra/handlers.test.ts) reads their imports to keep the two in step.
 */
import type { AwsAdapterName } from '../functions/adapters/aws/grants.js';

/** How a function is started: by the state machine, by EventBridge, or by the approval endpoint's HTTP API. */
export type FunctionRole = 'task' | 'event' | 'http';

/** One Lambda function of the orchestrator. */
export interface FunctionSpec {
  /** Construct id, also the key in {@link ReleaseOrchestrator.functions}. */
  readonly id: string;
  /** `functions/handlers/<entry>.ts`. */
  readonly entry: string;
  /** What it does, for the function's description. */
  readonly description: string;
  /** `task`: a Task state of the release ASL; `event`: an EventBridge target; `http`: behind the approval API. */
  readonly kind: FunctionRole;
  /** The ASL placeholder its ARN substitutes (Task-state functions only). */
  readonly substitution?: string;
  /** The AWS adapters it builds; it is granted exactly their actions. */
  readonly adapters: readonly AwsAdapterName[];
  /** Whether it reads and writes the ledger. */
  readonly ledger: boolean;
  /** Whether it starts executions of the state machine (needs its ARN in the environment). */
  readonly needsStateMachineArn?: boolean;
  /** Lambda timeout in seconds. */
  readonly timeoutSeconds: number;
}

/** Fleets by kind: a function that touches fleets gets the grants of the kinds onboarded. */
const FLEETS: readonly AwsAdapterName[] = ['EcsFleet', 'AsgFleet'];

/** Every Task state's function, keyed like local/runtime.ts STEP_FUNCTIONS. */
export const TASK_FUNCTIONS: readonly FunctionSpec[] = (
  [
  { id: 'Preflight', entry: 'preflight', substitution: 'PreflightFunctionArn', adapters: ['CloudWatchAlarms'], timeoutSeconds: 30, description: 'Preflight and lock' },
  { id: 'StartMigration', entry: 'start-migration', substitution: 'StartMigrationFunctionArn', adapters: ['EcsMigrator'], timeoutSeconds: 60, description: 'Starts the migration task' },
  { id: 'CheckMigration', entry: 'check-migration', substitution: 'CheckMigrationFunctionArn', adapters: ['EcsMigrator'], timeoutSeconds: 30, description: 'Polls the migration task' },
  { id: 'Deploy', entry: 'deploy', substitution: 'DeployFunctionArn', adapters: FLEETS, timeoutSeconds: 120, description: 'Creates the new immutable fleet' },
  { id: 'CheckHealth', entry: 'check-health', substitution: 'CheckHealthFunctionArn', adapters: FLEETS, timeoutSeconds: 30, description: 'Health gate of the new fleet' },
  // Up to 20 smoke checks of 5 s each, plus the header route set and removed.
  { id: 'DarkCanary', entry: 'dark-canary', substitution: 'DarkCanaryFunctionArn', adapters: ['AlbRouter'], timeoutSeconds: 150, description: 'Header-routed dark canary and smoke checks' },
  { id: 'Advance', entry: 'advance', substitution: 'AdvanceFunctionArn', adapters: ['AlbRouter', 'CloudWatchAlarms'], timeoutSeconds: 60, description: 'Checks the bake, sets and verifies the next weights' },
  { id: 'Bake', entry: 'bake', substitution: 'BakeFunctionArn', adapters: [], timeoutSeconds: 30, description: 'Registers a bake task token' },
  { id: 'Approval', entry: 'approval', substitution: 'ApprovalFunctionArn', adapters: ['CloudWatchAlarms', 'SlackSecretsManager'], timeoutSeconds: 30, description: 'Registers an approval and asks the approvers in Slack' },
  { id: 'Finalize', entry: 'finalize', substitution: 'FinalizeFunctionArn', adapters: ['AlbRouter', ...FLEETS], timeoutSeconds: 120, description: 'Promotes the new fleet' },
  { id: 'Retire', entry: 'retire', substitution: 'RetireFunctionArn', adapters: FLEETS, timeoutSeconds: 120, description: 'Retires the old fleet and closes the release' },
  { id: 'Rollback', entry: 'rollback', substitution: 'RollbackFunctionArn', adapters: ['AlbRouter', ...FLEETS], timeoutSeconds: 180, description: 'Restores the stable fleet and closes the release' },
  ] satisfies Omit<FunctionSpec, 'kind' | 'ledger'>[]
).map((f) => ({ ...f, kind: 'task', ledger: true }));

/** The out-of-band handlers, each the target of EventBridge rules. */
export const EVENT_FUNCTIONS: readonly FunctionSpec[] = (
  [
  { id: 'AlarmHandler', entry: 'alarm', adapters: ['AlbRouter', 'SfnCallbacks'], ledger: true, timeoutSeconds: 60, description: 'Alarm to ALARM: traffic back to stable, flow failed' },
  // Every onboarded service, each possibly rolled back.
  { id: 'Reconciler', entry: 'reconcile', adapters: ['AlbRouter', ...FLEETS, 'SfnExecutions'], ledger: true, timeoutSeconds: 300, description: 'Closes releases whose execution died' },
  { id: 'BuildTrigger', entry: 'build-trigger', adapters: ['SfnReleaseStarter'], ledger: false, needsStateMachineArn: true, timeoutSeconds: 30, description: 'Starts releases from ECR pushes and CodeBuild builds' },
  ] satisfies Omit<FunctionSpec, 'kind'>[]
).map((f) => ({ ...f, kind: 'event' }));

/**
 * The approval path's functions, deployed when the configuration names a
 * Slack app (`slack`): the endpoint behind the approval HTTP API (Slack
 * interactivity and the browser links) and the sweeper, on a schedule.
 */
export const APPROVAL_FUNCTIONS: readonly FunctionSpec[] = [
  // Slack wants an answer within 3 s; the timeout only bounds a stuck call.
  { id: 'ApprovalEndpoint', entry: 'approval-endpoint', kind: 'http', adapters: ['SfnCallbacks', 'SlackSecretsManager'], ledger: true, timeoutSeconds: 10, description: 'Slack interactivity and approval links: decides approvals' },
  { id: 'ApprovalSweeper', entry: 'approval-sweeper', kind: 'event', adapters: ['SfnCallbacks', 'SlackSecretsManager'], ledger: true, timeoutSeconds: 60, description: 'Delivers undelivered approval decisions, expires approvals that stopped mattering, in the ledger and in Slack' },
];
