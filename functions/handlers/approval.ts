/**
 * Lambda entry point. Registers an approval and asks the approvers in Slack (callback Task state Approval):
 * the request goes to the service's channel (`approvals.slackChannel`, else `slack.channel`), with its alarms' states.
 * Dependencies are built once per container, at cold start; the Slack bot-token secret (and only it) is read then too, and cached.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchAlarms } from '../adapters/aws/cloudwatch-alarms.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { SlackApprovalNotifier } from '../approval/slack-notifier.js';
import { approvalChannel, fourEyesFor } from '../config.js';
import { approval } from '../steps/wait.js';
import { approvalLog } from './logger.js';
import { slackAtColdStart } from './slack-secrets.js';
import { coldStartWithConfig, stepHandler } from './step-handler.js';
import { liveConfig } from '../ledger/config-source.js';

const { configSource, config: atColdStart, ledger } = await coldStartWithConfig();
// The Slack app (its secrets) is set up once per container; channels and four-eyes follow each publish.
const { slack } = await slackAtColdStart(atColdStart);
const config = liveConfig(configSource);

export const handler = stepHandler(
  approval,
  configSource,
  {
    ledger,
    notifier: new SlackApprovalNotifier({
      slack,
      ledger,
      channel: (request) => approvalChannel(config, request),
      alarms: { source: new CloudWatchAlarms(new CloudWatchClient(awsClientConfig)), config },
      fourEyes: (request) => fourEyesFor(config, request),
      log: approvalLog,
    }),
  },
);
