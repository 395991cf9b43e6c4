/**
 * The approval endpoint's signing secret and link-signing key, at cold start:
 * the one secret that lets a request speak for Slack or for an approver, so
 * only the endpoint builds it (and is granted it). Read now and cached, like
 * the bot token (slack-secrets.ts).
 */
import { SlackSigningSecret } from '../adapters/aws/secrets-manager.js';
import type { SlackSigningSecrets } from '../approval/secrets.js';
import type { SlackConfig } from '../config.js';
import { secretsManager, warmSecret } from './slack-secrets.js';

/** Call once, at module scope (`await`). */
export async function signingSecretsAtColdStart(slackConfig: SlackConfig): Promise<SlackSigningSecrets> {
  const signing: SlackSigningSecrets = new SlackSigningSecret(secretsManager, slackConfig.signingSecretName);
  await warmSecret(signing, slackConfig.signingSecretName);
  return signing;
}
