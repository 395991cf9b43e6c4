import { describe } from 'vitest';
import { ecsMigratorScenarios } from './ecs-migrator.scenarios.js';
import { runScenarios } from './harness.js';

describe('EcsMigrator (ECS RunTask migrations)', () => {
  runScenarios(ecsMigratorScenarios);
});
