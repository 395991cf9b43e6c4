/**
 * Every AWS adapter's IAM grants by adapter, for the stack (grant each
 * function the grants of the adapters it builds) and the least-privilege test.
 */
import { ALB_ROUTER_IAM } from './alb-router.js';
import { ASG_FLEET_IAM } from './asg-fleet.js';
import { CLOUDWATCH_ALARMS_IAM } from './cloudwatch-alarms.js';
import { ECS_FLEET_IAM } from './ecs-fleet.js';
import { ECS_MIGRATOR_IAM } from './ecs-migrator.js';
import { SLACK_SECRETS_MANAGER_IAM } from './secrets-manager.js';
import { SFN_CALLBACKS_IAM } from './sfn-callbacks.js';
import { SFN_EXECUTIONS_IAM } from './sfn-executions.js';
import { SFN_RELEASE_STARTER_IAM } from './sfn-release-starter.js';

export const AWS_ADAPTER_GRANTS = {
  EcsFleet: ECS_FLEET_IAM,
  AsgFleet: ASG_FLEET_IAM,
  AlbRouter: ALB_ROUTER_IAM,
  CloudWatchAlarms: CLOUDWATCH_ALARMS_IAM,
  EcsMigrator: ECS_MIGRATOR_IAM,
  SfnCallbacks: SFN_CALLBACKS_IAM,
  SfnExecutions: SFN_EXECUTIONS_IAM,
  SfnReleaseStarter: SFN_RELEASE_STARTER_IAM,
  SlackSecretsManager: SLACK_SECRETS_MANAGER_IAM,
} as const;

/** The name of an AWS adapter class that exports IAM grants. */
export type AwsAdapterName = keyof typeof AWS_ADAPTER_GRANTS;
