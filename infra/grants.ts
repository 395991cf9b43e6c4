/**
 * From the adapters' IAM grants (data, in functions/adapters/aws/) to IAM
 * policy statements: each function gets the actions of the port methods it
 * calls (infra/functions.ts `uses`), each statement scoped as its adapter's
 * grant says — by the `rollgate:service` tag and to the stack's account and
 * region, never by a service's ARNs — one per grant, and nothing else but
 * its ledger and log permissions. So a role's policy is the same size for
 * one service or a thousand (IAM caps a role's inline policies at 10,240
 * characters: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { adapterMethods, methodActions, type AwsAdapterName, type PortMethod } from '../functions/adapters/aws/grants.js';
import type { ArnEnv, IamGrant } from '../functions/adapters/aws/iam.js';
import { ALB_ROUTER_IAM } from '../functions/adapters/aws/alb-router.js';
import { ASG_FLEET_IAM } from '../functions/adapters/aws/asg-fleet.js';
import { CLOUDWATCH_ALARMS_IAM } from '../functions/adapters/aws/cloudwatch-alarms.js';
import { CLOUDWATCH_METRICS_IAM } from '../functions/adapters/aws/cloudwatch-metrics.js';
import { ECS_FLEET_IAM } from '../functions/adapters/aws/ecs-fleet.js';
import { ECS_MIGRATOR_IAM } from '../functions/adapters/aws/ecs-migrator.js';
import { EVENTBRIDGE_IAM } from '../functions/adapters/aws/eventbridge.js';
import { SECRETS_MANAGER_SECRET_IAM } from '../functions/adapters/aws/secrets-manager.js';
import { SFN_CALLBACKS_IAM } from '../functions/adapters/aws/sfn-callbacks.js';
import { SFN_EXECUTIONS_IAM } from '../functions/adapters/aws/sfn-executions.js';
import { SFN_RELEASE_STARTER_IAM } from '../functions/adapters/aws/sfn-release-starter.js';
import type { RollgateConfig } from '../functions/config.js';

/**
 * The ledger's DynamoDB actions: the Ledger's Get/Put/Update/Delete/Query, and
 * TransactWriteItems, which is authorized per item as PutItem, UpdateItem,
 * DeleteItem and ConditionCheckItem.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html
 */
