/**
 * A release's audit log: append-only, one item per event plus a marker per
 * event id, so the same event appended twice (a retried step) is stored once.
 * Stores that change a record append their event in the same transaction
 * (./items.ts `eventItems`); this store appends the rest and reads the log.
 */
import * as z from 'zod';
import { ReleaseIdSchema } from '../domain/fields.js';
import { ReleaseEventSchema, type ReleaseEvent } from '../domain/release-event.js';
import type { AuditLog } from '../ports.js';
import { parseInput } from '../validation.js';
import { AppendEventInputSchema, type AppendEventInput } from './inputs.js';
import { EVENT_SK_PREFIX, eventIdKey, eventItems, eventKey, eventsPartition, PK, SK } from './items.js';
import { RETRY, type LedgerTable } from './table-layer.js';

/** What the dedup marker of an event holds: when the event was stored, which is part of its key. */
const EventIdMarkerSchema = z.object({ at: z.string() });

/** The audit log on the ledger table. */
export class EventStore implements AuditLog {
  public constructor(private readonly table: LedgerTable) {}

  public async appendEvent(raw: AppendEventInput): Promise<{ stored: boolean; event: ReleaseEvent }> {
    const input = parseInput(AppendEventInputSchema, raw, 'appendEvent');
    const event: ReleaseEvent = {
      ...input,
      eventId: input.eventId ?? this.table.newId(),
      at: this.table.now().toISOString(),
    };
    return this.table.withConflictRetry('appendEvent', async () => {
      const cancellation = await this.table.transact(eventItems(event));
      if (cancellation === undefined) return { stored: true, event };
      if (cancellation.codes[0] === 'ConditionalCheckFailed') {
        const earlier = await this.table.get(EventIdMarkerSchema, eventIdKey(event.releaseId, event.eventId));
        const stored = earlier === undefined ? undefined : await this.table.get(ReleaseEventSchema, eventKey(event.releaseId, earlier.at, event.eventId));
        return { stored: false, event: stored ?? event };
      }
      return RETRY;
    });
  }

  public async listEvents(raw: { releaseId: string }): Promise<ReleaseEvent[]> {
    const releaseId = parseInput(ReleaseIdSchema, raw.releaseId, 'listEvents');
    return this.table.queryAll(ReleaseEventSchema, {
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :evt)',
      ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
      ExpressionAttributeValues: { ':pk': eventsPartition(releaseId), ':evt': EVENT_SK_PREFIX },
      ConsistentRead: true,
    });
  }
}
