/**
 * Database migration: one ECS task run with the release's image before the new
 * fleet exists. Started once per release (the migrator finds the task it
 * already started), then polled until it stops or its timeout passes; anything
 * but exit code 0 fails the release before any fleet is created or traffic
 * moves. A migration still running at its deadline is stopped, so no task
 * outlives the release that started it, and the release fails with
 * MigrationTimedOutError (the poll is bounded: functions/domain/history.ts).
 */
import * as z from 'zod';
import { migrationTimeoutSeconds } from '../config.js';
import { InvalidInputError, MigrationFailedError, MigrationTimedOutError } from '../errors.js';
import type { MigrationInput, MigrationStatus } from '../ports.js';
import { assertStatus, defineStep, ensureStatus, refOf, ReleaseContextSchema, serviceOf, statuses, type ReleaseContext, type StepDeps } from './step.js';

/** `$.migration`: where the task is, and when it must have finished. */
export type MigrationProgress = MigrationStatus & { readonly deadline: string };

function migrationOf(deps: Pick<StepDeps, 'config'>, release: ReleaseContext) {
  const service = serviceOf(deps, release);
  const migration = service.migration;
  if (migration === undefined) {
    throw new InvalidInputError('migration', 'migration', `${release.service}/${release.environment} has no migration configured`);
  }
  return { ...migration, timeoutSeconds: migrationTimeoutSeconds(service) };
}

function migrationInput(deps: Pick<StepDeps, 'config'>, release: ReleaseContext): MigrationInput {
  return { service: release.service, releaseId: release.releaseId, version: release.version, target: migrationOf(deps, release) };
}

/**
 * Stops the release's migration task, if it still runs (a stopped or gone task
 * stays as it is): a release that rolls back leaves no migration behind.
 */
export async function stopMigration(deps: Pick<StepDeps, 'config' | 'migrator'>, release: ReleaseContext, taskArn: string, reason: string): Promise<void> {
  await deps.migrator.stop(migrationInput(deps, release), taskArn, reason);
}

function deadlineFrom(deps: Pick<StepDeps, 'config' | 'now'>, release: ReleaseContext): string {
  return new Date(deps.now().getTime() + migrationOf(deps, release).timeoutSeconds * 1000).toISOString();
}

async function settle(deps: Pick<StepDeps, 'config' | 'migrator' | 'now'> & Pick<StepDeps, 'ledger'>, release: ReleaseContext, status: MigrationStatus): Promise<MigrationStatus> {
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
  needs: ['migrator'],
  input: z.object({ release: ReleaseContextSchema }),
  async run(deps, { release }): Promise<MigrationProgress> {
    // A retried start moves the deadline by the retry's delay at most: the retries are bounded too.
    const deadline = deadlineFrom(deps, release);
    await ensureStatus(deps, refOf(release), 'MIGRATING', statuses('PENDING'), 'flow');
    const status = await deps.migrator.start(migrationInput(deps, release));
    await deps.ledger.appendEvent({
      releaseId: release.releaseId,
      eventId: `migration-started:${status.taskArn}`,
      type: 'MIGRATION_STARTED',
      message: `migration task ${status.taskArn} started with ${release.version}`,
    });
    return { ...(await settle(deps, release, status)), deadline };
  },
});

export const checkMigration = defineStep({
  name: 'checkMigration',
  needs: ['migrator'],
  input: z.object({
    release: ReleaseContextSchema,
    // Optional for executions started before migrations had a deadline: they get one from their next check.
    migration: z.object({ taskArn: z.string(), deadline: z.iso.datetime().optional() }),
  }),
  async run(deps, { release, migration }): Promise<MigrationProgress> {
    await assertStatus(deps, refOf(release), statuses('MIGRATING'));
    const input = migrationInput(deps, release);
    const deadline = migration.deadline ?? deadlineFrom(deps, release);
    const status = await settle(deps, release, await deps.migrator.status(input, migration.taskArn));
    if (status.state === 'RUNNING' && deps.now().getTime() >= Date.parse(deadline)) {
      const after = migrationOf(deps, release).timeoutSeconds;
      await deps.migrator.stop(input, status.taskArn, `rollgate: migration of release ${release.releaseId} timed out after ${String(after)} s`);
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: `migration-timed-out:${status.taskArn}`,
        type: 'MIGRATION_TIMED_OUT',
        message: `migration task ${status.taskArn} still running at ${deadline}; stopped`,
      });
      throw new MigrationTimedOutError(status.taskArn, after, deadline);
    }
    return { ...status, deadline };
  },
});
