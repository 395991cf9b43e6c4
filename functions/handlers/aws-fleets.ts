/**
 * The fleets of the services: both kinds, always. Which kinds are onboarded
 * is data now (functions/ledger/config-store.ts) and may change without a new
 * cold start; an adapter costs nothing until it is called, and what it may
 * call is still decided by the function's role (infra/).
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AsgFleet } from '../adapters/aws/asg-fleet.js';
import { EcsFleet } from '../adapters/aws/ecs-fleet.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import type { StepDeps } from '../steps/step.js';

export function awsFleets(elb: ElasticLoadBalancingV2Client): StepDeps['fleets'] {
  return { ecs: new EcsFleet(new ECSClient(awsClientConfig), elb), asg: new AsgFleet(new AutoScalingClient(awsClientConfig), elb) };
}
