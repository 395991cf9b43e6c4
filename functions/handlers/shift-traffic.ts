/**
 * Lambda entry point. Checks the finished bake and takes the next plan step: set, then verify, the weights (Task state ShiftTraffic).
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AlbRouter } from '../adapters/aws/alb-router.js';
import { CloudWatchAlarms } from '../adapters/aws/cloudwatch-alarms.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { shiftTraffic } from '../steps/shift-traffic.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);

export const handler = stepHandler(
  shiftTraffic,
  configSource,
  {
    ledger,
    alarms: new CloudWatchAlarms(new CloudWatchClient(awsClientConfig)),
    router: new AlbRouter(elb),
  },
);
