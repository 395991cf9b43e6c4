import {
  CreateAutoScalingGroupCommand,
  DeleteAutoScalingGroupCommand,
  DescribeAutoScalingGroupsCommand,
  type AutoScalingGroup,
} from '@aws-sdk/client-auto-scaling';
import { DescribeTargetHealthCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { expect } from 'vitest';
import { AsgFleet } from '../../functions/adapters/aws/asg-fleet.js';
import type { AsgFleetTarget, CreateFleetInput, FleetRef } from '../../functions/ports.js';
import { scenarios, sentActions, type AwsMocks } from './harness.js';
import { RELEASE_ID, TG_BLUE, TG_GREEN, awsError } from './fixtures.js';

const TARGET: AsgFleetTarget = {
  kind: 'asg',
  launchTemplateId: 'lt-0abc',
  groupNamePrefix: 'api-prod',
  subnetIds: ['subnet-1', 'subnet-2'],
};
const NAME = `api-prod-${RELEASE_ID}`;
const CURRENT: FleetRef = { kind: 'auto-scaling-group', id: 'api-prod-01JAAAAAAAAAAAAAAAAAAAAAAA', targetGroup: TG_BLUE };
const CURRENT_GROUP: AutoScalingGroup = {
  AutoScalingGroupName: CURRENT.id,
  MinSize: 2,
  MaxSize: 6,
  DesiredCapacity: 3,
  HealthCheckType: 'ELB',
  HealthCheckGracePeriod: 120,
  DefaultCooldown: 300,
  AvailabilityZones: ['us-east-1a'],
  CreatedTime: new Date(0),
};
const INPUT: CreateFleetInput = {
  service: 'api',
  environment: 'prod',
  releaseId: RELEASE_ID,
  version: '42',
  target: TARGET,
  targetGroupArn: TG_GREEN,
  current: CURRENT,
};
const REF: FleetRef = { kind: 'auto-scaling-group', id: NAME, targetGroup: TG_GREEN };

function fleet(aws: AwsMocks): AsgFleet {
  return new AsgFleet(aws.clients.autoscaling, aws.clients.elb);
}

function group(instances: [string, string, string][]): AutoScalingGroup {
  return {
    ...CURRENT_GROUP,
    AutoScalingGroupName: NAME,
    Instances: instances.map(([InstanceId, LifecycleState, HealthStatus]) => ({
      InstanceId,
      LifecycleState: LifecycleState as 'InService',
      HealthStatus,
      AvailabilityZone: 'us-east-1a',
      ProtectedFromScaleIn: false,
    })),
  };
}

function targets(states: [string, string][]) {
  return {
    TargetHealthDescriptions: states.map(([Id, State]) => ({ Target: { Id, Port: 80 }, TargetHealth: { State: State as 'healthy' } })),
  };
}

export const asgFleetScenarios = scenarios('AsgFleet', {
  'create makes <prefix>-<releaseId> from the launch template version, sized like the current group, on the idle target group':
    async (aws) => {
      aws.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [CURRENT_GROUP] });
      aws.autoscaling.on(CreateAutoScalingGroupCommand).resolves({});
      await expect(fleet(aws).create(INPUT)).resolves.toEqual(REF);
      expect(sentActions(aws)).toEqual(['autoscaling:DescribeAutoScalingGroups', 'autoscaling:CreateAutoScalingGroup']);
      expect(aws.autoscaling.commandCalls(DescribeAutoScalingGroupsCommand)[0]?.args[0].input).toEqual({
        AutoScalingGroupNames: [NAME, CURRENT.id],
      });
      const tag = (Key: string, Value: string) => ({
        Key,
        Value,
        PropagateAtLaunch: true,
        ResourceId: NAME,
        ResourceType: 'auto-scaling-group',
      });
      expect(aws.autoscaling.commandCalls(CreateAutoScalingGroupCommand)[0]?.args[0].input).toEqual({
        AutoScalingGroupName: NAME,
        LaunchTemplate: { LaunchTemplateId: 'lt-0abc', Version: '42' },
        MinSize: 2,
        MaxSize: 6,
        DesiredCapacity: 3,
        VPCZoneIdentifier: 'subnet-1,subnet-2',
        TargetGroupARNs: [TG_GREEN],
        HealthCheckType: 'ELB',
        HealthCheckGracePeriod: 120,
        // The role may create and delete only groups tagged rollgate:service (ASG_FLEET_IAM).
        Tags: [tag('rollgate:service', 'api'), tag('service', 'api'), tag('environment', 'prod'), tag('release', RELEASE_ID)],
      });
    },

  'create on retry finds the group and creates nothing': async (aws) => {
    aws.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [CURRENT_GROUP, group([])] });
    await expect(fleet(aws).create(INPUT)).resolves.toEqual(REF);
    expect(sentActions(aws)).toEqual(['autoscaling:DescribeAutoScalingGroups']);
  },

  'create racing another retry takes AlreadyExists as its own group': async (aws) => {
    aws.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [CURRENT_GROUP] });
    aws.autoscaling.on(CreateAutoScalingGroupCommand).rejects(awsError('AlreadyExistsFault'));
    await expect(fleet(aws).create(INPUT)).resolves.toEqual(REF);
  },

  'create refuses an AMI id as the version, naming what to release instead': async (aws) => {
    await expect(fleet(aws).create({ ...INPUT, version: 'ami-0123456789abcdef0' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'version',
      message: expect.stringContaining('publish a launch-template version') as unknown,
    });
    expect(sentActions(aws)).toEqual([]);
  },

  'create refuses $Latest, which would move under a running group': async (aws) => {
    await expect(fleet(aws).create({ ...INPUT, version: '$Latest' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('launch-template version number') as unknown,
    });
  },

  'create without a current group to size from fails with FleetConfigError': async (aws) => {
    await expect(fleet(aws).create({ ...INPUT, current: undefined })).rejects.toMatchObject({
      name: 'FleetConfigError',
    });
    expect(sentActions(aws)).toEqual([]);
  },

  'create when the current group is gone fails with FleetNotFoundError': async (aws) => {
    aws.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(fleet(aws).create(INPUT)).rejects.toMatchObject({ name: 'FleetNotFoundError', fleetId: CURRENT.id });
    expect(sentActions(aws)).toEqual(['autoscaling:DescribeAutoScalingGroups']);
  },

  'create refuses a group name beyond 255 characters': async (aws) => {
    await expect(
      fleet(aws).create({ ...INPUT, target: { ...TARGET, groupNamePrefix: 'x'.repeat(240) } }),
    ).rejects.toMatchObject({ name: 'FleetConfigError' });
  },

  'create refused by a limit fails with CloudProviderError LimitExceededFault': async (aws) => {
    aws.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [CURRENT_GROUP] });
    aws.autoscaling.on(CreateAutoScalingGroupCommand).rejects(awsError('LimitExceededFault'));
    await expect(fleet(aws).create(INPUT)).rejects.toMatchObject({
      name: 'CloudProviderError',
      service: 'autoscaling',
      operation: 'CreateAutoScalingGroup',
      code: 'LimitExceededFault',
    });
  },

  'health is healthy when every instance is InService, Healthy and healthy in the target group': async (aws) => {
    aws.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [group([['i-1', 'InService', 'Healthy'], ['i-2', 'InService', 'Healthy'], ['i-3', 'InService', 'Healthy']])],
    });
    aws.elb.on(DescribeTargetHealthCommand).resolves(targets([['i-1', 'healthy'], ['i-2', 'healthy'], ['i-3', 'healthy']]));
    await expect(fleet(aws).health(TARGET, REF)).resolves.toEqual({
      healthy: true,
      desired: 3,
      healthyCount: 3,
      detail: '3/3 instances InService, 3/3 healthy in the target group',
    });
    expect(sentActions(aws)).toEqual(['autoscaling:DescribeAutoScalingGroups', 'elasticloadbalancing:DescribeTargetHealth']);
    expect(aws.autoscaling.commandCalls(DescribeAutoScalingGroupsCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupNames: [NAME],
    });
    expect(aws.elb.commandCalls(DescribeTargetHealthCommand)[0]?.args[0].input).toEqual({ TargetGroupArn: TG_GREEN });
  },

  'health is not healthy while an instance is pending or not yet healthy in the target group': async (aws) => {
    aws.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [group([['i-1', 'InService', 'Healthy'], ['i-2', 'Pending', 'Healthy'], ['i-3', 'InService', 'Healthy']])],
    });
    aws.elb.on(DescribeTargetHealthCommand).resolves(targets([['i-1', 'healthy'], ['i-3', 'initial']]));
    await expect(fleet(aws).health(TARGET, REF)).resolves.toEqual({
      healthy: false,
      desired: 3,
      healthyCount: 1,
      detail: '2/3 instances InService, 1/3 healthy in the target group',
    });
  },

  'health of a group that is gone fails with FleetNotFoundError': async (aws) => {
    aws.autoscaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(fleet(aws).health(TARGET, REF)).rejects.toMatchObject({ name: 'FleetNotFoundError', fleetId: NAME });
  },

  'promote has nothing to do on Auto Scaling and calls nothing': async (aws) => {
    await expect(fleet(aws).promote(TARGET, REF)).resolves.toBeUndefined();
    expect(sentActions(aws)).toEqual([]);
  },

  'retire force-deletes the group with its instances': async (aws) => {
    aws.autoscaling.on(DeleteAutoScalingGroupCommand).resolves({});
    await fleet(aws).retire(TARGET, REF);
    expect(aws.autoscaling.commandCalls(DeleteAutoScalingGroupCommand)[0]?.args[0].input).toEqual({
      AutoScalingGroupName: NAME,
      ForceDelete: true,
    });
  },

  'retire of a group already gone succeeds': async (aws) => {
    aws.autoscaling
      .on(DeleteAutoScalingGroupCommand)
      .rejects(awsError('ValidationError', `AutoScalingGroup name not found - AutoScalingGroup '${NAME}' not found`));
    await expect(fleet(aws).retire(TARGET, REF)).resolves.toBeUndefined();
  },

  'retire while a scaling activity runs fails with CloudProviderError ScalingActivityInProgressFault': async (aws) => {
    aws.autoscaling.on(DeleteAutoScalingGroupCommand).rejects(awsError('ScalingActivityInProgressFault'));
    await expect(fleet(aws).retire(TARGET, REF)).rejects.toMatchObject({
      name: 'CloudProviderError',
      code: 'ScalingActivityInProgressFault',
    });
  },

  'retire refuses an ECS target': async (aws) => {
    await expect(
      fleet(aws).retire(
        { kind: 'ecs', cluster: 'c', service: 's', containerName: 'a', containerPort: 1, imageRepository: 'r' },
        REF,
      ),
    ).rejects.toMatchObject({ name: 'FleetConfigError' });
  },
});
