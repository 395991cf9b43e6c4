/**
 * What the three approval functions share at cold start: the Slack app's
 * configuration (`slack`, required: without it they fail their cold start
 * naming it), its secrets from Secrets Manager and the Slack Web API on its
 * bot token.
 *
 * The secret is read during Lambda's init phase, so no click has to wait for
 * it, and cached (re-read after its lifetime, to pick up a rotation). A read
 * that fails at init is logged and not cached: the first request reads again
 * and fails with the error, rather than the whole function failing to start.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../adapters/aws/errors.js';
import { SlackSecretsManager } from '../adapters/aws/secrets-manager.js';
import { SlackWebApi } from '../adapters/slack/web-api.js';
import { errorName } from '../approval/decisions.js';
import { requireSlack, type RollgateConfig, type SlackConfig } from '../config.js';
import { logger } from './logger.js';

export interface SlackAtColdStart {
  readonly slackConfig: SlackConfig;
  readonly secrets: SlackSecretsManager;
  readonly slack: SlackWebApi;
}

/** Call once, at module scope (`await`): builds the Slack side of a function and reads its secret. */
export async function slackAtColdStart(config: RollgateConfig): Promise<SlackAtColdStart> {
  const slackConfig = requireSlack(config);
  const secrets = new SlackSecretsManager(new SecretsManagerClient(awsClientConfig), slackConfig.secretName);
  try {
    await secrets.get();
  } catch (error) {
    logger.warn('Slack secret not read at cold start; the first request reads it again', { secretName: slackConfig.secretName, error: errorName(error) });
  }
  return { slackConfig, secrets, slack: new SlackWebApi({ botToken: async () => (await secrets.get()).botToken }) };
}
