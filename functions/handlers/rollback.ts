/**
 * Lambda entry point. Puts traffic back on the stable fleet, removes the new one and closes the release (Task state Rollback).
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AlbRouter } from '../adapters/aws/alb-router.js';
import { EcsMigrator } from '../adapters/aws/ecs-migrator.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { rollback } from '../steps/rollback.js';
import { awsFleets } from './aws-fleets.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);

export const handler = stepHandler(
  rollback,
  configSource,
  {
    ledger,
    router: new AlbRouter(elb),
    fleets: awsFleets(elb),
    // A rollback from the migration poll stops the migration task.
    migrator: new EcsMigrator(new ECSClient(awsClientConfig)),
  },
);
