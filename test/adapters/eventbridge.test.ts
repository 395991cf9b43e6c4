import { describe } from 'vitest';
import { eventBridgeScenarios } from './eventbridge.scenarios.js';
import { runScenarios } from './harness.js';

describe('EventBridgeReleaseEvents (PutEvents of release notifications)', () => {
  runScenarios(eventBridgeScenarios);
});