export const LEDGER_ACTIONS: readonly string[] = [
  'dynamodb:ConditionCheckItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];

/**
 * What a function on the ledger's stream holds for its event source mapping,
 * which polls with the function's role: CDK's stream read grant (ListStreams
 * on `*`, the rest on the stream's ARN).
 * https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html#events-dynamodb-permissions
 */
export const STREAM_READ_ACTIONS: readonly string[] = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'];

/** What it holds to send a batch it gave up on to its SQS on-failure destination (CDK's send grant on that queue). */
export const ON_FAILURE_ACTIONS: readonly string[] = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'];

/** The event bus the Notifier puts release events on: the account's default bus (functions/handlers/notify.ts names none). */
export const RELEASE_EVENT_BUS = 'default';

/** Each adapter's grants, typed by its scope (the registry in functions/adapters/aws/grants.ts forgets the scope type). */
const AWS_ADAPTER_GRANTS = {
  EcsFleet: ECS_FLEET_IAM,
  AsgFleet: ASG_FLEET_IAM,
  AlbRouter: ALB_ROUTER_IAM,
  CloudWatchAlarms: CLOUDWATCH_ALARMS_IAM,
  EcsMigrator: ECS_MIGRATOR_IAM,
  SfnCallbacks: SFN_CALLBACKS_IAM,
  SfnExecutions: SFN_EXECUTIONS_IAM,
  SfnReleaseStarter: SFN_RELEASE_STARTER_IAM,
  SlackBotTokenSecret: SECRETS_MANAGER_SECRET_IAM,
  SlackSigningSecret: SECRETS_MANAGER_SECRET_IAM,
  CloudWatchMetrics: CLOUDWATCH_METRICS_IAM,
  EventBridgeReleaseEvents: EVENTBRIDGE_IAM,
} as const satisfies Record<AwsAdapterName, readonly IamGrant<never>[]>;

/** A grant with the scopes it is rendered for. */
interface ScopedGrants<S> {
  readonly grants: readonly IamGrant<S>[];
  readonly scopes: readonly S[];
}

/** Each adapter's grants and the scopes, from the configuration, it is granted for. */
function scopedGrants(adapter: AwsAdapterName, config: RollgateConfig, stateMachineArn: string): ScopedGrants<never> {
  const services = config.services;
  const scoped = <S>(grants: readonly IamGrant<S>[], scopes: readonly S[]): ScopedGrants<never> =>
    ({ grants, scopes }) as unknown as ScopedGrants<never>;
  switch (adapter) {
    // One scope per adapter, whatever the number of services: the grants name no service's resources
    // (they are scoped by the rollgate:service tag), only whether a fleet kind, a migration or a role to pass is onboarded at all.
    case 'EcsFleet': {
      const ecs = services.flatMap((s) => (s.fleet.kind === 'ecs' ? [s.fleet] : []));
      return scoped(AWS_ADAPTER_GRANTS.EcsFleet, ecs.length === 0 ? [] : [{ passesRoles: ecs.some((f) => f.taskRoleArns.length > 0) }]);
    }
    case 'AsgFleet': {
      const asg = services.flatMap((s) => (s.fleet.kind === 'asg' ? [s.fleet] : []));
      return scoped(AWS_ADAPTER_GRANTS.AsgFleet, asg.length === 0 ? [] : [{ passesRoles: asg.some((f) => f.instanceRoleArns.length > 0) }]);
    }
    case 'AlbRouter':
      return scoped(AWS_ADAPTER_GRANTS.AlbRouter, [undefined]);
    case 'CloudWatchAlarms':
      return scoped(AWS_ADAPTER_GRANTS.CloudWatchAlarms, [undefined]);
    case 'CloudWatchMetrics':
      return scoped(AWS_ADAPTER_GRANTS.CloudWatchMetrics, [undefined]);
    case 'EcsMigrator': {
      const migrations = services.flatMap((s) => (s.migration === undefined ? [] : [s.migration]));
      return scoped(AWS_ADAPTER_GRANTS.EcsMigrator, migrations.length === 0 ? [] : [{ passesRoles: migrations.some((m) => m.taskRoleArns.length > 0) }]);
    }
    case 'SfnCallbacks':
      return scoped(AWS_ADAPTER_GRANTS.SfnCallbacks, [{ stateMachineArn }]);
    case 'SfnExecutions':
      return scoped(AWS_ADAPTER_GRANTS.SfnExecutions, [{ stateMachineArn }]);
    case 'SfnReleaseStarter':
      return scoped(AWS_ADAPTER_GRANTS.SfnReleaseStarter, [{ stateMachineArn }]);
    // The approval functions read them (the Approval step among them). Without `slack` no plan has an
    // approval step (the configuration refuses it) and the endpoint and sweeper are not deployed: nothing to grant.
    case 'SlackBotTokenSecret':
      return scoped(AWS_ADAPTER_GRANTS.SlackBotTokenSecret, config.slack === undefined ? [] : [{ secretName: config.slack.botTokenSecretName }]);
    // Release notifications go to the account's default bus, where teams' rules route them.
    case 'EventBridgeReleaseEvents':
      return scoped(AWS_ADAPTER_GRANTS.EventBridgeReleaseEvents, [{ eventBusName: RELEASE_EVENT_BUS }]);
    case 'SlackSigningSecret':
      return scoped(AWS_ADAPTER_GRANTS.SlackSigningSecret, config.slack === undefined ? [] : [{ secretName: config.slack.signingSecretName }]);
  }
}

/** One rendered statement, the grant it came from and the methods that need it (for nag suppression reasons). */
export interface RenderedGrant {
  readonly adapter: AwsAdapterName;
  readonly methods: readonly string[];
  readonly grant: IamGrant<never>;
  readonly statement: iam.PolicyStatement;
}

/**
 * The statements a function calling `uses` needs for the onboarded services:
 * of each grant of each adapter of those ports, the actions those methods
 * need (a grant none of them needs is left out), scoped as the grant says.
 * A grant whose resources come out empty for a service (no role to pass) is
 * left out too: there is nothing to allow.
 */
export function portMethodStatements(
  uses: readonly PortMethod[],
  config: RollgateConfig,
  env: ArnEnv,
  stateMachineArn: string,
): RenderedGrant[] {
  const rendered: RenderedGrant[] = [];
  for (const [adapter, methods] of adapterMethods(uses)) {
    const needed = new Set(methodActions(adapter, methods));
    const { grants, scopes } = scopedGrants(adapter, config, stateMachineArn);
    for (const grant of grants) {
      const actions = grant.actions.filter((a) => needed.has(a));
      if (actions.length === 0) continue;
      for (const scope of scopes) {
        const resources = grant.resources === '*' ? ['*'] : [...new Set(grant.resources(scope, env))];
        if (resources.length === 0) continue;
        const conditions = grant.conditions?.(scope, env);
        const statement = new iam.PolicyStatement({
          actions,
          resources,
          ...(conditions === undefined ? {} : { conditions: structuredClone(conditions) }),
        });
        rendered.push({ adapter, methods, grant, statement });
        // A '*' grant needs rendering once, whatever the number of services.
        if (grant.resources === '*' && grant.conditions === undefined) break;
      }
    }
  }
  return rendered;
}
