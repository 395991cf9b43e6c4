import { describe } from 'vitest';
import { runScenarios } from './harness.js';
import { slackBotTokenSecretScenarios, slackSigningSecretScenarios } from './secrets-manager.scenarios.js';

describe('SlackBotTokenSecret (the bot token from Secrets Manager, cached)', () => {
  runScenarios(slackBotTokenSecretScenarios);
});

describe('SlackSigningSecret (the signing secret and link key from Secrets Manager, cached)', () => {
  runScenarios(slackSigningSecretScenarios);
});
