/**
 * What the three approval functions share at cold start: the Slack app's
 * configuration (`slack`, required: without it they fail their cold start
 * naming it), its bot token from Secrets Manager and the Slack Web API on it.
 * The signing secret, which only the approval endpoint reads, is built in
 * slack-signing-secret.ts: the Approval step and the sweeper never import it,
 * and are not granted it (infra/functions.ts `uses`).
 *
 * A secret is read during Lambda's init phase, so no click has to wait for
 * it, and cached (re-read after its lifetime, to pick up a rotation). A read
 * that fails at init is logged and not cached: the first request reads again
 * and fails with the error, rather than the whole function failing to start.
 */
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { SlackBotTokenSecret } from '../adapters/aws/secrets-manager.js';
import { SlackWebApi } from '../adapters/slack/web-api.js';
import type { SlackBotToken } from '../approval/secrets.js';
import { requireSlack, type RollgateConfig, type SlackConfig } from '../config.js';
import { errorName } from '../errors.js';
import { logger } from './logger.js';

export interface SlackAtColdStart {
  readonly slackConfig: SlackConfig;
  readonly botToken: SlackBotToken;
  readonly slack: SlackWebApi;
}

/** One Secrets Manager client per container, for every secret the function reads. */
export const secretsManager = new SecretsManagerClient(awsClientConfig);

/** Reads `secret` once now so the first request finds it cached; a failure is only logged. */
export async function warmSecret(secret: { get(): Promise<unknown> }, secretName: string): Promise<void> {
  try {
    await secret.get();
  } catch (error) {
    logger.warn('Slack secret not read at cold start; the first request reads it again', { secretName, error: errorName(error) });
  }
}

/** Call once, at module scope (`await`): builds the Slack side of a function and reads the bot-token secret. */
export async function slackAtColdStart(config: RollgateConfig): Promise<SlackAtColdStart> {
  const slackConfig = requireSlack(config);
  const botToken: SlackBotToken = new SlackBotTokenSecret(secretsManager, slackConfig.botTokenSecretName);
  await warmSecret(botToken, slackConfig.botTokenSecretName);
  return { slackConfig, botToken, slack: new SlackWebApi({ botToken: async () => (await botToken.get()).botToken }) };
}
