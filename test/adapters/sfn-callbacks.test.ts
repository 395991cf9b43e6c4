import { describe } from 'vitest';
import { sfnCallbacksScenarios } from './sfn-callbacks.scenarios.js';
import { runScenarios } from './harness.js';

describe('SfnCallbacks (Step Functions task tokens)', () => {
  runScenarios(sfnCallbacksScenarios);
});
