import { describe } from 'vitest';
import { asgFleetScenarios } from './asg-fleet.scenarios.js';
import { runScenarios } from './harness.js';

describe('AsgFleet (one immutable Auto Scaling group per release)', () => {
  runScenarios(asgFleetScenarios);
});
