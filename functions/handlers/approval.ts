/**
 * Lambda entry point. Registers an approval and asks the approvers in Slack (callback Task state Approval):
 * the request goes to the service's channel (`approvals.slackChannel`, else `slack.channel`), with its alarms' states.
 * Dependencies are built once per container, at cold start; the Slack secret is read at the first request and cached.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CloudWatchAlarms } from '../adapters/aws/cloudwatch-alarms.js';
import { awsClientConfig } from '../adapters/aws/errors.js';
import { SlackSecretsManager } from '../adapters/aws/secrets-manager.js';
import { SlackWebApi } from '../adapters/slack/web-api.js';
import { SlackApprovalNotifier } from '../approval/slack-notifier.js';
import { approvalChannel, requireSlack } from '../config.js';
import { approval } from '../steps/wait.js';
import { approvalLog } from './logger.js';
import { coldStart, stepHandler, wire } from './step-handler.js';

const { config, ledger } = coldStart();
const slackConfig = requireSlack(config);
const secrets = new SlackSecretsManager(new SecretsManagerClient(awsClientConfig), slackConfig.secretName);
const slack = new SlackWebApi({ botToken: async () => (await secrets.get()).botToken });

export const handler = stepHandler(
  approval,
  wire('approval', {
    config,
    ledger,
    notifier: new SlackApprovalNotifier({
      slack,
      ledger,
      channel: (request) => approvalChannel(config, request),
      alarms: { source: new CloudWatchAlarms(new CloudWatchClient(awsClientConfig)), config },
      log: approvalLog,
    }),
  }),
);
