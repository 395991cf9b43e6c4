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
import { requestTagged, resourceTagged, SAR, SERVICE_TAG, type ArnEnv, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** What the migrator's permissions depend on in the configuration: nothing per service. */
export interface EcsMigratorIamScope {
  /** Some migration task definition has task or execution roles (`taskRoleArns`), so iam:PassRole is needed. */
  readonly passesRoles: boolean;
}

const clusters = (e: ArnEnv) => `arn:${e.partition}:ecs:${e.region}:${e.account}:cluster/*`;
const tasks = (e: ArnEnv) => `arn:${e.partition}:ecs:${e.region}:${e.account}:task/*`;

/**
 * The IAM permissions {@link EcsMigrator} uses, for every migration at once:
 * it runs migration tasks only tagged {@link SERVICE_TAG} and stops only
 * tagged tasks, in the stack's account and region.
 */
export const ECS_MIGRATOR_IAM: readonly IamGrant<EcsMigratorIamScope>[] = [
  {
    actions: ['ecs:RunTask'],
    resources: (_s, e) => [`arn:${e.partition}:ecs:${e.region}:${e.account}:task-definition/*:*`],
    conditions: (_s, e) => ({ ArnLike: { 'ecs:cluster': clusters(e) }, ...requestTagged() }),
    why: `task-definition revisions in the account's clusters (ecs:cluster), only with the ${SERVICE_TAG} tag (aws:RequestTag): ${SAR.ecs} ${SAR.ecsTags}`,
  },
  {
    actions: ['ecs:TagResource'],
    checkedDuring: ['ecs:RunTask'],
    resources: (_s, e) => [tasks(e)],
    conditions: () => ({ StringEquals: { 'ecs:CreateAction': 'RunTask' }, ...requestTagged() }),
    why: `RunTask with tags also authorizes ecs:TagResource; only as part of RunTask (ecs:CreateAction), never on an existing resource: ${SAR.ecsTagOnCreate}`,
  },
  {
    actions: ['ecs:ListTasks'],
    resources: '*',
    conditions: (_s, e) => ({ ArnLike: { 'ecs:cluster': clusters(e) } }),
    why: `ListTasks is scoped by the ecs:cluster condition, not by resource: ${SAR.ecs}`,
  },
  {
    actions: ['ecs:DescribeTasks'],
    resources: (_s, e) => [tasks(e)],
    why: `reads tasks of the account's clusters, tagged or not (a migration started before the tag was): ${SAR.ecs}`,
  },
  {
    actions: ['ecs:StopTask'],
    resources: (_s, e) => [tasks(e)],
    conditions: () => resourceTagged(),
    why: `stops a migration at its timeout; only tasks tagged ${SERVICE_TAG} (aws:ResourceTag): ${SAR.ecs} ${SAR.ecsTags}`,
  },
  {
    actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
    resources: '*',
    why: `task-definition describe/register support no resource-level permissions: ${SAR.ecs}`,
  },
  {
    actions: ['iam:PassRole'],
    checkedDuring: ['ecs:RegisterTaskDefinition', 'ecs:RunTask'],
    resources: (s, e) => (s.passesRoles ? [`arn:${e.partition}:iam::${e.account}:role/*`] : []),
    conditions: () => ({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }, ...resourceTagged(`iam:ResourceTag/${SERVICE_TAG}`) }),
    why: `running a task definition with task/execution roles passes them to ECS (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html); only roles tagged ${SERVICE_TAG}, only to ECS tasks: ${SAR.iam} ${SAR.iamTags}`,
  },
];

/**
 * What each {@link EcsMigrator} method sends: `start` finds or runs the task
 * (and reports a found one's status), `status` only describes it, `stop` stops
 * it at its timeout.
 */
export const ECS_MIGRATOR_METHODS: MethodActions<MethodsOf<Migrator>> = {
  start: ['ecs:ListTasks', 'ecs:DescribeTasks', 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:RunTask', 'ecs:TagResource', 'iam:PassRole'],
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
          // Without the tag the role may not run the task, nor stop it at its timeout.
          tags: [{ key: SERVICE_TAG, value: input.service }],
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
