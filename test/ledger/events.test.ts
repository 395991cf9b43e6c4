import { describe, expect, it } from 'vitest';
import { newLedger, startInput } from './ledger-fixture.js';

describe('the audit log', () => {
  it('stores the same event id once, even when appended twice', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const event = { releaseId: release.releaseId, eventId: 'alarm:checkout-5xx:2026-03-01T12:00:00Z', type: 'ALARM_FIRED', message: 'checkout-5xx in ALARM' };
    const first = await ledger.appendEvent(event);
    const second = await ledger.appendEvent({ ...event, message: 'the same alarm event, delivered again' });
    expect(first.stored).toBe(true);
    expect(second.stored).toBe(false);
    expect(second.event).toEqual(first.event);
    const alarms = (await ledger.listEvents(release)).filter((e) => e.type === 'ALARM_FIRED');
    expect(alarms).toEqual([first.event]);
  });

  it('stores an event once when the same id is appended concurrently', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        ledger.appendEvent({ releaseId: release.releaseId, eventId: 'dup-1', type: 'NOTE', message: 'hello' }),
      ),
    );
    expect(results.filter((r) => r.stored)).toHaveLength(1);
    expect((await ledger.listEvents(release)).filter((e) => e.eventId === 'dup-1')).toHaveLength(1);
  });

  it('keeps events in the order they were appended, with distinct generated ids', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    for (const n of [1, 2, 3]) {
      await ledger.appendEvent({ releaseId: release.releaseId, type: 'NOTE', message: `note ${n}`, data: { n } });
    }
    const notes = (await ledger.listEvents(release)).filter((e) => e.type === 'NOTE');
    expect(notes.map((e) => e.data?.n)).toEqual([1, 2, 3]);
    expect(new Set(notes.map((e) => e.eventId)).size).toBe(3);
  });

  it('refuses an event type that is not UPPER_SNAKE_CASE, naming the field', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    await expect(ledger.appendEvent({ releaseId: release.releaseId, type: 'alarm fired' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'type',
    });
    expect(await ledger.listEvents(release)).toHaveLength(1);
  });
});
