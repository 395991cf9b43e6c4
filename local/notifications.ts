/**
 * Release notifications on the local runtime: what Lambda's DynamoDB event
 * source does on AWS, done against DynamoDB Local. A poller reads the ledger
 * table's stream (the DynamoDB Streams API, which DynamoDB Local serves on
 * its own endpoint), hands each batch to the same
 * functions/notifications/stream.ts `notify` the Notifier function runs, and
 * honours its batch item failures the way the event source mapping does:
 * the failed record is read again, up to {@link MAX_RETRIES} more times
 * (infra's `retryAttempts`), then skipped and reported.
 *
 * The project carries no DynamoDB Streams client, so the four calls are made
 * by hand: JSON 1.0 POSTs with `X-Amz-Target: DynamoDBStreams_20120810.<Op>`,
 * signed with SigV4 and fake credentials. They only ever go to DynamoDB Local.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Operations_Amazon_DynamoDB_Streams.html
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { DynamoDBRecord } from 'aws-lambda';
import * as z from 'zod';
import { EventBridgeReleaseEvents, type PutEvents, type PutEventsResult } from '../functions/adapters/aws/eventbridge.js';
import { NOTIFICATION_TYPES, type NotificationDetail, type NotificationType } from '../functions/domain/notifications.js';
import { NodeSha256 } from '../functions/control/sha256.js';
import { RollgateError } from '../functions/errors.js';
import { notify, type NotifyDeps } from '../functions/notifications/stream.js';
import type { ReleaseEvents } from '../functions/ports.js';

/** Lambda's event source retries a failed record this many times before it gives up on it (infra: `retryAttempts`). */
export const MAX_RETRIES = 5;

/** At most this many records per GetRecords call, as the Notifier's batch (infra: `batchSize`). */
const BATCH_SIZE = 10;

/** A DynamoDB Streams call DynamoDB Local refused. */
export class LocalStreamError extends RollgateError {
  public constructor(
    public readonly operation: string,
    public readonly status: number,
    public readonly type: string,
    message: string,
  ) {
    super(`DynamoDB Streams ${operation} failed (${String(status)} ${type}): ${message}`);
  }
}

/** A stream record whose notifications failed on every retry: skipped, as Lambda's event source skips it (to the on-failure queue on AWS). */
export class NotificationsGivenUpError extends RollgateError {
  public constructor(
    public readonly sequenceNumber: string,
    public readonly attempts: number,
  ) {
    super(`the release notifications of stream record ${sequenceNumber} were given up after ${String(attempts)} attempts`);
  }
}

const ErrorBody = z.object({ __type: z.string().optional(), message: z.string().optional(), Message: z.string().optional() });

const ShardSchema = z.object({
  ShardId: z.string(),
  ParentShardId: z.string().optional(),
  SequenceNumberRange: z.object({ StartingSequenceNumber: z.string().optional(), EndingSequenceNumber: z.string().optional() }).optional(),
});
const DescribeStreamOutput = z.object({
  StreamDescription: z.object({ Shards: z.array(ShardSchema), LastEvaluatedShardId: z.string().optional() }),
});
const GetShardIteratorOutput = z.object({ ShardIterator: z.string() });
/** An image as the stream carries it: attribute name → AttributeValue (checked by unmarshall and the ledger schemas downstream). */
const Image = z.record(z.string(), z.record(z.string(), z.unknown()));
const StreamRecordSchema = z.object({
  eventID: z.string(),
  eventName: z.enum(['INSERT', 'MODIFY', 'REMOVE']),
  dynamodb: z.object({
    SequenceNumber: z.string(),
    Keys: Image,
    NewImage: Image.optional(),
    OldImage: Image.optional(),
  }),
});
const GetRecordsOutput = z.object({ Records: z.array(StreamRecordSchema), NextShardIterator: z.string().optional() });

