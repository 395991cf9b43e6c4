import { describe, expect, it } from 'vitest';
import {
  ACTIVE_STATUSES,
  RELEASE_STATUSES,
  TERMINAL_STATUSES,
  isLegalTransition,
  type ActiveStatus,
  type ReleaseStatus,
  type TerminalStatus,
} from '../../functions/domain/status.js';
import {
  IllegalTransitionError,
  LockNotOwnedError,
  ReleaseNotActiveError,
  ReleaseNotFoundError,
  StaleStatusError,
  WaitTokenMismatchError,
} from '../../functions/errors.js';
import type { Ledger } from '../../functions/ports.js';
import type { Release } from '../../functions/domain/release.js';
import { newLedger, startInput } from './ledger-fixture.js';

/** The cause a transition to ROLLING_BACK must carry. */
const causeWith = (to: ReleaseStatus) => (to === 'ROLLING_BACK' ? { cause: 'error' as const } : {});

/** A legal path from PENDING to each active status. */
const PATH_TO: Record<ActiveStatus, ActiveStatus[]> = {
  PENDING: [],
  MIGRATING: ['MIGRATING'],
  DEPLOYING: ['MIGRATING', 'DEPLOYING'],
  VERIFYING: ['DEPLOYING', 'VERIFYING'],
  SHIFTING: ['DEPLOYING', 'SHIFTING'],
  AWAITING_APPROVAL: ['DEPLOYING', 'SHIFTING', 'AWAITING_APPROVAL'],
  FINALIZING: ['DEPLOYING', 'SHIFTING', 'FINALIZING'],
  ROLLING_BACK: ['DEPLOYING', 'SHIFTING', 'ROLLING_BACK'],
};

async function releaseIn(ledger: Ledger, status: ActiveStatus, service: string): Promise<Release> {
  let release = await ledger.startRelease(startInput({ service }));
  for (const to of PATH_TO[status]) {
    release = await ledger.transition({ ...release, from: release.status, to, ...causeWith(to) });
  }
  return release;
}

async function finishedRelease(ledger: Ledger, status: TerminalStatus, service: string): Promise<Release> {
  const from: ActiveStatus = status === 'SUCCEEDED' ? 'FINALIZING' : 'ROLLING_BACK';
  const release = await releaseIn(ledger, from, service);
  return ledger.finishRelease({ ...release, from, status, outcome: 'TEST', reason: 'test' });
}

