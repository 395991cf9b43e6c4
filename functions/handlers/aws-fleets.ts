/**
 * The fleets of the onboarded services: an ECS fleet only when an ECS service
 * is onboarded, an Auto Scaling fleet only when an Auto Scaling group service
 * is, matching the grants the stack gives (infra/release-orchestrator.ts).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AsgFleet } from '../adapters/aws/asg-fleet.js';
import { EcsFleet } from '../adapters/aws/ecs-fleet.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import type { RollgateConfig } from '../config.js';
import type { Fleet } from '../ports.js';
import type { StepDeps } from '../steps/step.js';
import { notWired } from './step-handler.js';

export function awsFleets(config: RollgateConfig, elb: ElasticLoadBalancingV2Client, functionName: string): StepDeps['fleets'] {
  const kinds = new Set(config.services.map((s) => s.fleet.kind));
  return {
    ecs: kinds.has('ecs') ? new EcsFleet(new ECSClient(awsClientConfig), elb) : notWired<Fleet>('EcsFleet', functionName),
    asg: kinds.has('asg') ? new AsgFleet(new AutoScalingClient(awsClientConfig), elb) : notWired<Fleet>('AsgFleet', functionName),
  };
}
