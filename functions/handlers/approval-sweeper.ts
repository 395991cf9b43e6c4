/**
 * Lambda entry point. The approval sweeper (EventBridge schedule; the event's content is ignored):
 * marks approvals that timed out or stopped mattering expired and updates their Slack message, and
 * sends the flow recorded decisions whose delivery failed, and posts approval requests Slack did not take.
 * Dependencies are built once per container, at cold start; the Slack bot-token secret (and only it) is read then too, and cached.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SFNClient } from '@aws-sdk/client-sfn';
import { CloudWatchAlarms } from '../adapters/aws/cloudwatch-alarms.js';
import type { Context } from 'aws-lambda';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { SfnCallbacks } from '../adapters/aws/sfn-callbacks.js';
import type { SweepResult } from '../approval/decisions.js';
import { SlackApprovalNotifier } from '../approval/slack-notifier.js';
import { createApprovalSweepHandler } from '../approval/sweep.js';
import { approvalChannel, fourEyesFor } from '../config.js';
import { approvalLog, logger } from './logger.js';
import { slackAtColdStart } from './slack-secrets.js';
import { coldStartWithConfig } from './step-handler.js';
import { liveConfig } from '../ledger/config-source.js';

const { configSource, config: atColdStart, ledger } = await coldStartWithConfig();
// The Slack app (its secrets) is set up once per container; channels and four-eyes follow each publish.
const { slack } = await slackAtColdStart(atColdStart);
const config = liveConfig(configSource);
const sweep = createApprovalSweepHandler({
  ledger,
  slack,
  callbacks: new SfnCallbacks(new SFNClient(awsClientConfig)),
  // Posts requests Slack did not take when the Approval step asked, with the alarm line the step would have shown.
  notifier: new SlackApprovalNotifier({
    slack,
    ledger,
    alarms: { source: new CloudWatchAlarms(new CloudWatchClient(awsClientConfig)), config },
    channel: (request) => approvalChannel(config, request),
    fourEyes: (request) => fourEyesFor(config, request),
    log: approvalLog,
  }),
  log: approvalLog,
});

/** Every scheduled event is the same "sweep now": its content is not read. */
export async function handler(_event: unknown, context: Context): Promise<SweepResult> {
  logger.addContext(context);
  await configSource.get();
  const result = await sweep();
  logger.info('approvals swept', { expired: result.expired, updated: result.updated, delivered: result.delivered, posted: result.posted });
  return result;
}
