import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { expect } from 'vitest';
import { EcsMigrator } from '../../functions/adapters/aws/ecs-migrator.js';
import type { MigrationInput } from '../../functions/ports.js';
import { scenarios, sentActions, type AwsMocks } from './harness.js';
import { RELEASE_ID, REPO, awsError } from './fixtures.js';

const TASK = 'arn:aws:ecs:us-east-1:111122223333:task/prod/0123456789abcdef';
const TD = (rev: number) => `arn:aws:ecs:us-east-1:111122223333:task-definition/api-migrate:${rev}`;
const INPUT: MigrationInput = {
  service: 'api',
  releaseId: RELEASE_ID,
  version: '1.5.0',
  target: {
    cluster: 'prod',
    taskDefinition: 'api-migrate',
    containerName: 'migrate',
    imageRepository: REPO,
    subnetIds: ['subnet-1'],
    securityGroupIds: ['sg-1'],
    command: ['npm', 'run', 'migrate'],
  },
};
const MIGRATE_DEF: TaskDefinition = {
  taskDefinitionArn: TD(3),
  family: 'api-migrate',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  executionRoleArn: 'arn:aws:iam::111122223333:role/api-exec',
  containerDefinitions: [{ name: 'migrate', image: `${REPO}:1.4.0`, essential: true }],
};

const migrator = (aws: AwsMocks) => new EcsMigrator(aws.clients.ecs);
const stopped = (exitCode: number | undefined, extra: Partial<Task> = {}): Task => ({
  taskArn: TASK,
  lastStatus: 'STOPPED',
  stopCode: 'EssentialContainerExited',
  stoppedReason: 'Essential container in task exited',
  containers: [{ name: 'migrate', exitCode, lastStatus: 'STOPPED' }],
  ...extra,
});

function mockFreshStart(aws: AwsMocks): void {
  aws.ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  aws.ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: MIGRATE_DEF });
  aws.ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { ...MIGRATE_DEF, taskDefinitionArn: TD(4) } });
  aws.ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'PROVISIONING' }], failures: [] });
}

