/**
 * Lambda entry point. The header-routed dark canary and its smoke checks (Task state DarkCanary).
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AlbRouter } from '../adapters/aws/alb-router.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { HttpSmokeChecker } from '../adapters/http/smoke-checker.js';
import { darkCanary } from '../steps/dark-canary.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);

export const handler = stepHandler(
  darkCanary,
  configSource,
  {
    ledger,
    router: new AlbRouter(elb),
    smoke: new HttpSmokeChecker(),
  },
);
