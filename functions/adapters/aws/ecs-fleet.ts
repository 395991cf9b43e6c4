/**
 * Fleet on Amazon ECS with the EXTERNAL deployment controller: each release is
 * a task set of the service, behind the idle target group.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-external.html
 */
import {
  CreateTaskSetCommand,
  DeleteTaskSetCommand,
  DescribeTaskSetsCommand,
  UpdateServicePrimaryTaskSetCommand,
  type ECSClient,
  type TaskSet,
} from '@aws-sdk/client-ecs';
import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { FleetConfigError, FleetNotFoundError } from '../../errors.js';
import type {
  CreateFleetInput,
  EcsFleetTarget,
  Fleet,
  FleetHealth,
  FleetRef,
  FleetTarget,
} from '../../ports.js';
import { describeTaskDefinition, imageFor, revisionWithImage } from './ecs-images.js';
import { callAws } from './errors.js';
import { requestTagged, resourceTagged, SAR, SERVICE_TAG, type ArnEnv, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** What the ECS fleet's permissions depend on in the configuration: nothing per service. */
export interface EcsFleetIamScope {
  /** Some ECS service names task or execution roles (`taskRoleArns`), so iam:PassRole is needed. */
  readonly passesRoles: boolean;
}

/** The stack's ECS services and their task sets (`service/<cluster>/<service>`, `task-set/<cluster>/<service>/<id>`). */
const servicesAndTaskSets = (e: ArnEnv) => [
  `arn:${e.partition}:ecs:${e.region}:${e.account}:service/*/*`,
  `arn:${e.partition}:ecs:${e.region}:${e.account}:task-set/*/*/*`,
];

/**
 * The IAM permissions {@link EcsFleet} uses, for every ECS service at once:
 * it creates task sets tagged {@link SERVICE_TAG} and changes or deletes only
 * tagged ones (the platform tags each service and its first task set), in the
 * stack's account and region. Task-set actions authorize against the service
 * and/or the task set, so both ARN patterns are named.
 */
export const ECS_FLEET_IAM: readonly IamGrant<EcsFleetIamScope>[] = [
  {
    actions: ['ecs:DescribeTaskSets'],
    resources: (_s, e) => servicesAndTaskSets(e),
    why: `reads task sets of the account's services, tagged or not (the service's first task set may predate its tag): ${SAR.ecs}`,
  },
  {
    actions: ['ecs:CreateTaskSet'],
    resources: (_s, e) => servicesAndTaskSets(e),
    conditions: () => requestTagged(),
    why: `creates task sets only with the ${SERVICE_TAG} tag (aws:RequestTag): ${SAR.ecs} ${SAR.ecsTags}`,
  },
  {
    actions: ['ecs:TagResource'],
    checkedDuring: ['ecs:CreateTaskSet'],
    resources: (_s, e) => [`arn:${e.partition}:ecs:${e.region}:${e.account}:task-set/*/*/*`],
    conditions: () => ({ StringEquals: { 'ecs:CreateAction': 'CreateTaskSet' }, ...requestTagged() }),
    why: `CreateTaskSet with tags also authorizes ecs:TagResource; only as part of CreateTaskSet (ecs:CreateAction), never on an existing resource: ${SAR.ecsTagOnCreate}`,
  },
  {
    actions: ['ecs:UpdateServicePrimaryTaskSet', 'ecs:DeleteTaskSet'],
    resources: (_s, e) => servicesAndTaskSets(e),
    conditions: () => resourceTagged(),
    why: `changes and deletes only task sets (of services) tagged ${SERVICE_TAG} (aws:ResourceTag): ${SAR.ecs} ${SAR.ecsTags}`,
  },
  {
    actions: ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'],
    resources: '*',
    why: `task-definition describe/register support no resource-level permissions: ${SAR.ecs}`,
  },
  {
    actions: ['iam:PassRole'],
    checkedDuring: ['ecs:RegisterTaskDefinition', 'ecs:CreateTaskSet'],
    resources: (s, e) => (s.passesRoles ? [`arn:${e.partition}:iam::${e.account}:role/*`] : []),
    conditions: () => ({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }, ...resourceTagged(`iam:ResourceTag/${SERVICE_TAG}`) }),
    why: `a task definition with task/execution roles passes them to ECS (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html); only roles tagged ${SERVICE_TAG}, only to ECS tasks: ${SAR.iam} ${SAR.iamTags}`,
  },
  {
    actions: ['elasticloadbalancing:DescribeTargetHealth'],
    resources: '*',
    why: `ELB Describe* actions support no resource-level permissions: ${SAR.elb}`,
  },
];

