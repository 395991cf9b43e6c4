/**
 * Migrator on ECS: the service's migration task definition, run once per
 * release with the release's image, to completion.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html
 */
import {
  DescribeTasksCommand,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type DesiredStatus,
  type ECSClient,
  type Task,
} from '@aws-sdk/client-ecs';
import { CloudProviderError, MigrationTaskNotFoundError } from '../../errors.js';
import type { MigrationInput, MigrationStatus, Migrator } from '../../ports.js';
import { describeTaskDefinition, imageFor, revisionWithImage } from './ecs-images.js';
import { callAws } from './errors.js';
import { resourceName, SAR, type ArnEnv, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** The configuration the migrator's permissions are scoped by. */
export interface EcsMigratorIamScope {
  /** Cluster name or ARN. */
  readonly cluster: string;
  /** The migration task definition's family. */
  readonly taskDefinitionFamily: string;
  /** The task and execution roles of the migration task definition (iam:PassRole). */
  readonly taskRoleArns: readonly string[];
}

const clusterArn = (s: EcsMigratorIamScope, e: ArnEnv) =>
  `arn:${e.partition}:ecs:${e.region}:${e.account}:cluster/${resourceName(s.cluster)}`;

/** The IAM permissions {@link EcsMigrator} uses. */
export const ECS_MIGRATOR_IAM: readonly IamGrant<EcsMigratorIamScope>[] = [
  {
    actions: ['ecs:RunTask'],
    resources: (s, e) => [`arn:${e.partition}:ecs:${e.region}:${e.account}:task-definition/${s.taskDefinitionFamily}:*`],
    conditions: (s, e) => ({ ArnEquals: { 'ecs:cluster': clusterArn(s, e) } }),
    why: `revisions of the migration task definition, in the service's cluster: ${SAR.ecs}`,
  },
  {
    actions: ['ecs:ListTasks'],
    resources: '*',
    conditions: (s, e) => ({ ArnEquals: { 'ecs:cluster': clusterArn(s, e) } }),
    why: `ListTasks is scoped by the ecs:cluster condition, not by resource: ${SAR.ecs}`,
  },
  {
    actions: ['ecs:DescribeTasks'],
    resources: (s, e) => [`arn:${e.partition}:ecs:${e.region}:${e.account}:task/${resourceName(s.cluster)}/*`],
    why: `tasks of the service's cluster only: ${SAR.ecs}`,
  },
  {
    actions: ['ecs:StopTask'],
    resources: (s, e) => [`arn:${e.partition}:ecs:${e.region}:${e.account}:task/${resourceName(s.cluster)}/*`],
    why: `stops a migration at its timeout; tasks of the service's cluster only: ${SAR.ecs}`,
  },
  {
    actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
    resources: '*',
    why: `task-definition describe/register support no resource-level permissions: ${SAR.ecs}`,
  },
  {
    actions: ['iam:PassRole'],
    checkedDuring: ['ecs:RegisterTaskDefinition', 'ecs:RunTask'],
    resources: (s) => s.taskRoleArns,
    conditions: () => ({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }),
    why: 'running a task definition with task/execution roles passes them to ECS: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html',
  },
];

/**
 * What each {@link EcsMigrator} method sends: `start` finds or runs the task
 * (and reports a found one's status), `status` only describes it, `stop` stops
 * it at its timeout.
 */
export const ECS_MIGRATOR_METHODS: MethodActions<MethodsOf<Migrator>> = {
  start: ['ecs:ListTasks', 'ecs:DescribeTasks', 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:RunTask', 'iam:PassRole'],
  status: ['ecs:DescribeTasks'],
  stop: ['ecs:StopTask'],
};

/** Runs migrations as one-off ECS tasks, at most one per release. */
export class EcsMigrator implements Migrator {
  public constructor(private readonly ecs: ECSClient) {}

  /**
   * Finds the release's migration task (startedBy = release id; running, or
   * stopped within the hour or so ECS keeps stopped tasks listed) or starts
   * it. RunTask also carries the release id as clientToken, so two racing
   * starts run one task. A migration that already failed is reported, never
   * re-run.
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/ECS_Idempotency.html
   */
  public async start(input: MigrationInput): Promise<MigrationStatus> {
    const { target, releaseId } = input;
    const image = imageFor(target.imageRepository, input.version, 'EcsMigrator.start');
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const satisfies readonly DesiredStatus[]) {
      const out = await callAws('ecs', 'ListTasks', () =>
        this.ecs.send(new ListTasksCommand({ cluster: target.cluster, startedBy: releaseId, desiredStatus })),
      );
      const [taskArn] = out.taskArns ?? [];
      if (taskArn !== undefined) return this.status(input, taskArn);
    }

    const base = await describeTaskDefinition(this.ecs, target.taskDefinition);
    const taskDefinition = await revisionWithImage(this.ecs, base, target.containerName, image);
    const out = await callAws('ecs', 'RunTask', () =>
      this.ecs.send(
        new RunTaskCommand({
          cluster: target.cluster,
          taskDefinition,
          count: 1,
          startedBy: releaseId,
          clientToken: releaseId,
          networkConfiguration: {
            awsvpcConfiguration: {
              subnets: [...target.subnetIds],
              securityGroups: [...target.securityGroupIds],
              assignPublicIp: 'DISABLED',
            },
          },
          overrides: {
            containerOverrides: [
              { name: target.containerName, ...(target.command === undefined ? {} : { command: [...target.command] }) },
            ],
          },
        }),
      ),
    );
    const taskArn = out.tasks?.[0]?.taskArn;
    if (taskArn === undefined) {
      // RunTask reports placement problems (no capacity, bad subnet...) as failures, not as an error.
      const failure = out.failures?.[0];
      throw new CloudProviderError(
        'ecs',
        'RunTask',
        failure?.reason ?? 'NoTask',
        failure?.detail ?? `no task started for migration of release ${releaseId}`,
      );
    }
    return { state: 'RUNNING', taskArn };
  }

  /**
   * RUNNING until the task stops; then SUCCEEDED only if the migration
   * container exited 0, otherwise FAILED with its exit code and the stop reason.
   * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/stopped-task-error-codes.html
   */
  public async status(input: MigrationInput, taskArn: string): Promise<MigrationStatus> {
    const out = await callAws('ecs', 'DescribeTasks', () =>
      this.ecs.send(new DescribeTasksCommand({ cluster: input.target.cluster, tasks: [taskArn] })),
    );
    const task = out.tasks?.find((t) => t.taskArn === taskArn);
    if (task === undefined) throw new MigrationTaskNotFoundError(taskArn);
    return statusOf(task, taskArn, input.target.containerName);
  }

  /**
   * Stops the migration task: ECS sends SIGTERM, then SIGKILL after the
   * container's stop timeout, and records `reason` (at most 255 characters) as
   * the task's stoppedReason. Stopping a stopped task changes nothing; a task
   * ECS no longer knows is already gone, which is success.
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html
   */
  public async stop(input: MigrationInput, taskArn: string, reason: string): Promise<void> {
    await callAws(
      'ecs',
      'StopTask',
      () => this.ecs.send(new StopTaskCommand({ cluster: input.target.cluster, task: taskArn, reason: reason.slice(0, 255) })),
      // ECS reports an unknown task as InvalidParameterException "The referenced task was not found."
      (code, error) => (code === 'InvalidParameterException' && /task was not found/i.test(error.message) ? { value: undefined } : undefined),
    );
  }
}

function statusOf(task: Task, taskArn: string, containerName: string): MigrationStatus {
  if (task.lastStatus !== 'STOPPED') return { state: 'RUNNING', taskArn };
  const container = task.containers?.find((c) => c.name === containerName);
  if (container?.exitCode === 0) return { state: 'SUCCEEDED', taskArn };
  const reason = [
    task.stopCode,
    task.stoppedReason,
    container === undefined ? `container ${containerName} not in the task` : container.reason,
  ]
    .filter((part): part is string => part !== undefined && part !== '')
    .join(': ');
  return {
    state: 'FAILED',
    taskArn,
    exitCode: container?.exitCode ?? null,
    reason: reason === '' ? 'the task stopped without an exit code' : reason,
  };
}
