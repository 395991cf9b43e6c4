/**
 * Lambda entry point. Preflight and lock (Task state Preflight): reads alarm states, starts the release and takes the lock.
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchAlarms } from '../adapters/aws/cloudwatch-alarms.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { preflight } from '../steps/preflight.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();

export const handler = stepHandler(
  preflight,
  configSource,
  {
    ledger,
    alarms: new CloudWatchAlarms(new CloudWatchClient(awsClientConfig)),
  },
);
