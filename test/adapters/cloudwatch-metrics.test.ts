import { describe } from 'vitest';
import { cloudWatchMetricsScenarios } from './cloudwatch-metrics.scenarios.js';
import { runScenarios } from './harness.js';

describe('CloudWatchMetrics (ALB target group traffic per period)', () => {
  runScenarios(cloudWatchMetricsScenarios);
});
