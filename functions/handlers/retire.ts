/**
 * Lambda entry point. Retires the old fleet after the termination wait and closes the release (Task state Retire).
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { retire } from '../steps/finalize.js';
import { awsFleets } from './aws-fleets.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);

export const handler = stepHandler(
  retire,
  configSource,
  {
    ledger,
    fleets: awsFleets(elb),
  },
);
