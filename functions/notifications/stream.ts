/**
 * The notifier's work: the ledger table's stream records (NEW_AND_OLD_IMAGES)
 * in, release notifications out. Each record's images are parsed with the
 * ledger's schemas, mapped by the pure {@link notificationsFor}, and published
 * to every sink in order; the first record that could not be published is
 * reported as a batch item failure, so Lambda retries the stream from it
 * (records of one item arrive in order, so nothing after it is processed).
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { z } from 'zod';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { notificationsFor, type LedgerChange, type Notification } from '../domain/notifications.js';
import { CorruptRecordError } from '../errors.js';
import { ReleaseSchema } from '../domain/release.js';
import { StableSchema } from '../domain/stable.js';
import type { ReleaseEvents } from '../ports.js';

/** Where notifications go, in order: EventBridge first, so a Slack outage never holds back the events teams route on. */
export interface NotifyDeps {
  readonly sinks: readonly ReleaseEvents[];
  /** Told about a record that failed, before the stream retries it. */
  readonly onError?: (error: unknown, record: DynamoDBRecord) => void;
}

type StreamImage = Record<string, AttributeValue>;

function parsed<T>(schema: z.ZodType<T>, image: StreamImage | undefined, key: string): T | undefined {
  if (image === undefined) return undefined;
  const result = schema.safeParse(unmarshall(image));
  if (!result.success) throw new CorruptRecordError(key, result.error.message);
  return result.data;
}

/** The ledger change a stream record is, or undefined for an item notifications ignore (events, locks, approvals). */
export function ledgerChangeOf(record: DynamoDBRecord): LedgerChange | undefined {
  // aws-lambda's AttributeValue and the SDK's describe the same wire shape; unmarshall takes the SDK's.
  const keys = record.dynamodb?.Keys as StreamImage | undefined;
  const before = record.dynamodb?.OldImage as StreamImage | undefined;
  const after = record.dynamodb?.NewImage as StreamImage | undefined;
  const pk = keys?.pk?.S;
  const sk = keys?.sk?.S;
  if (pk === undefined || sk === undefined || !pk.startsWith('SVC#')) return undefined;
  const key = `${pk} ${sk}`;
  if (sk.startsWith('REL#')) return { item: 'release', before: parsed(ReleaseSchema, before, key), after: parsed(ReleaseSchema, after, key) };
  if (sk === 'STABLE') return { item: 'stable', before: parsed(StableSchema, before, key), after: parsed(StableSchema, after, key) };
  return undefined;
}

/** The notifications of one stream record. */
export function notificationsOfRecord(record: DynamoDBRecord): Notification[] {
  const change = ledgerChangeOf(record);
  return change === undefined ? [] : notificationsFor(change);
}

/** Publishes the notifications of every record in order; the first that fails is the batch item failure. */
export async function notify(deps: NotifyDeps, event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  for (const record of event.Records) {
    try {
      const notifications = notificationsOfRecord(record);
      if (notifications.length === 0) continue;
      for (const sink of deps.sinks) await sink.publish(notifications);
    } catch (error) {
      deps.onError?.(error, record);
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? record.eventID ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