describe('status transitions', () => {
  it('walks the happy path, recording each change in the audit log', async () => {
    const { ledger } = await newLedger();
    let release = await ledger.startRelease(startInput());
    const path: ReleaseStatus[] = ['MIGRATING', 'DEPLOYING', 'VERIFYING', 'SHIFTING', 'AWAITING_APPROVAL', 'SHIFTING', 'FINALIZING'];
    for (const to of path) {
      release = await ledger.transition({ ...release, from: release.status, to, actor: 'flow' });
      expect(release.status).toBe(to);
    }
    const done = await ledger.finishRelease({
      ...release,
      from: 'FINALIZING',
      status: 'SUCCEEDED',
      outcome: 'PROMOTED',
      reason: 'all steps baked clean',
    });
    expect(done).toMatchObject({ status: 'SUCCEEDED', outcome: 'PROMOTED', reason: 'all steps baked clean' });
    expect(done.finishedAt).toBeDefined();
    expect(await ledger.getLock(done)).toBeUndefined();

    const events = await ledger.listEvents(done);
    expect(events.map((e) => e.type)).toEqual([
      'RELEASE_STARTED',
      ...path.map(() => 'STATUS_CHANGED'),
      'RELEASE_FINISHED',
    ]);
    expect(events.filter((e) => e.type === 'STATUS_CHANGED').map((e) => e.data?.to)).toEqual(path);
  });

  it('refuses every illegal transition from every active status and leaves the record unchanged', async () => {
    const { ledger } = await newLedger();
    let refused = 0;
    for (const from of ACTIVE_STATUSES) {
      const release = await releaseIn(ledger, from, `svc-${from.toLowerCase().replace('_', '-')}`);
      const eventsBefore = await ledger.listEvents(release);
      for (const to of RELEASE_STATUSES) {
        // Terminal statuses are only reachable through finishRelease, which releases the lock.
        if (isLegalTransition(from, to) && !TERMINAL_STATUSES.includes(to as TerminalStatus)) continue;
        const error = await ledger.transition({ ...release, from, to, ...causeWith(to) }).catch((e: unknown) => e);
        expect(error, `${from} -> ${to}`).toBeInstanceOf(IllegalTransitionError);
        expect(error).toMatchObject({ name: 'IllegalTransitionError', from, to });
        refused++;
      }
      expect(await ledger.getRelease(release)).toEqual(release);
      expect(await ledger.listEvents(release)).toEqual(eventsBefore);
    }
    expect(refused).toBeGreaterThan(60);
  });

  it('refuses any transition out of every terminal status', async () => {
    const { ledger } = await newLedger();
    for (const terminal of TERMINAL_STATUSES) {
      const release = await finishedRelease(ledger, terminal, `svc-${terminal.toLowerCase().replace('_', '-')}`);
      for (const to of RELEASE_STATUSES) {
        const error = await ledger.transition({ ...release, from: terminal, to, ...causeWith(to) }).catch((e: unknown) => e);
        expect(error, `${terminal} -> ${to}`).toBeInstanceOf(IllegalTransitionError);
      }
      expect(await ledger.getRelease(release)).toEqual(release);
    }
  });

  it('refuses ROLLING_BACK without a typed cause, and a cause on any other transition, naming the field', async () => {
    const { ledger } = await newLedger();
    const release = await releaseIn(ledger, 'SHIFTING', 'checkout');
    await expect(ledger.transition({ ...release, from: 'SHIFTING', to: 'ROLLING_BACK', reason: 'aborted by dana' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      message: expect.stringContaining('cause') as unknown,
    });
    await expect(ledger.transition({ ...release, from: 'SHIFTING', to: 'AWAITING_APPROVAL', cause: 'alarm' })).rejects.toMatchObject({ name: 'InvalidInputError' });
    await expect(ledger.transition({ ...release, from: 'SHIFTING', to: 'ROLLING_BACK', cause: 'prefix' as never })).rejects.toMatchObject({ name: 'InvalidInputError' });
    expect((await ledger.getRelease(release))?.status).toBe('SHIFTING');
  });

  it('refuses a stale writer: of two writers expecting SHIFTING, exactly one lands', async () => {
    const { ledger } = await newLedger();
    const release = await releaseIn(ledger, 'SHIFTING', 'checkout');
    const results = await Promise.allSettled([
      ledger.transition({ ...release, from: 'SHIFTING', to: 'AWAITING_APPROVAL' }),
      ledger.transition({ ...release, from: 'SHIFTING', to: 'ROLLING_BACK', cause: 'alarm', reason: 'alarm' }),
    ]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(StaleStatusError);
    expect(lost[0]).toMatchObject({ expected: 'SHIFTING', actual: won[0]?.status });
    expect((await ledger.getRelease(release))?.status).toBe(won[0]?.status);
    const changes = (await ledger.listEvents(release)).filter((e) => e.data?.from === 'SHIFTING');
    expect(changes).toHaveLength(1);
  });

  it('refuses a writer whose expected status is out of date', async () => {
    const { ledger } = await newLedger();
    const release = await releaseIn(ledger, 'DEPLOYING', 'checkout');
    const error = await ledger.transition({ ...release, from: 'MIGRATING', to: 'DEPLOYING' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StaleStatusError);
    expect(error).toMatchObject({ expected: 'MIGRATING', actual: 'DEPLOYING' });
    expect(await ledger.getRelease(release)).toEqual(release);
  });

  it('names a release that does not exist', async () => {
    const { ledger } = await newLedger();
    const ghost = { service: 'checkout', environment: 'prod', releaseId: '01JAAAAAAAAAAAAAAAAAAAAAAA' };
    await expect(ledger.transition({ ...ghost, from: 'PENDING', to: 'DEPLOYING' })).rejects.toBeInstanceOf(
      ReleaseNotFoundError,
    );
  });
});

describe('finishing a release', () => {
  it('releases the lock, clears the wait, and refuses a second finish', async () => {
    const { ledger } = await newLedger();
    const release = await releaseIn(ledger, 'ROLLING_BACK', 'checkout');
    await ledger.recordWait({
      ...release,
      wait: { kind: 'BAKE', taskToken: 'token-1', stepIndex: 0, timeoutAt: '2026-03-01T12:05:00.000Z' },
    });
    const finished = await ledger.finishRelease({
      ...release,
      from: 'ROLLING_BACK',
      status: 'ROLLED_BACK',
      outcome: 'ALARM',
      reason: 'checkout-5xx in ALARM during step 2',
    });
    expect(finished).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM' });
    expect(finished.waiting).toBeUndefined();
    expect(await ledger.getLock(release)).toBeUndefined();
    const again = await ledger
      .finishRelease({ ...release, from: 'ROLLING_BACK', status: 'ROLLED_BACK', outcome: 'ALARM', reason: 'again' })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(StaleStatusError);
    expect(again).toMatchObject({ actual: 'ROLLED_BACK' });
  });

  it('refuses an illegal terminal status', async () => {
    const { ledger } = await newLedger();
    const release = await releaseIn(ledger, 'SHIFTING', 'checkout');
    const error = await ledger
      .finishRelease({ ...release, from: 'SHIFTING', status: 'SUCCEEDED', outcome: 'PROMOTED', reason: 'skip' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'IllegalTransitionError', from: 'SHIFTING', to: 'SUCCEEDED' });
    expect(await ledger.getRelease(release)).toEqual(release);
    expect((await ledger.getLock(release))?.releaseId).toBe(release.releaseId);
  });

  it('refuses to finish a release whose lock another release holds without a takeover', async () => {
    const { ledger } = await newLedger();
    const holder = await ledger.startRelease(startInput());
    const stray = { ...holder, releaseId: '01JAAAAAAAAAAAAAAAAAAAAAAA' };
    const error = await ledger
      .finishRelease({ ...stray, from: 'PENDING', status: 'FAILED', outcome: 'ERROR', reason: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockNotOwnedError);
    expect((await ledger.getLock(holder))?.releaseId).toBe(holder.releaseId);
  });
});

describe('progress and waits', () => {
  it('records step, weights and the waiting token, and clears only that token', async () => {
    const { ledger } = await newLedger();
    const release = await releaseIn(ledger, 'SHIFTING', 'checkout');
    const progressed = await ledger.recordProgress({
      ...release,
      step: { index: 1, name: 'canary 25%' },
      weights: { stable: 75, canary: 25 },
    });
    expect(progressed).toMatchObject({ currentStep: { index: 1, name: 'canary 25%' }, weights: { stable: 75, canary: 25 } });

    const waiting = await ledger.recordWait({
      ...release,
      wait: { kind: 'BAKE', taskToken: 'bake-token', stepIndex: 1, timeoutAt: '2026-03-01T12:10:00.000Z' },
    });
    expect(waiting.waiting).toMatchObject({ kind: 'BAKE', taskToken: 'bake-token', stepIndex: 1 });

    await expect(ledger.clearWait({ ...release, taskToken: 'another-token' })).rejects.toBeInstanceOf(
      WaitTokenMismatchError,
    );
    expect((await ledger.getRelease(release))?.waiting?.taskToken).toBe('bake-token');

    const cleared = await ledger.clearWait({ ...release, taskToken: 'bake-token' });
    expect(cleared.waiting).toBeUndefined();
    expect(cleared.weights).toEqual({ stable: 75, canary: 25 });
    // Clearing again (a retried step) changes nothing and does not fail.
    expect((await ledger.clearWait({ ...release, taskToken: 'bake-token' })).waiting).toBeUndefined();
  });

  it('records the new fleet and why the status last changed, for a rollback or the reconciler to read', async () => {
    const { ledger } = await newLedger();
    const release = await releaseIn(ledger, 'DEPLOYING', 'checkout');
    const fleet = { kind: 'auto-scaling-group' as const, id: 'search-prod-01J', targetGroup: 'tg-green' };
    expect((await ledger.recordFleet({ ...release, fleet })).newFleet).toEqual(fleet);
    const shifting = await ledger.transition({ ...release, from: 'DEPLOYING', to: 'SHIFTING' });
    expect(shifting.statusReason).toBeUndefined();
    const rolling = await ledger.transition({ ...release, from: 'SHIFTING', to: 'ROLLING_BACK', cause: 'alarm', reason: 'search-5xx in ALARM' });
    expect(rolling).toMatchObject({ status: 'ROLLING_BACK', rollbackCause: 'alarm', statusReason: 'search-5xx in ALARM', newFleet: fleet });
    const change = (await ledger.listEvents(release)).find((e) => e.data?.to === 'ROLLING_BACK');
    expect(change?.data).toEqual({ from: 'SHIFTING', to: 'ROLLING_BACK', cause: 'alarm' });
  });

  it('refuses weights that do not add up to 100, naming the field', async () => {
    const { ledger } = await newLedger();
    const release = await releaseIn(ledger, 'SHIFTING', 'checkout');
    const error = await ledger
      .recordProgress({ ...release, step: { index: 0, name: 'canary' }, weights: { stable: 80, canary: 25 } })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidInputError', field: 'weights' });
    expect(await ledger.getRelease(release)).toEqual(release);
  });

  it('refuses progress on a release that has ended', async () => {
    const { ledger } = await newLedger();
    const release = await finishedRelease(ledger, 'ROLLED_BACK', 'checkout');
    const error = await ledger
      .recordProgress({ ...release, step: { index: 0, name: 'canary' }, weights: { stable: 90, canary: 10 } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReleaseNotActiveError);
    expect(error).toMatchObject({ status: 'ROLLED_BACK' });
    expect(await ledger.getRelease(release)).toEqual(release);
  });
});
