/**
 * Every AWS adapter's IAM grants and the actions of each of its port methods,
 * for the stack (grant each function the actions of the port methods it
 * calls, scoped by the grants) and the least-privilege tests.
 */
import type { SlackBotToken, SlackSigningSecrets } from '../../approval/secrets.js';
import type { AlarmSource, Callbacks, Executions, Fleet, Migrator, ReleaseEvents, TrafficMetrics, TrafficRouter } from '../../ports.js';
import { ALB_ROUTER_IAM, ALB_ROUTER_METHODS } from './alb-router.js';
import { ASG_FLEET_IAM, ASG_FLEET_METHODS } from './asg-fleet.js';
import { CLOUDWATCH_ALARMS_IAM, CLOUDWATCH_ALARMS_METHODS } from './cloudwatch-alarms.js';
import { CLOUDWATCH_METRICS_IAM, CLOUDWATCH_METRICS_METHODS } from './cloudwatch-metrics.js';
import { ECS_FLEET_IAM, ECS_FLEET_METHODS } from './ecs-fleet.js';
import { ECS_MIGRATOR_IAM, ECS_MIGRATOR_METHODS } from './ecs-migrator.js';
import { EVENTBRIDGE_IAM, EVENTBRIDGE_METHODS } from './eventbridge.js';
import type { IamGrant, MethodActions, MethodsOf } from './iam.js';
import { SECRETS_MANAGER_SECRET_IAM, SLACK_BOT_TOKEN_SECRET_METHODS, SLACK_SIGNING_SECRET_METHODS } from './secrets-manager.js';
import { SFN_CALLBACKS_IAM, SFN_CALLBACKS_METHODS } from './sfn-callbacks.js';
import { SFN_EXECUTIONS_IAM, SFN_EXECUTIONS_METHODS } from './sfn-executions.js';
import { SFN_RELEASE_STARTER_IAM, SFN_RELEASE_STARTER_METHODS, type ReleaseStarter } from './sfn-release-starter.js';

/** The ports that have AWS adapters, by interface name. */
export interface AwsPorts {
  readonly Fleet: Fleet;
  readonly TrafficRouter: TrafficRouter;
  readonly AlarmSource: AlarmSource;
  readonly Migrator: Migrator;
  readonly Callbacks: Callbacks;
  readonly Executions: Executions;
  readonly ReleaseStarter: ReleaseStarter;
  readonly SlackBotToken: SlackBotToken;
  readonly SlackSigningSecrets: SlackSigningSecrets;
  readonly TrafficMetrics: TrafficMetrics;
  readonly ReleaseEvents: ReleaseEvents;
}

/** The name of a port with AWS adapters. */
export type AwsPortName = keyof AwsPorts;

/** One method of a port, `<Port>.<method>` (`Fleet.health`): what a function declares it calls. */
export type PortMethod = { [P in AwsPortName]: `${P}.${MethodsOf<AwsPorts[P]>}` }[AwsPortName];

/** One AWS adapter: the port it implements, its grants, and the actions each method needs. */
export interface AwsAdapter<P extends AwsPortName = AwsPortName> {
  readonly port: P;
  readonly grants: readonly IamGrant<never>[];
  readonly methods: MethodActions<MethodsOf<AwsPorts[P]>>;
}

/** Types one entry: `methods` must name every method of `port`, nothing else. */
function adapter<P extends AwsPortName, S>(port: P, grants: readonly IamGrant<S>[], methods: MethodActions<MethodsOf<AwsPorts[P]>>): AwsAdapter<P> {
  // A grant's scope type only matters where it is rendered (infra/grants.ts), which knows it.
  return { port, grants, methods };
}

/** Every AWS adapter class that sends AWS commands, by class name. */
export const AWS_ADAPTERS = {
  EcsFleet: adapter('Fleet', ECS_FLEET_IAM, ECS_FLEET_METHODS),
  AsgFleet: adapter('Fleet', ASG_FLEET_IAM, ASG_FLEET_METHODS),
  AlbRouter: adapter('TrafficRouter', ALB_ROUTER_IAM, ALB_ROUTER_METHODS),
  CloudWatchAlarms: adapter('AlarmSource', CLOUDWATCH_ALARMS_IAM, CLOUDWATCH_ALARMS_METHODS),
  EcsMigrator: adapter('Migrator', ECS_MIGRATOR_IAM, ECS_MIGRATOR_METHODS),
  SfnCallbacks: adapter('Callbacks', SFN_CALLBACKS_IAM, SFN_CALLBACKS_METHODS),
  SfnExecutions: adapter('Executions', SFN_EXECUTIONS_IAM, SFN_EXECUTIONS_METHODS),
  SfnReleaseStarter: adapter('ReleaseStarter', SFN_RELEASE_STARTER_IAM, SFN_RELEASE_STARTER_METHODS),
  SlackBotTokenSecret: adapter('SlackBotToken', SECRETS_MANAGER_SECRET_IAM, SLACK_BOT_TOKEN_SECRET_METHODS),
  SlackSigningSecret: adapter('SlackSigningSecrets', SECRETS_MANAGER_SECRET_IAM, SLACK_SIGNING_SECRET_METHODS),
  CloudWatchMetrics: adapter('TrafficMetrics', CLOUDWATCH_METRICS_IAM, CLOUDWATCH_METRICS_METHODS),
  EventBridgeReleaseEvents: adapter('ReleaseEvents', EVENTBRIDGE_IAM, EVENTBRIDGE_METHODS),
} as const satisfies Record<string, AwsAdapter>;

/** The name of an AWS adapter class that exports IAM grants. */
export type AwsAdapterName = keyof typeof AWS_ADAPTERS;

const ADAPTER_NAMES = Object.keys(AWS_ADAPTERS) as AwsAdapterName[];

/** The adapters of `port` (both fleets for `Fleet`: the stack scopes each to the services of its kind). */
export function adaptersOfPort(port: AwsPortName): AwsAdapterName[] {
  return ADAPTER_NAMES.filter((name) => AWS_ADAPTERS[name].port === port);
}

/** The methods of each adapter that `uses` reaches, adapter by adapter. */
export function adapterMethods(uses: readonly PortMethod[]): Map<AwsAdapterName, string[]> {
  const methods = new Map<AwsAdapterName, string[]>();
  for (const use of uses) {
    const [port, method] = use.split('.') as [AwsPortName, string];
    for (const name of adaptersOfPort(port)) methods.set(name, [...new Set([...(methods.get(name) ?? []), method])].sort());
  }
  return methods;
}

/** The IAM actions `methods` of `adapter` need, sorted. */
export function methodActions(name: AwsAdapterName, methods: readonly string[]): string[] {
  const table = AWS_ADAPTERS[name].methods as Readonly<Record<string, readonly string[]>>;
  return [...new Set(methods.flatMap((m) => table[m] ?? []))].sort();
}

/** Every IAM action a function calling `uses` is granted, across adapters, sorted. */
export function actionsForUses(uses: readonly PortMethod[]): string[] {
  return [...new Set([...adapterMethods(uses)].flatMap(([name, methods]) => methodActions(name, methods)))].sort();
}
