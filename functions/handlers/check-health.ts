/**
 * Lambda entry point. The bounded health gate of the new fleet (Task state CheckHealth).
 * Dependencies are built once per container, at cold start.
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { checkHealth } from '../steps/deploy.js';
import { awsFleets } from './aws-fleets.js';
import { coldStart, stepHandler, wire } from './step-handler.js';

const { config, ledger } = coldStart();
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);

export const handler = stepHandler(
  checkHealth,
  wire('check-health', {
    config,
    ledger,
    fleets: awsFleets(config, elb, 'check-health'),
  }),
);
