/**
 * The reconciler, run on "Step Functions Execution Status Change" events
 * (FAILED/TIMED_OUT/ABORTED, best-effort delivery) and on a schedule: a
 * release the ledger still calls active whose execution is dead gets traffic
 * restored, its new fleet removed, its lock released and its record closed
 * with the reason. The event itself is only a prompt to look; every onboarded
 * service's lock is checked, so a lost event is caught by the next run.
 */
import * as z from 'zod';
import { isTerminalStatus } from '../domain/status.js';
import { verdictFor } from '../domain/verdict.js';
import type { Release } from '../domain/release.js';
import { rollBack, type RollbackDeps } from './rollback.js';
import { defineStep, refOf, trafficMoved, type StepDeps } from './step.js';

export type ReconcileOutcome =
  | { readonly releaseId: string; readonly action: 'alive' }
  | { readonly releaseId: string; readonly action: 'restored' | 'completed'; readonly reason: string };

async function reconcileRelease(deps: RollbackDeps & Pick<StepDeps, 'executions'>, release: Release): Promise<ReconcileOutcome> {
  const status = release.executionArn === undefined ? 'NOT_FOUND' : await deps.executions.status(release.executionArn);
  if (status === 'RUNNING' || status === 'PENDING_REDRIVE') return { releaseId: release.releaseId, action: 'alive' };
  const reason = `execution ${release.executionArn ?? '(none recorded)'} is ${status} while the release was ${release.status}`;

  const stable = await deps.ledger.getStable(release);
  if (release.status === 'FINALIZING' && stable?.releaseId === release.releaseId) {
    // Promotion had happened: the new version is stable, so the release is finished, not undone.
    await deps.ledger.finishRelease({
      ...refOf(release),
      from: 'FINALIZING',
      status: 'SUCCEEDED',
      outcome: 'PROMOTED',
      reason: `${reason}; promoted, the old fleet ${release.stableFleet?.id ?? ''} was not retired`,
      actor: 'reconciler',
    });
    return { releaseId: release.releaseId, action: 'completed', reason };
  }
  // A release already ROLLING_BACK keeps the cause recorded with it (an abort stays ABORTED); rollBack finishes it.
  const verdict =
    release.status === 'ROLLING_BACK' && release.rollbackCause !== undefined
      ? verdictFor(release.rollbackCause, `${release.statusReason ?? release.rollbackCause}; ${reason}`, trafficMoved(release))
      : verdictFor('reconciler', reason, trafficMoved(release));
  const done = await rollBack(deps, release, verdict, 'reconciler');
  return { releaseId: release.releaseId, action: 'restored', reason: done.status === 'ROLLBACK_FAILED' ? done.reason : reason };
}

export const reconcile = defineStep({
  name: 'reconcile',
  needs: ['executions', 'router', 'fleets'],
  // An EventBridge status-change event or a scheduled event: either way, look at everything.
  input: z.unknown(),
  async run(deps): Promise<ReconcileOutcome[]> {
    const outcomes: ReconcileOutcome[] = [];
    for (const service of deps.config.services) {
      const release = await deps.ledger.getActiveRelease(service);
      if (release === undefined || isTerminalStatus(release.status)) continue;
      outcomes.push(await reconcileRelease(deps, release));
    }
    return outcomes;
  },
});
