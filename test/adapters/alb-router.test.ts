import { describe } from 'vitest';
import { albRouterScenarios } from './alb-router.scenarios.js';
import { runScenarios } from './harness.js';

describe('AlbRouter (ELBv2 weighted forward actions and the dark-canary rule)', () => {
  runScenarios(albRouterScenarios);
});
