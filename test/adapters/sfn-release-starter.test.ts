import { describe } from 'vitest';
import { runScenarios } from './harness.js';
import { sfnReleaseStarterScenarios } from './sfn-release-starter.scenarios.js';

describe('SfnReleaseStarter (StartExecution under a name derived from the build)', () => {
  runScenarios(sfnReleaseStarterScenarios);
});
