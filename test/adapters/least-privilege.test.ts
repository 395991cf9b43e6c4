/**
 * Least privilege, proven from the tests themselves: every scenario of every
 * AWS adapter runs here again against recording mocks, and the IAM actions its
 * commands need must be exactly the actions the adapter exports — nothing
 * missing (AccessDenied in production), nothing unused (privilege no test
 * exercises). Permission-only actions (iam:PassRole...) count as used when the
 * call that triggers them is used by the same adapter.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AWS_ADAPTER_GRANTS, type AwsAdapterName } from '../../functions/adapters/aws/grants.js';
import { grantedActions, type IamGrant } from '../../functions/adapters/aws/iam.js';
import { ALB_ROUTER_IAM } from '../../functions/adapters/aws/alb-router.js';
import { ASG_FLEET_IAM } from '../../functions/adapters/aws/asg-fleet.js';
import { ECS_FLEET_IAM } from '../../functions/adapters/aws/ecs-fleet.js';
import { ECS_MIGRATOR_IAM } from '../../functions/adapters/aws/ecs-migrator.js';
import { SLACK_SECRETS_MANAGER_IAM } from '../../functions/adapters/aws/secrets-manager.js';
import { SFN_CALLBACKS_IAM } from '../../functions/adapters/aws/sfn-callbacks.js';
import { SFN_RELEASE_STARTER_IAM } from '../../functions/adapters/aws/sfn-release-starter.js';
import { albRouterScenarios } from './alb-router.scenarios.js';
import { asgFleetScenarios } from './asg-fleet.scenarios.js';
import { cloudWatchAlarmsScenarios } from './cloudwatch-alarms.scenarios.js';
import { ecsFleetScenarios } from './ecs-fleet.scenarios.js';
import { ecsMigratorScenarios } from './ecs-migrator.scenarios.js';
import { sfnCallbacksScenarios } from './sfn-callbacks.scenarios.js';
import { sfnExecutionsScenarios } from './sfn-executions.scenarios.js';
import { sfnReleaseStarterScenarios } from './sfn-release-starter.scenarios.js';
import { slackSecretsManagerScenarios } from './secrets-manager.scenarios.js';
import { awsMocks, sentActions, type Scenario } from './harness.js';
import { ENV, LISTENER } from './fixtures.js';

const ALL: readonly Scenario[] = [
  ...ecsFleetScenarios,
  ...asgFleetScenarios,
  ...albRouterScenarios,
  ...cloudWatchAlarmsScenarios,
  ...ecsMigratorScenarios,
  ...sfnCallbacksScenarios,
  ...sfnExecutionsScenarios,
  ...sfnReleaseStarterScenarios,
  ...slackSecretsManagerScenarios,
];
const ADAPTERS = Object.keys(AWS_ADAPTER_GRANTS) as AwsAdapterName[];
const grantsOf = (adapter: AwsAdapterName): readonly IamGrant<never>[] => AWS_ADAPTER_GRANTS[adapter];

/** Actions an adapter's grants name that are API calls (not permission-only). */
function apiActions(adapter: AwsAdapterName): string[] {
  return grantedActions(grantsOf(adapter).filter((g) => g.checkedDuring === undefined));
}

const used = new Map<AwsAdapterName, Set<string>>(ADAPTERS.map((a) => [a, new Set<string>()]));
let commandsRecorded = 0;

beforeAll(async () => {
  for (const scenario of ALL) {
    const aws = awsMocks();
    await scenario.run(aws);
    const actions = sentActions(aws);
    commandsRecorded += actions.length;
    for (const action of actions) used.get(scenario.adapter)?.add(action);
  }
});

