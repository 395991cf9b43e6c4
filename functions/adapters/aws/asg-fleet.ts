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
import { SAR, type ArnEnv, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** The configuration the Auto Scaling fleet's permissions are scoped by. */
export interface AsgFleetIamScope {
  readonly launchTemplateId: string;
  readonly groupNamePrefix: string;
  /** Roles of the launch template's instance profile, if it has one (iam:PassRole). */
  readonly instanceRoleArns: readonly string[];
}

const groupArns = (s: AsgFleetIamScope, e: ArnEnv) => [
  `arn:${e.partition}:autoscaling:${e.region}:${e.account}:autoScalingGroup:*:autoScalingGroupName/${s.groupNamePrefix}-*`,
];
const launchTemplateArn = (s: AsgFleetIamScope, e: ArnEnv) =>
  `arn:${e.partition}:ec2:${e.region}:${e.account}:launch-template/${s.launchTemplateId}`;

/** The IAM permissions {@link AsgFleet} uses. */
export const ASG_FLEET_IAM: readonly IamGrant<AsgFleetIamScope>[] = [
  {
    actions: ['autoscaling:CreateAutoScalingGroup', 'autoscaling:DeleteAutoScalingGroup'],
    resources: groupArns,
    why: `only groups named <prefix>-*: ${SAR.autoscaling}`,
  },
  {
    actions: ['autoscaling:DescribeAutoScalingGroups', 'elasticloadbalancing:DescribeTargetHealth'],
    resources: '*',
    why: `Describe actions support no resource-level permissions: https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html ${SAR.elb}`,
  },
  {
    // Creating a group from a launch template authorizes ec2:RunInstances (and
    // ec2:CreateTags for the template's tag specifications) against the caller.
    actions: ['ec2:RunInstances', 'ec2:CreateTags'],
    checkedDuring: ['autoscaling:CreateAutoScalingGroup'],
    resources: '*',
    conditions: (s, e) => ({ ArnLike: { 'ec2:LaunchTemplate': launchTemplateArn(s, e) } }),
    why: `RunInstances spans instance, volume, ENI, subnet, image... resources; limited to launches from this launch template: ${SAR.autoscaling}`,
  },
  {
    actions: ['iam:PassRole'],
    checkedDuring: ['autoscaling:CreateAutoScalingGroup'],
    resources: (s) => s.instanceRoleArns,
    conditions: () => ({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } }),
    why: `a launch template with an instance profile passes its role: ${SAR.autoscaling}`,
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
            Tags: [
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