type IteratorType = 'TRIM_HORIZON' | 'LATEST' | 'AT_SEQUENCE_NUMBER' | 'AFTER_SEQUENCE_NUMBER';

/** The DynamoDB Streams calls the poller makes, against DynamoDB Local. */
export class LocalStreamsApi {
  private readonly signer = new SignatureV4({
    service: 'dynamodb',
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    sha256: NodeSha256,
  });
  private readonly url: URL;

  public constructor(endpoint: string) {
    this.url = new URL(endpoint);
  }

  /** Every shard of the stream, oldest first (DescribeStream pages through them). */
  public async shards(streamArn: string): Promise<z.infer<typeof ShardSchema>[]> {
    const shards: z.infer<typeof ShardSchema>[] = [];
    let start: string | undefined;
    do {
      const out = DescribeStreamOutput.parse(await this.call('DescribeStream', { StreamArn: streamArn, ...(start === undefined ? {} : { ExclusiveStartShardId: start }) }));
      shards.push(...out.StreamDescription.Shards);
      start = out.StreamDescription.LastEvaluatedShardId;
    } while (start !== undefined);
    return shards;
  }

  public async shardIterator(streamArn: string, shardId: string, type: IteratorType, sequenceNumber?: string): Promise<string> {
    const out = GetShardIteratorOutput.parse(
      await this.call('GetShardIterator', { StreamArn: streamArn, ShardId: shardId, ShardIteratorType: type, ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }) }),
    );
    return out.ShardIterator;
  }

  /** Up to `limit` records from `iterator`, and where to read next (none once a closed shard is drained). */
  public async records(iterator: string, limit: number): Promise<{ records: DynamoDBRecord[]; next: string | undefined }> {
    const out = GetRecordsOutput.parse(await this.call('GetRecords', { ShardIterator: iterator, Limit: limit }));
    // The wire shape of Lambda's DynamoDB stream records; the images are read by stream.ts with the ledger's schemas.
    return { records: out.Records as DynamoDBRecord[], next: out.NextShardIterator };
  }

  private async call(operation: string, input: object): Promise<unknown> {
    const body = JSON.stringify(input);
    const request = await this.signer.sign({
      method: 'POST',
      protocol: this.url.protocol,
      hostname: this.url.hostname,
      ...(this.url.port === '' ? {} : { port: Number(this.url.port) }),
      path: '/',
      headers: {
        host: this.url.host,
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `DynamoDBStreams_20120810.${operation}`,
      },
      body,
    });
    const response = await fetch(new URL('/', this.url), { method: 'POST', headers: request.headers, body });
    const text = await response.text();
    const json: unknown = text === '' ? {} : JSON.parse(text);
    if (!response.ok) {
      const error = ErrorBody.safeParse(json);
      const type = error.success ? (error.data.__type?.split('#').pop() ?? 'UnknownError') : 'UnknownError';
      throw new LocalStreamError(operation, response.status, type, error.success ? (error.data.message ?? error.data.Message ?? text) : text);
    }
    return json;
  }
}

/** One rollgate event as EventBridge would carry it, read back from the PutEvents entry the adapter built. */
export interface LocalReleaseEvent {
  readonly source: string;
  readonly detailType: NotificationType;
  readonly detail: NotificationDetail;
  readonly time: Date;
}

/**
 * The local event bus: the PutEvents the EventBridge adapter sends through,
 * keeping every event in memory ({@link events}), so the local runtime
 * publishes exactly the entries the Notifier function puts on AWS.
 */
export class LocalReleaseEventBus {
  public readonly events: LocalReleaseEvent[] = [];
  private readonly listeners: ((event: LocalReleaseEvent) => void)[] = [];

