import {
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeTaskDefinitionCommand,
  DescribeTaskSetsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServicePrimaryTaskSetCommand,
  type TaskDefinition,
  type TaskSet,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { expect } from 'vitest';
import { EcsFleet } from '../../functions/adapters/aws/ecs-fleet.js';
import type { CreateFleetInput, EcsFleetTarget, FleetRef } from '../../functions/ports.js';
import { scenarios, sentActions, type AwsMocks } from './harness.js';
import { DIGEST, RELEASE_ID, REPO, TG_BLUE, TG_GREEN, awsError } from './fixtures.js';

const TARGET: EcsFleetTarget = {
  kind: 'ecs',
  cluster: 'prod',
  service: 'api',
  containerName: 'app',
  containerPort: 8080,
  imageRepository: REPO,
};
const TS_ARN = (id: string) => `arn:aws:ecs:us-east-1:111122223333:task-set/prod/api/${id}`;
const TD_ARN = (rev: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/api:${rev}`;
const NETWORK = { awsvpcConfiguration: { subnets: ['subnet-1', 'subnet-2'], securityGroups: ['sg-1'] } };

const PRIMARY: TaskSet = {
  id: 'ecs-svc/1',
  taskSetArn: TS_ARN('ecs-svc/1'),
  status: 'PRIMARY',
  externalId: '01JAAAAAAAAAAAAAAAAAAAAAAA',
  taskDefinition: TD_ARN(7),
  networkConfiguration: NETWORK,
  capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
  platformVersion: 'LATEST',
  scale: { unit: 'PERCENT', value: 100 },
  loadBalancers: [{ targetGroupArn: TG_BLUE, containerName: 'app', containerPort: 8080 }],
};
const CURRENT: FleetRef = { kind: 'ecs-task-set', id: TS_ARN('ecs-svc/1'), targetGroup: TG_BLUE };

const TASK_DEF: TaskDefinition = {
  taskDefinitionArn: TD_ARN(7),
  family: 'api',
  revision: 7,
  taskRoleArn: 'arn:aws:iam::111122223333:role/api-task',
  executionRoleArn: 'arn:aws:iam::111122223333:role/api-exec',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  status: 'ACTIVE',
  containerDefinitions: [
    { name: 'app', image: `${REPO}:1.4.0`, essential: true, portMappings: [{ containerPort: 8080 }] },
    { name: 'log-router', image: 'acme/fluent-bit:2', essential: false },
  ],
};

const INPUT: CreateFleetInput = {
  service: 'api',
  environment: 'prod',
  releaseId: RELEASE_ID,
  version: '1.5.0',
  target: TARGET,
  targetGroupArn: TG_GREEN,
  current: CURRENT,
};
const NEW_TS: TaskSet = { taskSetArn: TS_ARN('ecs-svc/2'), externalId: RELEASE_ID, status: 'ACTIVE' };
const NEW_REF: FleetRef = { kind: 'ecs-task-set', id: TS_ARN('ecs-svc/2'), targetGroup: TG_GREEN };

function fleet(aws: AwsMocks): EcsFleet {
  return new EcsFleet(aws.clients.ecs, aws.clients.elb);
}

function mockFreshCreate(aws: AwsMocks, taskSets: TaskSet[] = [PRIMARY]): void {
  aws.ecs.on(DescribeTaskSetsCommand).resolves({ taskSets });
  aws.ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: TASK_DEF });
  aws.ecs
    .on(RegisterTaskDefinitionCommand)
    .resolves({ taskDefinition: { ...TASK_DEF, taskDefinitionArn: TD_ARN(8), revision: 8 } });
  aws.ecs.on(CreateTaskSetCommand).resolves({ taskSet: NEW_TS });
}

function healthOf(states: string[]) {
  return {
    TargetHealthDescriptions: states.map((State, i) => ({
      Target: { Id: `10.0.0.${i + 1}`, Port: 8080 },
      TargetHealth: { State: State as 'healthy' },
    })),
  };
}

export const ecsFleetScenarios = scenarios('EcsFleet', {
  'create registers the release image as a new revision and creates the task set behind the idle target group': async (
    aws,
  ) => {
    mockFreshCreate(aws);
    await expect(fleet(aws).create(INPUT)).resolves.toEqual(NEW_REF);

    expect(sentActions(aws)).toEqual([
      'ecs:DescribeTaskSets',
      'ecs:DescribeTaskDefinition',
      'ecs:RegisterTaskDefinition',
      'ecs:CreateTaskSet',
    ]);
    expect(aws.ecs.commandCalls(DescribeTaskSetsCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', service: 'api' });
    expect(aws.ecs.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input).toEqual({ taskDefinition: TD_ARN(7) });
    expect(aws.ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input).toEqual({
      family: 'api',
      taskRoleArn: 'arn:aws:iam::111122223333:role/api-task',
      executionRoleArn: 'arn:aws:iam::111122223333:role/api-exec',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        { name: 'app', image: `${REPO}:1.5.0`, essential: true, portMappings: [{ containerPort: 8080 }] },
        { name: 'log-router', image: 'acme/fluent-bit:2', essential: false },
      ],
    });
    expect(aws.ecs.commandCalls(CreateTaskSetCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      service: 'api',
      externalId: RELEASE_ID,
      clientToken: RELEASE_ID,
      taskDefinition: TD_ARN(8),
      loadBalancers: [{ targetGroupArn: TG_GREEN, containerName: 'app', containerPort: 8080 }],
      networkConfiguration: NETWORK,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
      platformVersion: 'LATEST',
      scale: { unit: 'PERCENT', value: 100 },
      // The role may create, promote and delete only task sets tagged rollgate:service (ECS_FLEET_IAM).
      tags: [{ key: 'rollgate:service', value: 'api' }],
    });
  },

  'create with a digest version runs repo@sha256:<digest>': async (aws) => {
    mockFreshCreate(aws);
    await fleet(aws).create({ ...INPUT, version: DIGEST });
    const registered = aws.ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(registered?.containerDefinitions?.[0]?.image).toBe(`${REPO}@${DIGEST}`);
  },

  'create copies the current task set (definition, launch type, scale), not the PRIMARY one': async (aws) => {
    const current: TaskSet = {
      ...PRIMARY,
      id: 'ecs-svc/9',
      taskSetArn: TS_ARN('ecs-svc/9'),
      status: 'ACTIVE',
      taskDefinition: TD_ARN(6),
      capacityProviderStrategy: [],
      launchType: 'FARGATE',
      scale: { unit: 'PERCENT', value: 50 },
    };
    mockFreshCreate(aws, [PRIMARY, current]);
    await fleet(aws).create({ ...INPUT, current: { ...CURRENT, id: TS_ARN('ecs-svc/9') } });
    expect(aws.ecs.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input).toEqual({ taskDefinition: TD_ARN(6) });
    const created = aws.ecs.commandCalls(CreateTaskSetCommand)[0]?.args[0].input;
    expect(created?.launchType).toBe('FARGATE');
    expect(created?.capacityProviderStrategy).toBeUndefined();
    expect(created?.scale).toEqual({ unit: 'PERCENT', value: 50 });
  },

  'create on retry finds the release task set by externalId and creates nothing': async (aws) => {
    aws.ecs.on(DescribeTaskSetsCommand).resolves({ taskSets: [PRIMARY, NEW_TS] });
    await expect(fleet(aws).create(INPUT)).resolves.toEqual(NEW_REF);
    await expect(fleet(aws).create(INPUT)).resolves.toEqual(NEW_REF);
    expect(sentActions(aws)).toEqual(['ecs:DescribeTaskSets', 'ecs:DescribeTaskSets']);
  },

  'create does not reuse a DRAINING task set of the release': async (aws) => {
    mockFreshCreate(aws, [PRIMARY, { ...NEW_TS, taskSetArn: TS_ARN('ecs-svc/old'), status: 'DRAINING' }]);
    await expect(fleet(aws).create(INPUT)).resolves.toEqual(NEW_REF);
    expect(aws.ecs.commandCalls(CreateTaskSetCommand)).toHaveLength(1);
  },

  'create keeps the current revision when it already runs the release image': async (aws) => {
    mockFreshCreate(aws);
    await fleet(aws).create({ ...INPUT, version: '1.4.0' });
    expect(sentActions(aws)).toEqual(['ecs:DescribeTaskSets', 'ecs:DescribeTaskDefinition', 'ecs:CreateTaskSet']);
    expect(aws.ecs.commandCalls(CreateTaskSetCommand)[0]?.args[0].input.taskDefinition).toBe(TD_ARN(7));
  },

  'create without a current or PRIMARY task set fails with FleetConfigError': async (aws) => {
    aws.ecs.on(DescribeTaskSetsCommand).resolves({ taskSets: [] });
    await expect(fleet(aws).create({ ...INPUT, current: undefined })).rejects.toMatchObject({
      name: 'FleetConfigError',
      message: expect.stringContaining('no current or PRIMARY task set') as unknown,
    });
    expect(sentActions(aws)).toEqual(['ecs:DescribeTaskSets']);
  },

  'create fails with FleetConfigError when the task definition has no such container': async (aws) => {
    mockFreshCreate(aws);
    await expect(fleet(aws).create({ ...INPUT, target: { ...TARGET, containerName: 'web' } })).rejects.toMatchObject({
      name: 'FleetConfigError',
      message: expect.stringContaining('no container named web') as unknown,
    });
    expect(aws.ecs.commandCalls(CreateTaskSetCommand)).toHaveLength(0);
  },

  'create refuses a version that is neither a tag nor a digest, before any call': async (aws) => {
    await expect(fleet(aws).create({ ...INPUT, version: 'bad tag!' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'version',
    });
    expect(sentActions(aws)).toEqual([]);
  },

  'create refuses an Auto Scaling target': async (aws) => {
    await expect(
      fleet(aws).create({
        ...INPUT,
        target: { kind: 'asg', launchTemplateId: 'lt-1', groupNamePrefix: 'api', subnetIds: ['subnet-1'] },
      }),
    ).rejects.toMatchObject({ name: 'FleetConfigError' });
    expect(sentActions(aws)).toEqual([]);
  },

  'create turns a refused CreateTaskSet into CloudProviderError naming service, operation and code': async (aws) => {
    mockFreshCreate(aws);
    aws.ecs.on(CreateTaskSetCommand).rejects(awsError('InvalidParameterException', 'bad subnet'));
    await expect(fleet(aws).create(INPUT)).rejects.toMatchObject({
      name: 'CloudProviderError',
      service: 'ecs',
      operation: 'CreateTaskSet',
      code: 'InvalidParameterException',
      message: 'ecs CreateTaskSet failed: InvalidParameterException: bad subnet',
    });
  },

  'create on a missing service fails with CloudProviderError ServiceNotFoundException': async (aws) => {
    aws.ecs.on(DescribeTaskSetsCommand).rejects(awsError('ServiceNotFoundException'));
    await expect(fleet(aws).create(INPUT)).rejects.toMatchObject({
      name: 'CloudProviderError',
      operation: 'DescribeTaskSets',
      code: 'ServiceNotFoundException',
    });
  },

  'create throttled past the client retries fails with CloudProviderUnavailableError': async (aws) => {
    aws.ecs.on(DescribeTaskSetsCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(fleet(aws).create(INPUT)).rejects.toMatchObject({
      name: 'CloudProviderUnavailableError',
      code: 'ThrottlingException',
    });
  },

  'health is healthy when STEADY_STATE, all tasks running and every target healthy': async (aws) => {
    aws.ecs.on(DescribeTaskSetsCommand).resolves({
      taskSets: [{ ...NEW_TS, stabilityStatus: 'STEADY_STATE', computedDesiredCount: 3, runningCount: 3 }],
    });
    aws.elb.on(DescribeTargetHealthCommand).resolves(healthOf(['healthy', 'healthy', 'healthy', 'draining']));
    await expect(fleet(aws).health(TARGET, NEW_REF)).resolves.toEqual({
      healthy: true,
      desired: 3,
      healthyCount: 3,
      detail: 'task set STEADY_STATE, 3/3 running, 3/3 targets healthy',
    });
    expect(sentActions(aws)).toEqual(['ecs:DescribeTaskSets', 'elasticloadbalancing:DescribeTargetHealth']);
    expect(aws.ecs.commandCalls(DescribeTaskSetsCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      service: 'api',
      taskSets: [NEW_REF.id],
    });
    expect(aws.elb.commandCalls(DescribeTargetHealthCommand)[0]?.args[0].input).toEqual({ TargetGroupArn: TG_GREEN });
  },

  'health is not healthy while a target is unhealthy, or the task set is still stabilizing': async (aws) => {
    aws.ecs
      .on(DescribeTaskSetsCommand)
      .resolvesOnce({ taskSets: [{ ...NEW_TS, stabilityStatus: 'STEADY_STATE', computedDesiredCount: 2, runningCount: 2 }] })
      .resolves({ taskSets: [{ ...NEW_TS, stabilityStatus: 'STABILIZING', computedDesiredCount: 2, runningCount: 1 }] });
    aws.elb.on(DescribeTargetHealthCommand).resolves(healthOf(['healthy', 'unhealthy']));
    await expect(fleet(aws).health(TARGET, NEW_REF)).resolves.toMatchObject({ healthy: false, healthyCount: 1 });
    aws.elb.on(DescribeTargetHealthCommand).resolves(healthOf(['healthy', 'healthy']));
    await expect(fleet(aws).health(TARGET, NEW_REF)).resolves.toEqual({
      healthy: false,
      desired: 2,
      healthyCount: 2,
      detail: 'task set STABILIZING, 1/2 running, 2/2 targets healthy',
    });
  },

  'health of a task set ECS no longer knows fails with FleetNotFoundError': async (aws) => {
    aws.ecs.on(DescribeTaskSetsCommand).resolves({ taskSets: [], failures: [{ arn: NEW_REF.id, reason: 'MISSING' }] });
    await expect(fleet(aws).health(TARGET, NEW_REF)).rejects.toMatchObject({
      name: 'FleetNotFoundError',
      fleetId: NEW_REF.id,
    });
    expect(sentActions(aws)).toEqual(['ecs:DescribeTaskSets']);
  },

  'promote makes the task set primary, and a retry sends the same request': async (aws) => {
    aws.ecs.on(UpdateServicePrimaryTaskSetCommand).resolves({ taskSet: { ...NEW_TS, status: 'PRIMARY' } });
    await fleet(aws).promote(TARGET, NEW_REF);
    await fleet(aws).promote(TARGET, NEW_REF);
    const inputs = aws.ecs.commandCalls(UpdateServicePrimaryTaskSetCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      { cluster: 'prod', service: 'api', primaryTaskSet: NEW_REF.id },
      { cluster: 'prod', service: 'api', primaryTaskSet: NEW_REF.id },
    ]);
  },

  'promote of a missing task set fails with FleetNotFoundError': async (aws) => {
    aws.ecs.on(UpdateServicePrimaryTaskSetCommand).rejects(awsError('TaskSetNotFoundException'));
    await expect(fleet(aws).promote(TARGET, NEW_REF)).rejects.toMatchObject({ name: 'FleetNotFoundError' });
  },

  'promote refuses an Auto Scaling fleet reference': async (aws) => {
    await expect(
      fleet(aws).promote(TARGET, { kind: 'auto-scaling-group', id: 'api-x', targetGroup: TG_GREEN }),
    ).rejects.toMatchObject({ name: 'FleetConfigError' });
    expect(sentActions(aws)).toEqual([]);
  },

  'retire force-deletes the task set': async (aws) => {
    aws.ecs.on(DeleteTaskSetCommand).resolves({ taskSet: { ...NEW_TS, status: 'DRAINING' } });
    await fleet(aws).retire(TARGET, NEW_REF);
    expect(aws.ecs.commandCalls(DeleteTaskSetCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      service: 'api',
      taskSet: NEW_REF.id,
      force: true,
    });
  },

  'retire of a task set already gone succeeds': async (aws) => {
    aws.ecs.on(DeleteTaskSetCommand).rejects(awsError('TaskSetNotFoundException'));
    await expect(fleet(aws).retire(TARGET, NEW_REF)).resolves.toBeUndefined();
  },

  'retire refused for another reason fails with CloudProviderError': async (aws) => {
    aws.ecs.on(DeleteTaskSetCommand).rejects(awsError('AccessDeniedException', 'not authorized'));
    await expect(fleet(aws).retire(TARGET, NEW_REF)).rejects.toMatchObject({
      name: 'CloudProviderError',
      operation: 'DeleteTaskSet',
      code: 'AccessDeniedException',
    });
  },

  'a server fault past the client retries fails with CloudProviderUnavailableError': async (aws) => {
    aws.ecs.on(DeleteTaskSetCommand).rejects(awsError('ServerException', 'internal', 'server'));
    await expect(fleet(aws).retire(TARGET, NEW_REF)).rejects.toMatchObject({
      name: 'CloudProviderUnavailableError',
      code: 'ServerException',
    });
  },
});
