/**
 * Lambda entry point. The approval sweeper (EventBridge schedule; the event's content is ignored):
 * marks approvals that timed out or stopped mattering expired and updates their Slack message.
 * Dependencies are built once per container, at cold start; the Slack secret is read at the first run and cached.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { awsClientConfig } from '../adapters/aws/errors.js';
import { SlackSecretsManager } from '../adapters/aws/secrets-manager.js';
import { SlackWebApi } from '../adapters/slack/web-api.js';
import type { SweepResult } from '../approval/decisions.js';
import { createApprovalSweepHandler } from '../approval/sweep.js';
import { requireSlack } from '../config.js';
import { approvalLog, logger } from './logger.js';
import { coldStart } from './step-handler.js';

const { config, ledger } = coldStart();
const slackConfig = requireSlack(config);
const secrets = new SlackSecretsManager(new SecretsManagerClient(awsClientConfig), slackConfig.secretName);
const sweep = createApprovalSweepHandler({
  ledger,
  slack: new SlackWebApi({ botToken: async () => (await secrets.get()).botToken }),
  log: approvalLog,
});

/** Every scheduled event is the same "sweep now": its content is not read. */
export async function handler(_event: unknown, context: Context): Promise<SweepResult> {
  logger.addContext(context);
  const result = await sweep();
  logger.info('approvals swept', { expired: result.expired, updated: result.updated });
  return result;
}