  /** The PutEvents function to hand to {@link EventBridgeReleaseEvents}. */
  public readonly putEvents: PutEvents = (input) => {
    for (const entry of input.Entries) {
      const detailType = NOTIFICATION_TYPES.find((t) => t === entry.DetailType);
      if (detailType === undefined) throw new RollgateError(`not a rollgate detail type: ${entry.DetailType}`);
      const event: LocalReleaseEvent = { source: entry.Source, detailType, detail: JSON.parse(entry.Detail) as NotificationDetail, time: entry.Time };
      this.events.push(event);
      for (const listener of this.listeners) listener(event);
    }
    const result: PutEventsResult = { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `local-${String(this.events.length - input.Entries.length + i)}` })) };
    return Promise.resolve(result);
  };

  /** Calls `listener` with each event published from now on. */
  public onEvent(listener: (event: LocalReleaseEvent) => void): void {
    this.listeners.push(listener);
  }

  /** The sink that publishes here, through the EventBridge adapter. */
  public sink(): ReleaseEvents {
    return new EventBridgeReleaseEvents(this.putEvents);
  }
}

export interface StreamNotifierOptions {
  readonly api: LocalStreamsApi;
  readonly streamArn: string;
  /** Where reading starts: the whole stream for a table created now, only new changes for one kept from an earlier run (its changes were notified then). */
  readonly from: 'TRIM_HORIZON' | 'LATEST';
  readonly sinks: NotifyDeps['sinks'];
  /** Told about a record that failed (it is retried) or was given up on, and about a stream read that failed (it is tried again). */
  readonly onError: (error: unknown) => void;
  /** @default 50 */
  readonly pollIntervalMs?: number;
}

/** Where a shard is read from next, and how often its current first record failed. */
interface ShardCursor {
  iterator: string | undefined;
  /** The last record delivered (or given up on): a lost iterator is fetched again after it. */
  checkpoint: string | undefined;
  /** A record that failed: read again from it. */
  retryAt: string | undefined;
  attempts: number;
  /** Reads of the shard that failed in a row (an expired or trimmed iterator, DynamoDB Local busy). */
  readFailures: number;
  closed: boolean;
}

/**
 * Polls the ledger's stream and notifies, until {@link close}. Shards are
 * read parent before child, as Lambda does, so the changes of one item are
 * notified in order.
 */
export class LocalStreamNotifier {
  private readonly cursors = new Map<string, ShardCursor>();
  private readonly parents = new Map<string, string | undefined>();
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();
  private roundsStarted = 0;
  private readonly idleWaiters: { since: number; resolve: () => void }[] = [];

  public constructor(private readonly options: StreamNotifierOptions) {}

  /**
   * Takes the starting positions, then starts polling: once this resolves,
   * every later change is notified (from `LATEST`, a change made while the
   * position was still being taken would be missed).
   */
  public async start(): Promise<void> {
    await this.discover();
    this.schedule(0);
  }

  /** Stops polling; resolves once the poll under way (if any) has finished. */
  public async close(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.polling;
    for (const waiter of this.idleWaiters.splice(0)) waiter.resolve();
  }

