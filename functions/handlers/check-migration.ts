/**
 * Lambda entry point. Polls the migration task (Task state CheckMigration).
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { ECSClient } from '@aws-sdk/client-ecs';
import { EcsMigrator } from '../adapters/aws/ecs-migrator.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { checkMigration } from '../steps/migration.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();

export const handler = stepHandler(
  checkMigration,
  configSource,
  {
    ledger,
    migrator: new EcsMigrator(new ECSClient(awsClientConfig)),
  },
);
