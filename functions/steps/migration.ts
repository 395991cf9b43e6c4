/**
 * Database migration: one ECS task run with the release's image before the new
 * fleet exists. Started once per release (the migrator finds the task it
 * already started), then polled until it stops; anything but exit code 0 fails
 * the release before any fleet is created or traffic moves.
 */
import { z } from 'zod';
import { InvalidInputError, MigrationFailedError } from '../errors.js';
import type { MigrationInput, MigrationStatus } from '../ports.js';
import { assertStatus, defineStep, ensureStatus, statuses, refOf, ReleaseContextSchema, serviceOf, type ReleaseContext, type StepDeps } from './step.js';

function migrationInput(deps: StepDeps, release: ReleaseContext): MigrationInput {
  const migration = serviceOf(deps, release).migration;
  if (migration === undefined) {
    throw new InvalidInputError('migration', 'migration', `${release.service}/${release.environment} has no migration configured`);
  }
  return { releaseId: release.releaseId, version: release.version, target: migration };
}

async function settle(deps: StepDeps, release: ReleaseContext, status: MigrationStatus): Promise<MigrationStatus> {
  if (status.state === 'FAILED') throw new MigrationFailedError(status.exitCode, status.reason);
  if (status.state === 'SUCCEEDED') {
    await deps.ledger.appendEvent({
      releaseId: release.releaseId,
      eventId: `migration-succeeded:${status.taskArn}`,
      type: 'MIGRATION_SUCCEEDED',
      message: `migration task ${status.taskArn} exited 0`,
    });
  }
  return status;
}

export const startMigration = defineStep({
  name: 'startMigration',
  input: z.object({ release: ReleaseContextSchema }),
  async run(deps, { release }): Promise<MigrationStatus> {
    await ensureStatus(deps, refOf(release), 'MIGRATING', statuses('PENDING'), 'flow');
    const status = await deps.migrator.start(migrationInput(deps, release));
    await deps.ledger.appendEvent({
      releaseId: release.releaseId,
      eventId: `migration-started:${status.taskArn}`,
      type: 'MIGRATION_STARTED',
      message: `migration task ${status.taskArn} started with ${release.version}`,
    });
    return settle(deps, release, status);
  },
});

export const checkMigration = defineStep({
  name: 'checkMigration',
  input: z.object({ release: ReleaseContextSchema, migration: z.object({ taskArn: z.string() }) }),
  async run(deps, { release, migration }): Promise<MigrationStatus> {
    await assertStatus(deps, refOf(release), statuses('MIGRATING'));
    return settle(deps, release, await deps.migrator.status(migrationInput(deps, release), migration.taskArn));
  },
});