  /**
   * Resolves after a round that began after this call read no record and
   * left none to retry: every change written before the call was notified
   * (or given up on). Resolves at once after {@link close}.
   */
  public idle(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push({ since: this.roundsStarted, resolve }));
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().then(
        () => { this.schedule(this.options.pollIntervalMs ?? 50); },
        (error: unknown) => {
          this.options.onError(error);
          this.schedule(this.options.pollIntervalMs ?? 50);
        },
      );
    }, ms);
  }

  /** One round: find new shards, then read each open shard whose parent is done. */
  private async poll(): Promise<void> {
    this.roundsStarted += 1;
    const round = this.roundsStarted;
    let read = 0;
    if ([...this.cursors.values()].every((c) => c.closed)) await this.discover();
    for (const [shardId, cursor] of this.cursors) {
      if (this.stopped) return;
      if (cursor.closed) continue;
      const parent = this.parents.get(shardId);
      if (parent !== undefined && this.cursors.get(parent)?.closed === false) continue;
      read += await this.read(shardId, cursor);
    }
    if (read > 0 || [...this.cursors.values()].some((c) => c.retryAt !== undefined || c.readFailures > 0)) return;
    for (const waiter of this.idleWaiters.filter((w) => w.since < round)) {
      this.idleWaiters.splice(this.idleWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  private async discover(): Promise<void> {
    const first = this.cursors.size === 0;
    for (const shard of await this.options.api.shards(this.options.streamArn)) {
      if (this.cursors.has(shard.ShardId)) continue;
      this.parents.set(shard.ShardId, shard.ParentShardId);
      const cursor: ShardCursor = { iterator: undefined, checkpoint: undefined, retryAt: undefined, attempts: 0, readFailures: 0, closed: false };
      this.cursors.set(shard.ShardId, cursor);
      // Only the shards there at the start begin at `from`: a shard found later holds changes made since, all new.
      if (!first || this.options.from === 'TRIM_HORIZON') continue;
      // A shard already closed holds only old changes; the open one is read from its end.
      if (shard.SequenceNumberRange?.EndingSequenceNumber !== undefined) cursor.closed = true;
      else cursor.iterator = await this.options.api.shardIterator(this.options.streamArn, shard.ShardId, 'LATEST');
    }
  }

  private async iteratorOf(shardId: string, cursor: ShardCursor): Promise<string> {
    const { api, streamArn } = this.options;
    if (cursor.retryAt !== undefined) return api.shardIterator(streamArn, shardId, 'AT_SEQUENCE_NUMBER', cursor.retryAt);
    if (cursor.iterator !== undefined) return cursor.iterator;
    if (cursor.checkpoint !== undefined) return api.shardIterator(streamArn, shardId, 'AFTER_SEQUENCE_NUMBER', cursor.checkpoint);
    return api.shardIterator(streamArn, shardId, 'TRIM_HORIZON');
  }

  /** Reads and notifies one batch of the shard; returns how many records it read. */
  private async read(shardId: string, cursor: ShardCursor): Promise<number> {
    let records: DynamoDBRecord[];
    let next: string | undefined;
    try {
      ({ records, next } = await this.options.api.records(await this.iteratorOf(shardId, cursor), BATCH_SIZE));
    } catch (error) {
      // An expired or trimmed iterator: fetched again from the checkpoint next round. As Lambda's
      // event source mapping, a read that fails now and then is retried quietly; one that keeps
      // failing is reported.
      cursor.iterator = undefined;
      cursor.readFailures += 1;
      if (cursor.readFailures < MAX_RETRIES) return 0;
      cursor.readFailures = 0;
      throw error;
    }
    cursor.readFailures = 0;
    cursor.retryAt = undefined;
    if (records.length > 0) {
      const out = await notify({ sinks: this.options.sinks, onError: (error) => { this.options.onError(error); } }, { Records: records });
      const failed = out.batchItemFailures[0]?.itemIdentifier;
      if (failed !== undefined) {
        const index = records.findIndex((r) => r.dynamodb?.SequenceNumber === failed);
        const delivered = records[index - 1]?.dynamodb?.SequenceNumber;
        if (delivered !== undefined) {
          cursor.checkpoint = delivered;
          cursor.attempts = 0;
        }
        cursor.attempts += 1;
        if (cursor.attempts <= MAX_RETRIES) {
          cursor.retryAt = failed;
          cursor.iterator = undefined;
          return records.length;
        }
        // Lambda's event source gives up on the record after its retries (to the on-failure destination on AWS) and moves on.
        this.options.onError(new NotificationsGivenUpError(failed, cursor.attempts));
        cursor.checkpoint = failed;
        cursor.attempts = 0;
        cursor.iterator = undefined;
        return records.length;
      }
      cursor.checkpoint = records[records.length - 1]?.dynamodb?.SequenceNumber;
      cursor.attempts = 0;
    }
    cursor.iterator = next;
    if (next === undefined) cursor.closed = true;
    return records.length;
  }
}