describe('least privilege of the AWS adapters', () => {
  it('runs scenarios of every adapter that exports grants, and records their commands', () => {
    for (const adapter of ADAPTERS) {
      expect(ALL.filter((s) => s.adapter === adapter).length, adapter).toBeGreaterThan(0);
      expect(used.get(adapter)?.size, adapter).toBeGreaterThan(0);
    }
    expect(commandsRecorded).toBeGreaterThan(ALL.length);
  });

  it('records each command as <iam prefix>:<operation>', async () => {
    const aws = awsMocks();
    const [scenario] = ecsFleetScenarios;
    if (scenario === undefined) throw new Error('no EcsFleet scenario');
    await scenario.run(aws);
    expect(sentActions(aws)[0]).toBe('ecs:DescribeTaskSets');
  });

  it.each(ADAPTERS)('%s sends no command its IAM grants do not name', (adapter) => {
    const granted = new Set(apiActions(adapter));
    expect([...(used.get(adapter) ?? [])].filter((a) => !granted.has(a))).toEqual([]);
  });

  it.each(ADAPTERS)('%s grants no API action its scenarios never send', (adapter) => {
    const sent = used.get(adapter) ?? new Set<string>();
    expect(apiActions(adapter).filter((a) => !sent.has(a))).toEqual([]);
  });

  it.each(ADAPTERS)('%s grants permission-only actions only for calls it makes', (adapter) => {
    const sent = used.get(adapter) ?? new Set<string>();
    for (const grant of grantsOf(adapter).filter((g) => g.checkedDuring !== undefined)) {
      expect(grant.checkedDuring?.length, grant.actions.join()).toBeGreaterThan(0);
      for (const trigger of grant.checkedDuring ?? []) expect(sent.has(trigger), `${trigger} in ${adapter}`).toBe(true);
    }
  });

  it('every grant says why, with the AWS document, and "*" only where cited', () => {
    for (const adapter of ADAPTERS) {
      for (const grant of grantsOf(adapter)) {
        expect(grant.why, `${adapter} ${grant.actions.join()}`).toMatch(/https:\/\/docs\.aws\.amazon\.com\//);
        expect(grant.actions.every((a) => /^[a-z0-9-]+:[A-Z][A-Za-z]+$/.test(a))).toBe(true);
      }
    }
  });

  it('scoped grants render the ARNs of the onboarded resources', () => {
    const ecs = { cluster: 'prod', service: 'arn:aws:ecs:us-east-1:111122223333:service/prod/api', taskRoleArns: ['arn:aws:iam::111122223333:role/api-task'] };
    const taskSets = ECS_FLEET_IAM[0]?.resources;
    expect(typeof taskSets === 'function' ? taskSets(ecs, ENV) : taskSets).toEqual([
      'arn:aws:ecs:us-east-1:111122223333:service/prod/api',
      'arn:aws:ecs:us-east-1:111122223333:task-set/prod/api/*',
    ]);
    const asg = ASG_FLEET_IAM[0]?.resources;
    expect(typeof asg === 'function' ? asg({ launchTemplateId: 'lt-1', groupNamePrefix: 'api-prod', instanceRoleArns: [] }, ENV) : asg).toEqual([
      'arn:aws:autoscaling:us-east-1:111122223333:autoScalingGroup:*:autoScalingGroupName/api-prod-*',
    ]);
    const rules = ALB_ROUTER_IAM[2]?.resources;
    expect(typeof rules === 'function' ? rules({ listenerArns: [LISTENER] }, ENV) : rules).toEqual([
      'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/web/1111111111111111/2222222222222222/*',
    ]);
    const run = ECS_MIGRATOR_IAM[0];
    const scope = { cluster: 'prod', taskDefinitionFamily: 'api-migrate', taskRoleArns: [] };
    expect(typeof run?.resources === 'function' ? run.resources(scope, ENV) : run?.resources).toEqual([
      'arn:aws:ecs:us-east-1:111122223333:task-definition/api-migrate:*',
    ]);
    expect(run?.conditions?.(scope, ENV)).toEqual({
      ArnEquals: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:111122223333:cluster/prod' },
    });
    const sfn = SFN_CALLBACKS_IAM[0]?.resources;
    const machine = 'arn:aws:states:us-east-1:111122223333:stateMachine:release';
    expect(typeof sfn === 'function' ? sfn({ stateMachineArn: machine }, ENV) : sfn).toEqual([machine]);
    const start = SFN_RELEASE_STARTER_IAM[0]?.resources;
    expect(typeof start === 'function' ? start({ stateMachineArn: machine }, ENV) : start).toEqual([machine]);
  });

  it('grants the Slack secret by name only: GetSecretValue on its ARN with the six random characters left open', () => {
    expect(SLACK_SECRETS_MANAGER_IAM).toHaveLength(1);
    const [grant] = SLACK_SECRETS_MANAGER_IAM;
    expect(grant?.actions).toEqual(['secretsmanager:GetSecretValue']);
    const resources = grant?.resources;
    expect(typeof resources === 'function' ? resources({ secretName: 'rollgate/slack' }, { ...ENV, partition: 'aws-us-gov' }) : resources).toEqual([
      'arn:aws-us-gov:secretsmanager:us-east-1:111122223333:secret:rollgate/slack-??????',
    ]);
  });
});
