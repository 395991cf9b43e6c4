/**
 * Lambda entry point. The alarm handler (EventBridge "CloudWatch Alarm State Change"): restores the stable fleet at once and fails the flow's waiting token.
 * It reads the alarm's state again from CloudWatch, so a stale event (the alarm is OK by now) rolls nothing back.
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { AlbRouter } from '../adapters/aws/alb-router.js';
import { CloudWatchAlarms } from '../adapters/aws/cloudwatch-alarms.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { SfnCallbacks } from '../adapters/aws/sfn-callbacks.js';
import { alarmHandler } from '../steps/alarm.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);
const sfn = new SFNClient(awsClientConfig);
const cloudwatch = new CloudWatchClient(awsClientConfig);

export const handler = stepHandler(
  alarmHandler,
  configSource,
  {
    ledger,
    router: new AlbRouter(elb),
    alarms: new CloudWatchAlarms(cloudwatch),
    callbacks: new SfnCallbacks(sfn),
  },
);
