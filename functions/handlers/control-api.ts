/**
 * Lambda entry point. The control API (API Gateway HTTP API, payload format
 * 2.0, every route with AWS_IAM authorization): start, look at, promote,
 * abort and roll back releases, decide approvals, take over dead locks, list versions, read a
 * release's traffic per version (CloudWatch GetMetricData) — each through its
 * one domain function (functions/control/operations.ts), the caller being the
 * IAM principal API Gateway verified (functions/control/lambda-event.ts).
 * Dependencies are built once per container, at cold start; the Slack bot
 * token (approver groups, four-eyes names, message updates) is read then too,
 * when the configuration names a Slack app.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { AlbRouter } from '../adapters/aws/alb-router.js';
import { CloudWatchAlarms } from '../adapters/aws/cloudwatch-alarms.js';
import { CloudWatchMetrics } from '../adapters/aws/cloudwatch-metrics.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { SfnCallbacks } from '../adapters/aws/sfn-callbacks.js';
import { SfnExecutions } from '../adapters/aws/sfn-executions.js';
import { SfnReleaseStarter } from '../adapters/aws/sfn-release-starter.js';
import { SlackApproverDirectory } from '../approval/policy.js';
import { fourEyesFor } from '../config.js';
import { errorBodyOf, handleControlRequest, statusOf } from '../control/api.js';
import { controlRequestOf, lambdaResultOf } from '../control/lambda-event.js';
import { NO_SLACK } from '../control/no-slack.js';
import type { ControlDeps } from '../control/operations.js';
import { ENV, readEnvironment } from './environment.js';
import { awsFleets } from './aws-fleets.js';
import { approvalLog, logger } from './logger.js';
import { slackAtColdStart } from './slack-secrets.js';
import { coldStartWithConfig, withConfig } from './step-handler.js';
import { liveConfig } from '../ledger/config-source.js';

const { configSource, config: atColdStart, ledger } = await coldStartWithConfig();
const env = readEnvironment([ENV.stateMachineArn]);
const sfn = new SFNClient(awsClientConfig);
const callbacks = new SfnCallbacks(sfn);
const executions = new SfnExecutions(sfn);
const cloudwatch = new CloudWatchClient(awsClientConfig);
const alarms = new CloudWatchAlarms(cloudwatch);
const elb = new ElasticLoadBalancingV2Client(awsClientConfig);
// The Slack app is set up once per container, from the configuration read at cold start.
const slack = atColdStart.slack === undefined ? NO_SLACK : (await slackAtColdStart(atColdStart)).slack;
const config = liveConfig(configSource);
// promote-now and abort resume task tokens; a rollback flips traffic back to the warm
// old fleet (set and verify), makes it primary again and retires the new one.
const ports = { ledger, callbacks, router: new AlbRouter(elb), fleets: awsFleets(elb), now: () => new Date() };

const deps: Omit<ControlDeps, 'config' | 'steps'> = {
  ledger,
  starter: new SfnReleaseStarter(sfn, env[ENV.stateMachineArn]),
  executions,
  alarms,
  callbacks,
  decisions: {
    ledger,
    callbacks,
    slack,
    directory: new SlackApproverDirectory(slack),
    now: () => new Date(),
    fourEyes: (approval) => fourEyesFor(config, approval),
    log: approvalLog,
  },
  traffic: new CloudWatchMetrics(cloudwatch),
  // The ALB publishes its target group metrics per minute: the last five of them, the current one included.
  trafficWindow: { periodSeconds: 60, periods: 5 },
  now: () => new Date(),
};

export async function handler(event: unknown, context: Context): Promise<APIGatewayProxyStructuredResultV2> {
  logger.addContext(context);
  let mapped: ReturnType<typeof controlRequestOf>;
  try {
    mapped = controlRequestOf(event);
  } catch (error) {
    logger.warn('control request refused: no verified caller', { error: error instanceof Error ? error.name : 'unknown' });
    return lambdaResultOf({ status: statusOf(error), body: errorBodyOf(error) });
  }
  // Each request on the configuration of now (memory within 30 s); a rollback acts on what its release froze.
  const steps = await withConfig(ports, configSource);
  const response = await handleControlRequest({ ...deps, config: steps.config, steps }, mapped.request, mapped.caller, (error, status) => {
    logger.error('control request failed', { status, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
  });
  logger.info('control request', { method: mapped.request.method, path: mapped.request.path, caller: mapped.caller.principalArn, status: response.status });
  return lambdaResultOf(response);
}
