import { describe } from 'vitest';
import { runScenarios } from './harness.js';
import { slackSecretsManagerScenarios } from './secrets-manager.scenarios.js';

describe('SlackSecretsManager (the Slack secret from Secrets Manager, cached)', () => {
  runScenarios(slackSecretsManagerScenarios);
});
