import { describe } from 'vitest';
import { ecsFleetScenarios } from './ecs-fleet.scenarios.js';
import { runScenarios } from './harness.js';

describe('EcsFleet (ECS task sets, EXTERNAL deployment controller)', () => {
  runScenarios(ecsFleetScenarios);
});