/** What each {@link EcsFleet} method sends: only `create` makes task definitions and task sets (and passes roles). */
export const ECS_FLEET_METHODS: MethodActions<MethodsOf<Fleet>> = {
  create: ['ecs:DescribeTaskSets', 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:CreateTaskSet', 'ecs:TagResource', 'iam:PassRole'],
  health: ['ecs:DescribeTaskSets', 'elasticloadbalancing:DescribeTargetHealth'],
  promote: ['ecs:UpdateServicePrimaryTaskSet'],
  retire: ['ecs:DeleteTaskSet'],
};

function ecsTarget(target: FleetTarget, operation: string): EcsFleetTarget {
  if (target.kind !== 'ecs') throw new FleetConfigError(`${operation}: EcsFleet got a ${target.kind} target`);
  return target;
}

function taskSetRef(fleet: FleetRef, operation: string): string {
  if (fleet.kind !== 'ecs-task-set') throw new FleetConfigError(`${operation}: EcsFleet got a ${fleet.kind} fleet`);
  return fleet.id;
}

/** A fleet is one ECS task set; `id` is its ARN. */
export class EcsFleet implements Fleet {
  public constructor(
    private readonly ecs: ECSClient,
    private readonly elb: ElasticLoadBalancingV2Client,
  ) {}

  /**
   * Finds the release's task set by externalId (= release id) or creates it:
   * the current task set's task definition with the release's image, its
   * network and capacity settings and its scale, behind the idle target group.
   * CreateTaskSet also carries the release id as clientToken, so even two racing
   * retries make one task set, and the {@link SERVICE_TAG} tag, without which
   * the role may not create it (nor later promote or delete it).
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateTaskSet.html
   */
  public async create(input: CreateFleetInput): Promise<FleetRef> {
    const target = ecsTarget(input.target, 'create');
    const image = imageFor(target.imageRepository, input.version, 'EcsFleet.create');
    const taskSets = await this.taskSets(target);

    // DRAINING task sets are on their way out (retired); they are not reused.
    const mine = taskSets.find((t) => t.externalId === input.releaseId && t.status !== 'DRAINING');
    if (mine?.taskSetArn !== undefined) return this.ref(mine.taskSetArn, input.targetGroupArn);

    const template =
      (input.current === undefined ? undefined : taskSets.find((t) => t.taskSetArn === input.current?.id)) ??
      taskSets.find((t) => t.status === 'PRIMARY');
    if (template?.taskDefinition === undefined) {
      throw new FleetConfigError(
        `service ${target.service} has no current or PRIMARY task set to copy the new fleet from`,
      );
    }
    const base = await describeTaskDefinition(this.ecs, template.taskDefinition);
    const taskDefinition = await revisionWithImage(this.ecs, base, target.containerName, image);

    const capacity =
      template.capacityProviderStrategy !== undefined && template.capacityProviderStrategy.length > 0
        ? { capacityProviderStrategy: template.capacityProviderStrategy }
        : { launchType: template.launchType };
    const out = await callAws('ecs', 'CreateTaskSet', () =>
      this.ecs.send(
        new CreateTaskSetCommand({
          cluster: target.cluster,
          service: target.service,
          externalId: input.releaseId,
          clientToken: input.releaseId,
          taskDefinition,
          loadBalancers: [
            {
              targetGroupArn: input.targetGroupArn,
              containerName: target.containerName,
              containerPort: target.containerPort,
            },
          ],
          networkConfiguration: template.networkConfiguration,
          serviceRegistries: template.serviceRegistries,
          ...capacity,
          platformVersion: template.platformVersion,
          scale: template.scale ?? { unit: 'PERCENT', value: 100 },
          tags: [{ key: SERVICE_TAG, value: input.service }],
        }),
      ),
    );
    const arn = out.taskSet?.taskSetArn;
    if (arn === undefined) throw new FleetConfigError(`CreateTaskSet for ${target.service} returned no task set ARN`);
    return this.ref(arn, input.targetGroupArn);
  }

  /**
   * Healthy when ECS calls the task set STEADY_STATE, it runs as many tasks as
   * it wants, and every target of its target group is healthy.
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskSet.html
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_DescribeTargetHealth.html
   */
  public async health(target: FleetTarget, fleet: FleetRef): Promise<FleetHealth> {
    const ecsT = ecsTarget(target, 'health');
    const id = taskSetRef(fleet, 'health');
    const [taskSet] = await this.taskSets(ecsT, [id]);
    if (taskSet === undefined) throw new FleetNotFoundError(id);

    const out = await callAws('elasticloadbalancing', 'DescribeTargetHealth', () =>
      this.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: fleet.targetGroup })),
    );
    const states = (out.TargetHealthDescriptions ?? []).map((d) => d.TargetHealth?.State ?? 'unknown');
    // A deregistering target is leaving; it neither counts nor blocks.
    const counted = states.filter((s) => s !== 'draining');
    const healthyCount = counted.filter((s) => s === 'healthy').length;
    const desired = taskSet.computedDesiredCount ?? 0;
    const running = taskSet.runningCount ?? 0;
    const steady = taskSet.stabilityStatus === 'STEADY_STATE';
    const healthy = steady && running >= desired && healthyCount >= desired && healthyCount === counted.length;
    return {
      healthy,
      desired,
      healthyCount,
      detail:
        `task set ${taskSet.stabilityStatus ?? 'UNKNOWN'}, ${running}/${desired} running, ` +
        `${healthyCount}/${counted.length} targets healthy`,
    };
  }

  /** Makes the task set the service's primary one. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateServicePrimaryTaskSet.html */
  public async promote(target: FleetTarget, fleet: FleetRef): Promise<void> {
    const ecsT = ecsTarget(target, 'promote');
    const id = taskSetRef(fleet, 'promote');
    await callAws(
      'ecs',
      'UpdateServicePrimaryTaskSet',
      () =>
        this.ecs.send(
          new UpdateServicePrimaryTaskSetCommand({ cluster: ecsT.cluster, service: ecsT.service, primaryTaskSet: id }),
        ),
      (code, error) => (code === 'TaskSetNotFoundException' ? new FleetNotFoundError(id, { cause: error }) : undefined),
    );
  }

  /**
   * Deletes the task set and its tasks (force: no need to scale to zero first);
   * a task set already gone is success.
   * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteTaskSet.html
   */
  public async retire(target: FleetTarget, fleet: FleetRef): Promise<void> {
    const ecsT = ecsTarget(target, 'retire');
    const id = taskSetRef(fleet, 'retire');
    await callAws(
      'ecs',
      'DeleteTaskSet',
      async () => {
        await this.ecs.send(
          new DeleteTaskSetCommand({ cluster: ecsT.cluster, service: ecsT.service, taskSet: id, force: true }),
        );
      },
      (code) => (code === 'TaskSetNotFoundException' ? { value: undefined } : undefined),
    );
  }

  /** The service's task sets, all or the ones named; ones ECS no longer knows are left out. */
  private async taskSets(target: EcsFleetTarget, ids?: readonly string[]): Promise<TaskSet[]> {
    const out = await callAws(
      'ecs',
      'DescribeTaskSets',
      () =>
        this.ecs.send(
          new DescribeTaskSetsCommand({
            cluster: target.cluster,
            service: target.service,
            ...(ids === undefined ? {} : { taskSets: [...ids] }),
          }),
        ),
      (code, error) =>
        ids !== undefined && code === 'TaskSetNotFoundException'
          ? new FleetNotFoundError(ids.join(', '), { cause: error })
          : undefined,
    );
    return out.taskSets ?? [];
  }

  private ref(id: string, targetGroup: string): FleetRef {
    return { kind: 'ecs-task-set', id, targetGroup };
  }
}
