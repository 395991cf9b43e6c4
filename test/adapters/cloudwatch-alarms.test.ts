import { describe } from 'vitest';
import { cloudWatchAlarmsScenarios } from './cloudwatch-alarms.scenarios.js';
import { runScenarios } from './harness.js';

describe('CloudWatchAlarms (metric and composite alarms in ALARM)', () => {
  runScenarios(cloudWatchAlarmsScenarios);
});
