/**
 * Lambda entry point. The reconciler (EventBridge execution status changes and a 5-minute schedule): closes releases whose execution died.
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AlbRouter } from '../adapters/aws/alb-router.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { SfnExecutions } from '../adapters/aws/sfn-executions.js';
import { reconcile } from '../steps/reconcile.js';
import { awsFleets } from './aws-fleets.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);
const sfn = new SFNClient(awsClientConfig);

export const handler = stepHandler(
  reconcile,
  configSource,
  {
    ledger,
    router: new AlbRouter(elb),
    fleets: awsFleets(elb),
    executions: new SfnExecutions(sfn),
  },
);
