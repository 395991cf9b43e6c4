/**
 * Fleet on EC2 Auto Scaling, the immutable way: every release gets its own
 * group, `<prefix>-<releaseId>`, from the service's launch template at the
 * release's version, sized like the current group and attached to the idle
 * target group. Nothing is ever changed in place; retiring deletes the group.
 *
 * The release's version is a launch-template version number. An AMI id is
 * refused: turning it into a launch-template version needs
 * ec2:CreateLaunchTemplateVersion (and the EC2 client), which belongs in the
 * service's build, not in the release flow. The build publishes the version;
 * rollgate pins it (never `$Latest`/`$Default`, which move under a running group).
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/create-asg-launch-template.html
 */
import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  type AutoScalingClient,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { DescribeTargetHealthCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { FleetConfigError, FleetNotFoundError, InvalidInputError } from '../../errors.js';
import type { AsgFleetTarget, CreateFleetInput, Fleet, FleetHealth, FleetRef, FleetTarget } from '../../ports.js';
import { callAws } from './errors.js';
import { requestTagged, resourceTagged, SAR, SERVICE_TAG, type ArnEnv, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** What the Auto Scaling fleet's permissions depend on in the configuration: nothing per service. */
export interface AsgFleetIamScope {
  /** Some launch template has an instance profile (`instanceRoleArns`), so iam:PassRole is needed. */
  readonly passesRoles: boolean;
}

/** The stack's Auto Scaling groups, any name. */
const groupArns = (e: ArnEnv) => [`arn:${e.partition}:autoscaling:${e.region}:${e.account}:autoScalingGroup:*:autoScalingGroupName/*`];
const launchTemplates = (e: ArnEnv) => `arn:${e.partition}:ec2:${e.region}:${e.account}:launch-template/*`;

/**
 * What an instance launched from a launch template may touch, every
 * RunInstances resource type of the reference but the launch template itself
 * (which its own grant requires to be tagged): the account's instances,
 * volumes, network interfaces, subnets, security groups, key pairs, placement
 * groups, capacity reservations, Spot requests and elastic GPUs, and the
 * region's images and snapshots (whose ARNs name no account).
 */
const launchedResources = (e: ArnEnv) => [
  ...['instance', 'volume', 'network-interface', 'subnet', 'security-group', 'key-pair', 'placement-group', 'capacity-reservation', 'spot-instances-request', 'elastic-gpu'].map(
    (type) => `arn:${e.partition}:ec2:${e.region}:${e.account}:${type}/*`,
  ),
  `arn:${e.partition}:ec2:${e.region}::image/*`,
  `arn:${e.partition}:ec2:${e.region}::snapshot/*`,
];

/**
 * The IAM permissions {@link AsgFleet} uses, for every Auto Scaling service at
 * once: it creates groups tagged {@link SERVICE_TAG} from launch templates
 * tagged so, and deletes only tagged groups, in the stack's account and region.
 */
export const ASG_FLEET_IAM: readonly IamGrant<AsgFleetIamScope>[] = [
  {
    // Tags given to CreateAutoScalingGroup are authorized by it (aws:RequestTag), not by a separate CreateOrUpdateTags.
    actions: ['autoscaling:CreateAutoScalingGroup'],
    resources: (_s, e) => groupArns(e),
    conditions: () => requestTagged(),
    why: `creates groups only with the ${SERVICE_TAG} tag (aws:RequestTag): ${SAR.autoscalingTags} ${SAR.autoscalingActions}`,
  },
  {
    actions: ['autoscaling:DeleteAutoScalingGroup'],
    resources: (_s, e) => groupArns(e),
    conditions: () => resourceTagged(`autoscaling:ResourceTag/${SERVICE_TAG}`),
    why: `deletes only groups tagged ${SERVICE_TAG} (autoscaling:ResourceTag): ${SAR.autoscalingTags} ${SAR.autoscalingActions}`,
  },
  {
    actions: ['autoscaling:DescribeAutoScalingGroups', 'elasticloadbalancing:DescribeTargetHealth'],
    resources: '*',
    why: `Describe actions support no resource-level permissions: ${SAR.launchTemplates} ${SAR.elb}`,
  },
  {
    // Creating a group from a launch template authorizes ec2:RunInstances against the caller.
    actions: ['ec2:RunInstances'],
    checkedDuring: ['autoscaling:CreateAutoScalingGroup'],
    resources: (_s, e) => [launchTemplates(e)],
    conditions: () => resourceTagged(),
    why: `only launch templates tagged ${SERVICE_TAG} ("require launch templates that have a specific tag"): ${SAR.launchTemplates} ${SAR.ec2}`,
  },
  {
    actions: ['ec2:RunInstances'],
    checkedDuring: ['autoscaling:CreateAutoScalingGroup'],
    resources: (_s, e) => launchedResources(e),
    conditions: (_s, e) => ({ ArnLike: { 'ec2:LaunchTemplate': launchTemplates(e) } }),
    why: `the resources of an instance launched from a launch template (which the grant above requires to be tagged): ${SAR.launchTemplates} ${SAR.ec2}`,
  },
  {
    // The launch template's tag specifications tag what RunInstances creates.
    actions: ['ec2:CreateTags'],
    checkedDuring: ['autoscaling:CreateAutoScalingGroup'],
    resources: (_s, e) => ['instance', 'volume', 'network-interface', 'spot-instances-request'].map((type) => `arn:${e.partition}:ec2:${e.region}:${e.account}:${type}/*`),
    conditions: () => ({ StringEquals: { 'ec2:CreateAction': 'RunInstances' } }),
    why: `tags only what RunInstances creates (ec2:CreateAction), never an existing resource: ${SAR.ec2TagOnCreate}`,
  },
  {
    actions: ['iam:PassRole'],
    checkedDuring: ['autoscaling:CreateAutoScalingGroup'],
    resources: (s, e) => (s.passesRoles ? [`arn:${e.partition}:iam::${e.account}:role/*`] : []),
    conditions: () => ({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' }, ...resourceTagged(`iam:ResourceTag/${SERVICE_TAG}`) }),
    why: `a launch template with an instance profile passes its role (${SAR.launchTemplates}); only roles tagged ${SERVICE_TAG}, only to EC2: ${SAR.iam} ${SAR.iamTags}`,
  },
];

/** What each {@link AsgFleet} method sends: only `create` launches instances (and passes the instance role). */
export const ASG_FLEET_METHODS: MethodActions<MethodsOf<Fleet>> = {
  create: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:CreateAutoScalingGroup', 'ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'],
  health: ['autoscaling:DescribeAutoScalingGroups', 'elasticloadbalancing:DescribeTargetHealth'],
  promote: [],
  retire: ['autoscaling:DeleteAutoScalingGroup'],
};

/** Launch-template version numbers only: `$Latest`/`$Default` move, AMI ids need EC2 (see the module comment). */
const LAUNCH_TEMPLATE_VERSION = /^[1-9][0-9]{0,9}$/;

/** Auto Scaling group names: 1-255 characters, no colon. https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html */
const MAX_GROUP_NAME = 255;

function asgTarget(target: FleetTarget, operation: string): AsgFleetTarget {
  if (target.kind !== 'asg') throw new FleetConfigError(`${operation}: AsgFleet got a ${target.kind} target`);
  return target;
}

function groupName(fleet: FleetRef, operation: string): string {
  if (fleet.kind !== 'auto-scaling-group') {
    throw new FleetConfigError(`${operation}: AsgFleet got a ${fleet.kind} fleet`);
  }
  return fleet.id;
}

/** "Not found" from Auto Scaling is an unmodelled ValidationError. */
function isGroupNotFound(code: string, message: string): boolean {
  return code === 'ValidationError' && /not found/i.test(message);
}

/** A fleet is one Auto Scaling group; `id` is its name. */
export class AsgFleet implements Fleet {
  public constructor(
    private readonly autoscaling: AutoScalingClient,
    private readonly elb: ElasticLoadBalancingV2Client,
  ) {}

  /**
   * Creates `<prefix>-<releaseId>`, or returns it when it already exists (a
   * retry, or AlreadyExists from a racing one).
   */
  public async create(input: CreateFleetInput): Promise<FleetRef> {
    const target = asgTarget(input.target, 'create');
    if (!LAUNCH_TEMPLATE_VERSION.test(input.version)) {
      throw new InvalidInputError(
        'AsgFleet.create',
        'version',
        input.version.startsWith('ami-')
          ? 'an AMI id is not a release version here; publish a launch-template version with that image and release its number'
          : 'must be a launch-template version number',
      );
    }
    const name = `${target.groupNamePrefix}-${input.releaseId}`;
    if (name.length > MAX_GROUP_NAME || name.includes(':')) {
      throw new FleetConfigError(`Auto Scaling group name ${name} must be at most 255 characters with no ':'`);
    }
    if (input.current === undefined) {
      throw new FleetConfigError(`no current Auto Scaling group to size ${name} from`);
    }
    const currentName = groupName(input.current, 'create');
    const groups = await this.groups([name, currentName]);
    const ref: FleetRef = { kind: 'auto-scaling-group', id: name, targetGroup: input.targetGroupArn };
    if (groups.some((g) => g.AutoScalingGroupName === name)) return ref;

    const current = groups.find((g) => g.AutoScalingGroupName === currentName);
    if (current === undefined) throw new FleetNotFoundError(currentName);

    await callAws(
      'autoscaling',
      'CreateAutoScalingGroup',
      async () => {
        await this.autoscaling.send(
          new CreateAutoScalingGroupCommand({
            AutoScalingGroupName: name,
            LaunchTemplate: { LaunchTemplateId: target.launchTemplateId, Version: input.version },
            MinSize: current.MinSize,
            MaxSize: current.MaxSize,
            DesiredCapacity: current.DesiredCapacity,
            VPCZoneIdentifier: target.subnetIds.join(','),
            TargetGroupARNs: [input.targetGroupArn],
            HealthCheckType: current.HealthCheckType,
            HealthCheckGracePeriod: current.HealthCheckGracePeriod,
            // rollgate:service first: without it the role may not create the group (nor later delete it).
            Tags: [
              [SERVICE_TAG, input.service],
              ['service', input.service],
              ['environment', input.environment],
              ['release', input.releaseId],
            ].map(([Key, Value]) => ({
              Key,
              Value,
              PropagateAtLaunch: true,
              ResourceId: name,
              ResourceType: 'auto-scaling-group',
            })),
          }),
        );
      },
      (code) => (code === 'AlreadyExistsFault' || code === 'AlreadyExists' ? { value: undefined } : undefined),
    );
    return ref;
  }

  /**
   * Healthy when the group has its desired capacity, every instance is
   * InService and Healthy, and each is healthy in the target group.
   * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_Instance.html
   */
  public async health(target: FleetTarget, fleet: FleetRef): Promise<FleetHealth> {
    asgTarget(target, 'health');
    const name = groupName(fleet, 'health');
    const [group] = await this.groups([name]);
    if (group === undefined) throw new FleetNotFoundError(name);

    const instances = group.Instances ?? [];
    const inService = instances.filter((i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy');
    const out = await callAws('elasticloadbalancing', 'DescribeTargetHealth', () =>
      this.elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: fleet.targetGroup })),
    );
    const healthyTargets = new Set(
      (out.TargetHealthDescriptions ?? [])
        .filter((d) => d.TargetHealth?.State === 'healthy')
        .map((d) => d.Target?.Id),
    );
    const healthyCount = inService.filter((i) => healthyTargets.has(i.InstanceId)).length;
    const desired = group.DesiredCapacity ?? 0;
    return {
      healthy: healthyCount >= desired && healthyCount === instances.length,
      desired,
      healthyCount,
      detail: `${inService.length}/${instances.length} instances InService, ${healthyCount}/${desired} healthy in the target group`,
    };
  }

  /** An Auto Scaling fleet takes traffic by weight alone; there is nothing to mark. */
  public promote(target: FleetTarget, fleet: FleetRef): Promise<void> {
    asgTarget(target, 'promote');
    groupName(fleet, 'promote');
    return Promise.resolve();
  }

  /**
   * Deletes the group and terminates its instances (ForceDelete); a group
   * already gone is success.
   * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_DeleteAutoScalingGroup.html
   */
  public async retire(target: FleetTarget, fleet: FleetRef): Promise<void> {
    asgTarget(target, 'retire');
    const name = groupName(fleet, 'retire');
    await callAws(
      'autoscaling',
      'DeleteAutoScalingGroup',
      async () => {
        await this.autoscaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }));
      },
      (code, error) => (isGroupNotFound(code, error.message) ? { value: undefined } : undefined),
    );
  }

  private async groups(names: readonly string[]): Promise<AutoScalingGroup[]> {
    const out = await callAws('autoscaling', 'DescribeAutoScalingGroups', () =>
      this.autoscaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [...names] })),
    );
    return out.AutoScalingGroups ?? [];
  }
}
