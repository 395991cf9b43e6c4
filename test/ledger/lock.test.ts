import { describe, expect, it } from 'vitest';
import {
  InvalidInputError,
  LockNotOwnedError,
  ReleaseInProgressError,
} from '../../functions/errors.js';
import { ManualClock, newLedger, startInput } from './ledger-fixture.js';

describe('starting a release takes the service+environment lock', () => {
  it('lets exactly one of 20 concurrent starts win; the other 19 name the winner', async () => {
    const { ledger } = await newLedger();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => ledger.startRelease(startInput({ version: `v${i + 2}` }))),
    );
    const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const losers = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    const winner = winners[0];
    for (const loser of losers) {
      expect(loser).toBeInstanceOf(ReleaseInProgressError);
      expect((loser as ReleaseInProgressError).name).toBe('ReleaseInProgressError');
      expect((loser as ReleaseInProgressError).activeReleaseId).toBe(winner?.releaseId);
      expect((loser as Error).message).toContain(winner?.releaseId);
    }
    const lock = await ledger.getLock(startInput());
    expect(lock?.releaseId).toBe(winner?.releaseId);
    // Only the winner's record exists: a refused start leaves nothing behind.
    const { items } = await ledger.listReleases({ service: 'checkout', environment: 'prod' });
    expect(items.map((r) => r.releaseId)).toEqual([winner?.releaseId]);
    expect(items[0]?.status).toBe('PENDING');
  });

  it('does not block releases of other services or other environments', async () => {
    const { ledger } = await newLedger();
    const started = await Promise.all([
      ledger.startRelease(startInput({ service: 'checkout', environment: 'prod' })),
      ledger.startRelease(startInput({ service: 'checkout', environment: 'staging' })),
      ledger.startRelease(startInput({ service: 'payments', environment: 'prod' })),
      ledger.startRelease(startInput({ service: 'search', environment: 'prod' })),
    ]);
    expect(new Set(started.map((r) => r.releaseId)).size).toBe(4);
    for (const release of started) {
      expect((await ledger.getLock(release))?.releaseId).toBe(release.releaseId);
    }
  });

  it('is idempotent for a retried start that passes the same release id', async () => {
    const { ledger } = await newLedger();
    const first = await ledger.startRelease(startInput());
    const retry = await ledger.startRelease(startInput({ releaseId: first.releaseId }));
    expect(retry).toEqual(first);
    const { items } = await ledger.listReleases({ service: 'checkout', environment: 'prod' });
    expect(items).toHaveLength(1);
    expect((await ledger.listEvents(first)).filter((e) => e.type === 'RELEASE_STARTED')).toHaveLength(1);
  });

  it('refuses a start with a bad field, naming it, and writes nothing', async () => {
    const { ledger } = await newLedger();
    const cases: [Parameters<typeof startInput>[0], string][] = [
      [{ service: 'check#out' }, 'service'],
      [{ environment: '' }, 'environment'],
      [{ version: '' }, 'version'],
      [{ trigger: { source: '' } }, 'trigger.source'],
      [{ releaseId: 'not-a-ulid' }, 'releaseId'],
      [{ leaseSeconds: 5 }, 'leaseSeconds'],
    ];
    for (const [override, field] of cases) {
      const error = await ledger.startRelease(startInput(override)).catch((e: unknown) => e);
      expect(error, field).toBeInstanceOf(InvalidInputError);
      expect((error as InvalidInputError).field).toBe(field);
      expect((error as Error).message).toMatch(new RegExp(`^startRelease: ${field.replace('.', '\\.')}: `));
    }
    expect(await ledger.getLock(startInput())).toBeUndefined();
    expect((await ledger.listRecentReleases()).items).toEqual([]);
  });
});

