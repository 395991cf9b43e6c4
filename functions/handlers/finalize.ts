/**
 * Lambda entry point. Promotes the new fleet: 100% of traffic, recorded stable (Task state Finalize).
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AlbRouter } from '../adapters/aws/alb-router.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { finalize } from '../steps/finalize.js';
import { awsFleets } from './aws-fleets.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);

export const handler = stepHandler(
  finalize,
  configSource,
  {
    ledger,
    router: new AlbRouter(elb),
    fleets: awsFleets(elb),
  },
);
