import { describe } from 'vitest';
import { runScenarios } from './harness.js';
import { sfnExecutionsScenarios } from './sfn-executions.scenarios.js';

describe('SfnExecutions (Step Functions execution status)', () => {
  runScenarios(sfnExecutionsScenarios);
});