describe('releasing the lock', () => {
  it('refuses another release id and leaves the lock with its holder', async () => {
    const { ledger } = await newLedger();
    const holder = await ledger.startRelease(startInput());
    const other = { service: 'checkout', environment: 'prod', releaseId: '01JAAAAAAAAAAAAAAAAAAAAAAA' };
    const error = await ledger.releaseLock(other).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockNotOwnedError);
    expect((error as LockNotOwnedError).holderReleaseId).toBe(holder.releaseId);
    expect((await ledger.getLock(holder))?.releaseId).toBe(holder.releaseId);
  });

  it('lets the holder release it, after which a new release can start', async () => {
    const { ledger } = await newLedger();
    const first = await ledger.startRelease(startInput());
    await ledger.releaseLock(first);
    expect(await ledger.getLock(first)).toBeUndefined();
    await ledger.releaseLock(first); // a retried release is harmless
    const second = await ledger.startRelease(startInput({ version: 'v3' }));
    expect((await ledger.getLock(second))?.releaseId).toBe(second.releaseId);
  });

  it('renews the lease for the holder only', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    const holder = await ledger.startRelease(startInput({ leaseSeconds: 600 }));
    clock.advance(300_000);
    const renewed = await ledger.renewLease({ ...holder, leaseSeconds: 600 });
    expect(renewed.leaseExpiresAt).toBe(new Date(clock.now().getTime() + 600_000).toISOString());
    const error = await ledger
      .renewLease({ ...holder, releaseId: '01JAAAAAAAAAAAAAAAAAAAAAAA', leaseSeconds: 600 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockNotOwnedError);
    expect((await ledger.getLock(holder))?.leaseExpiresAt).toBe(renewed.leaseExpiresAt);
  });
});

describe('lease takeover', () => {
  it('refuses to take over a live lease, even when asked to', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    const holder = await ledger.startRelease(startInput({ leaseSeconds: 600 }));
    clock.advance(599_000);
    const error = await ledger
      .startRelease(startInput({ version: 'v3', takeover: { actor: 'ops-oncall', reason: 'stuck' } }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReleaseInProgressError);
    expect((error as ReleaseInProgressError).activeReleaseId).toBe(holder.releaseId);
    expect((error as Error).message).toContain('lease valid until');
    expect((await ledger.getLock(holder))?.releaseId).toBe(holder.releaseId);
  });

  it('does not take over an expired lease without an explicit takeover', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    const holder = await ledger.startRelease(startInput({ leaseSeconds: 600 }));
    clock.advance(601_000);
    const error = await ledger.startRelease(startInput({ version: 'v3' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReleaseInProgressError);
    expect((error as Error).message).toContain('start with a takeover');
    expect((await ledger.getLock(holder))?.releaseId).toBe(holder.releaseId);
  });

  it('takes over an expired lease explicitly and records who took it from whom', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    const dead = await ledger.startRelease(startInput({ leaseSeconds: 600 }));
    clock.advance(601_000);
    const next = await ledger.startRelease(
      startInput({ version: 'v3', takeover: { actor: 'ops-oncall', reason: 'execution died' } }),
    );
    const lock = await ledger.getLock(next);
    expect(lock?.releaseId).toBe(next.releaseId);
    expect(lock?.takenOverFrom).toEqual({
      releaseId: dead.releaseId,
      by: 'ops-oncall',
      reason: 'execution died',
      at: clock.now().toISOString(),
    });
    const newLog = await ledger.listEvents(next);
    expect(newLog.map((e) => e.type)).toEqual(['RELEASE_STARTED', 'LOCK_TAKEN_OVER']);
    expect(newLog[1]?.data).toMatchObject({ from: dead.releaseId });
    expect(newLog[1]?.actor).toBe('ops-oncall');
    const oldLog = await ledger.listEvents(dead);
    expect(oldLog.map((e) => e.type)).toEqual(['RELEASE_STARTED', 'LOCK_LOST']);
    expect(oldLog[1]?.data).toEqual({ to: next.releaseId });

    // The dead release can still be closed; the new holder keeps its lock.
    const closed = await ledger.finishRelease({
      ...dead,
      from: 'PENDING',
      status: 'FAILED',
      outcome: 'EXECUTION_DIED',
      reason: 'lock taken over',
    });
    expect(closed.status).toBe('FAILED');
    expect((await ledger.getLock(next))?.releaseId).toBe(next.releaseId);
  });

  it('lets only one of several concurrent takeovers win', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    await ledger.startRelease(startInput({ leaseSeconds: 600 }));
    clock.advance(601_000);
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) =>
        ledger.startRelease(startInput({ version: `v${i + 3}`, takeover: { actor: `op${i}`, reason: 'dead' } })),
      ),
    );
    const winners = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ReleaseInProgressError);
    }
    expect((await ledger.getLock(startInput()))?.releaseId).toBe(winners[0]?.releaseId);
  });
});