export const ecsMigratorScenarios = scenarios('EcsMigrator', {
  'start runs the migration task definition with the release image, started by the release': async (aws) => {
    mockFreshStart(aws);
    await expect(migrator(aws).start(INPUT)).resolves.toEqual({ state: 'RUNNING', taskArn: TASK });
    expect(sentActions(aws)).toEqual([
      'ecs:ListTasks',
      'ecs:ListTasks',
      'ecs:DescribeTaskDefinition',
      'ecs:RegisterTaskDefinition',
      'ecs:RunTask',
    ]);
    expect(aws.ecs.commandCalls(ListTasksCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'prod', startedBy: RELEASE_ID, desiredStatus: 'RUNNING' },
      { cluster: 'prod', startedBy: RELEASE_ID, desiredStatus: 'STOPPED' },
    ]);
    expect(aws.ecs.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input).toEqual({ taskDefinition: 'api-migrate' });
    expect(
      aws.ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.containerDefinitions,
    ).toEqual([{ name: 'migrate', image: `${REPO}:1.5.0`, essential: true }]);
    expect(aws.ecs.commandCalls(RunTaskCommand)[0]?.args[0].input).toEqual({
      cluster: 'prod',
      taskDefinition: TD(4),
      count: 1,
      startedBy: RELEASE_ID,
      clientToken: RELEASE_ID,
      // The role may run and stop only tasks tagged rollgate:service (ECS_MIGRATOR_IAM).
      tags: [{ key: 'rollgate:service', value: 'api' }],
      networkConfiguration: {
        awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' },
      },
      overrides: { containerOverrides: [{ name: 'migrate', command: ['npm', 'run', 'migrate'] }] },
    });
  },

  'start on retry finds the running task and starts nothing': async (aws) => {
    aws.ecs.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [TASK] });
    aws.ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] });
    await expect(migrator(aws).start(INPUT)).resolves.toEqual({ state: 'RUNNING', taskArn: TASK });
    expect(sentActions(aws)).toEqual(['ecs:ListTasks', 'ecs:DescribeTasks']);
  },

  'start on retry after the migration failed reports the failure and never re-runs it': async (aws) => {
    aws.ecs.on(ListTasksCommand, { desiredStatus: 'RUNNING' }).resolves({ taskArns: [] });
    aws.ecs.on(ListTasksCommand, { desiredStatus: 'STOPPED' }).resolves({ taskArns: [TASK] });
    aws.ecs.on(DescribeTasksCommand).resolves({ tasks: [stopped(3)] });
    await expect(migrator(aws).start(INPUT)).resolves.toEqual({
      state: 'FAILED',
      taskArn: TASK,
      exitCode: 3,
      reason: 'EssentialContainerExited: Essential container in task exited',
    });
    expect(aws.ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  },

  'start that ECS cannot place fails with CloudProviderError naming the failure': async (aws) => {
    mockFreshStart(aws);
    aws.ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY', detail: 'no capacity' }] });
    await expect(migrator(aws).start(INPUT)).rejects.toMatchObject({
      name: 'CloudProviderError',
      operation: 'RunTask',
      code: 'RESOURCE:MEMORY',
    });
  },

  'start refused by ECS fails with CloudProviderError; a bad version fails before any call': async (aws) => {
    mockFreshStart(aws);
    aws.ecs.on(RunTaskCommand).rejects(awsError('ClusterNotFoundException'));
    await expect(migrator(aws).start(INPUT)).rejects.toMatchObject({
      name: 'CloudProviderError',
      code: 'ClusterNotFoundException',
    });
    aws.ecs.resetHistory();
    await expect(migrator(aws).start({ ...INPUT, version: ':bad' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'version',
    });
    expect(sentActions(aws)).toEqual([]);
  },

  'status is SUCCEEDED only on exit code 0 of the migration container': async (aws) => {
    aws.ecs
      .on(DescribeTasksCommand)
      .resolvesOnce({ tasks: [{ taskArn: TASK, lastStatus: 'RUNNING' }] })
      .resolves({ tasks: [stopped(0)] });
    await expect(migrator(aws).status(INPUT, TASK)).resolves.toEqual({ state: 'RUNNING', taskArn: TASK });
    await expect(migrator(aws).status(INPUT, TASK)).resolves.toEqual({ state: 'SUCCEEDED', taskArn: TASK });
    expect(aws.ecs.commandCalls(DescribeTasksCommand)[0]?.args[0].input).toEqual({ cluster: 'prod', tasks: [TASK] });
  },

  'status is FAILED with the stop code and reason when the task never started': async (aws) => {
    aws.ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        stopped(undefined, {
          stopCode: 'TaskFailedToStart',
          stoppedReason: 'CannotPullContainerError: image not found',
          containers: [{ name: 'migrate', reason: 'CannotPullContainerError' }],
        }),
      ],
    });
    await expect(migrator(aws).status(INPUT, TASK)).resolves.toEqual({
      state: 'FAILED',
      taskArn: TASK,
      exitCode: null,
      reason: 'TaskFailedToStart: CannotPullContainerError: image not found: CannotPullContainerError',
    });
  },

  'status is FAILED when the migration container is not in the task': async (aws) => {
    aws.ecs.on(DescribeTasksCommand).resolves({ tasks: [stopped(0, { containers: [{ name: 'sidecar', exitCode: 0 }] })] });
    await expect(migrator(aws).status(INPUT, TASK)).resolves.toMatchObject({
      state: 'FAILED',
      exitCode: null,
      reason: expect.stringContaining('container migrate not in the task') as unknown,
    });
  },

  'stop stops the migration task in its cluster, giving the reason cut to the 255 characters ECS keeps': async (aws) => {
    aws.ecs.on(StopTaskCommand).resolves({ task: { taskArn: TASK, desiredStatus: 'STOPPED', lastStatus: 'RUNNING' } });
    await expect(migrator(aws).stop(INPUT, TASK, `rollgate: migration timed out ${'x'.repeat(300)}`)).resolves.toBeUndefined();
    expect(sentActions(aws)).toEqual(['ecs:StopTask']);
    const sent = aws.ecs.commandCalls(StopTaskCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({ cluster: 'prod', task: TASK });
    expect(sent?.reason).toHaveLength(255);
    expect(sent?.reason?.startsWith('rollgate: migration timed out')).toBe(true);
  },

  'stop of a task ECS no longer knows is success; any other refusal fails with CloudProviderError': async (aws) => {
    aws.ecs.on(StopTaskCommand).rejectsOnce(awsError('InvalidParameterException', 'The referenced task was not found.')).rejects(awsError('AccessDeniedException'));
    await expect(migrator(aws).stop(INPUT, TASK, 'timed out')).resolves.toBeUndefined();
    await expect(migrator(aws).stop(INPUT, TASK, 'timed out')).rejects.toMatchObject({ name: 'CloudProviderError', operation: 'StopTask', code: 'AccessDeniedException' });
  },

  'status of a task ECS no longer knows fails with MigrationTaskNotFoundError': async (aws) => {
    aws.ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: TASK, reason: 'MISSING' }] });
    await expect(migrator(aws).status(INPUT, TASK)).rejects.toMatchObject({
      name: 'MigrationTaskNotFoundError',
      taskArn: TASK,
    });
  },
});
