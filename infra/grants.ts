/**
 * From the adapters' IAM grants (data, in functions/adapters/aws/) to IAM
 * policy statements scoped to the onboarded services: each function gets the
 * statements of the adapters it builds, one per grant and per service the
 * grant concerns, and nothing else but its ledger and log permissions.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import { AWS_ADAPTER_GRANTS, type AwsAdapterName } from '../functions/adapters/aws/grants.js';
import { resourceName, type ArnEnv, type IamGrant } from '../functions/adapters/aws/iam.js';
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

/** A grant with the scopes it is rendered for. */
interface ScopedGrants<S> {
  readonly grants: readonly IamGrant<S>[];
  readonly scopes: readonly S[];
}

/** The `migration.taskDefinition` family: `family`, `family:3` or an ARN → `family`. */
export function taskDefinitionFamily(taskDefinition: string): string {
  return resourceName(taskDefinition).split(':')[0] ?? taskDefinition;
}

/** Each adapter's grants and the scopes, from the configuration, it is granted for. */
function scopedGrants(adapter: AwsAdapterName, config: RollgateConfig, stateMachineArn: string): ScopedGrants<never> {
  const services = config.services;
  const scoped = <S>(grants: readonly IamGrant<S>[], scopes: readonly S[]): ScopedGrants<never> =>
    ({ grants, scopes }) as unknown as ScopedGrants<never>;
  switch (adapter) {
    case 'EcsFleet':
      return scoped(
        AWS_ADAPTER_GRANTS.EcsFleet,
        services.flatMap((s) => (s.fleet.kind === 'ecs' ? [{ cluster: s.fleet.cluster, service: s.fleet.service, taskRoleArns: s.fleet.taskRoleArns }] : [])),
      );
    case 'AsgFleet':
      return scoped(
        AWS_ADAPTER_GRANTS.AsgFleet,
        services.flatMap((s) =>
          s.fleet.kind === 'asg'
            ? [{ launchTemplateId: s.fleet.launchTemplateId, groupNamePrefix: s.fleet.groupNamePrefix, instanceRoleArns: s.fleet.instanceRoleArns }]
            : [],
        ),
      );
    case 'AlbRouter':
      return scoped(AWS_ADAPTER_GRANTS.AlbRouter, [{ listenerArns: [...new Set(services.map((s) => s.traffic.listenerArn))] }]);
    case 'CloudWatchAlarms':
      return scoped(AWS_ADAPTER_GRANTS.CloudWatchAlarms, [undefined]);
    case 'EcsMigrator':
      return scoped(
        AWS_ADAPTER_GRANTS.EcsMigrator,
        services.flatMap((s) =>
          s.migration === undefined
            ? []
            : [{ cluster: s.migration.cluster, taskDefinitionFamily: taskDefinitionFamily(s.migration.taskDefinition), taskRoleArns: s.migration.taskRoleArns }],
        ),
      );
    case 'SfnCallbacks':
      return scoped(AWS_ADAPTER_GRANTS.SfnCallbacks, [{ stateMachineArn }]);
    case 'SfnExecutions':
      return scoped(AWS_ADAPTER_GRANTS.SfnExecutions, [{ stateMachineArn }]);
    case 'SfnReleaseStarter':
      return scoped(AWS_ADAPTER_GRANTS.SfnReleaseStarter, [{ stateMachineArn }]);
    case 'SlackSecretsManager':
      // The approval functions build it (the Approval step among them). Without `slack` no plan has an
      // approval step (the configuration refuses it) and the endpoint and sweeper are not deployed: nothing to grant.
      return scoped(AWS_ADAPTER_GRANTS.SlackSecretsManager, config.slack === undefined ? [] : [{ secretName: config.slack.secretName }]);
  }
}

/** One rendered statement and the grant it came from (for nag suppression reasons). */
export interface RenderedGrant {
  readonly adapter: AwsAdapterName;
  readonly grant: IamGrant<never>;
  readonly statement: iam.PolicyStatement;
}

/**
 * The statements of `adapters` for the onboarded services. A grant whose
 * resources come out empty for a service (no role to pass) is left out:
 * there is nothing to allow.
 */
export function adapterStatements(
  adapters: readonly AwsAdapterName[],
  config: RollgateConfig,
  env: ArnEnv,
  stateMachineArn: string,
): RenderedGrant[] {
  const rendered: RenderedGrant[] = [];
  for (const adapter of adapters) {
    const { grants, scopes } = scopedGrants(adapter, config, stateMachineArn);
    for (const grant of grants) {
      for (const scope of scopes) {
        const resources = grant.resources === '*' ? ['*'] : [...new Set(grant.resources(scope, env))];
        if (resources.length === 0) continue;
        const conditions = grant.conditions?.(scope, env);
        const statement = new iam.PolicyStatement({
          actions: [...grant.actions],
          resources,
          ...(conditions === undefined ? {} : { conditions: structuredClone(conditions) }),
        });
        rendered.push({ adapter, grant, statement });
        // A '*' grant needs rendering once, whatever the number of services.
        if (grant.resources === '*' && grant.conditions === undefined) break;
      }
    }
  }
  return rendered;
}
