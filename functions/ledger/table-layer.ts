/**
 * The ledger's table layer: the few DynamoDB primitives every store is built
 * on — a consistent get, conditional update and delete, a query (one request,
 * every page, or one page behind an opaque cursor), and TransactWriteItems
 * retried while concurrent writes get in the way — plus the one parse that
 * turns a malformed item into a {@link CorruptRecordError}.
 *
 * The shape is Powertools for AWS Lambda's idempotency persistence layer
 * (packages/idempotency/src/persistence): `BasePersistenceLayer` keeps the
 * record logic over four primitives (`_getRecord`, `_putRecord`,
 * `_updateRecord`, `_deleteRecord`) that `DynamoDBPersistenceLayer`
 * implements on an injected SDK v3 client, reading the current item back with
 * `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` when a condition fails so
 * the caller's error can carry it.
 * https://github.com/aws-powertools/powertools-lambda-typescript/blob/main/packages/idempotency/src/persistence/DynamoDBPersistenceLayer.ts
 * Here a refused condition comes back as a value (the item as it was), and
 * each store turns it into its own named error from ../errors.ts: the layer
 * knows DynamoDB, the stores know what a refusal means. SDK failures are
 * translated once, in the client (./client.ts).
 */
import { ConditionalCheckFailedException, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type TransactWriteCommandInput,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { monotonicFactory } from 'ulid';
import * as z from 'zod';
import { CorruptRecordError, InvalidCursorError, LedgerConflictError } from '../errors.js';
import type { Page } from '../ports.js';
import { parseInput } from '../validation.js';
import { LEDGER_TABLE } from './table.js';

const PK = LEDGER_TABLE.partitionKey.name;
const SK = LEDGER_TABLE.sortKey.name;

/** Options of a {@link LedgerTable} (and of the ledger built on it). */
export interface LedgerTableOptions {
  /** A DocumentClient built once at module scope by the caller (see ./client.ts `ledgerDocumentClient`). */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * How often a transaction cancelled by a conflicting concurrent write is
   * tried in all before {@link LedgerConflictError}.
   * @default 5
   */
  readonly maxTransactionAttempts?: number;
}

/** An item key: the table's partition and sort key. */
export type ItemKey = Record<string, string>;

type SdkTransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type WithoutTable<T> = Omit<NonNullable<T>, 'TableName'>;

/** One write of a transaction; the layer names the table. */
export interface TransactItem {
  readonly Put?: WithoutTable<SdkTransactItem['Put']>;
  readonly Update?: WithoutTable<SdkTransactItem['Update']>;
  readonly Delete?: WithoutTable<SdkTransactItem['Delete']>;
  readonly ConditionCheck?: WithoutTable<SdkTransactItem['ConditionCheck']>;
}

/** A cancelled transaction: one reason per item, in order (the item as it was, where asked for). */
export interface Cancellation {
  readonly codes: readonly (string | undefined)[];
  readonly items: readonly (Record<string, unknown> | undefined)[];
}

/** A conditional write's outcome: written (with the item as written, if asked for), or refused (with the item as it was, if asked for and there is one). */
export type Conditional =
  | { readonly written: true; readonly item: Record<string, unknown> | undefined }
  | { readonly written: false; readonly current: Record<string, unknown> | undefined };

/** A refused conditional write, with the item as it was. */
export type Refused = Extract<Conditional, { written: false }>;

/** A query without what the layer sets itself. */
export type Query = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;

/** Returned by a transaction attempt to ask {@link LedgerTable.withConflictRetry} for another try. */
export const RETRY: unique symbol = Symbol('retry');

/** The ledger table's primitives. Construct once per container; it is stateless. */
export class LedgerTable {
  public readonly name: string;
  public readonly now: () => Date;
  private readonly client: DynamoDBDocumentClient;
  private readonly maxTransactionAttempts: number;
  private readonly ulid = monotonicFactory();

  public constructor(options: LedgerTableOptions) {
    this.client = options.client;
    this.name = parseInput(z.string().min(3).max(255), options.tableName, 'Ledger');
    this.now = options.now ?? (() => new Date());
    this.maxTransactionAttempts = options.maxTransactionAttempts ?? 5;
  }

  /** A new ULID at the ledger's clock: monotonic within this container, so ids made in one call sort in order. */
  public newId(): string {
    return this.ulid(this.now().getTime());
  }

  /** One item by key (strongly consistent), parsed with `schema`, or `undefined`. */
  public async get<S extends z.ZodType>(schema: S, key: ItemKey): Promise<z.output<S> | undefined> {
    const out = await this.client.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }));
    return out.Item === undefined ? undefined : this.parse(schema, out.Item);
  }

  /** A conditional update; a refused condition is an outcome, not an error (ask for `ReturnValuesOnConditionCheckFailure` to see the item). */
  public async update(input: Omit<UpdateCommandInput, 'TableName'>): Promise<Conditional> {
    try {
      const out = await this.client.send(new UpdateCommand({ ...input, TableName: this.name }));
      return { written: true, item: out.Attributes };
    } catch (error) {
      return refused(error);
    }
  }

  /** A (conditional) delete; a refused condition is an outcome, not an error. */
  public async delete(input: Omit<DeleteCommandInput, 'TableName'>): Promise<Conditional> {
    try {
      await this.client.send(new DeleteCommand({ ...input, TableName: this.name }));
      return { written: true, item: undefined };
    } catch (error) {
      return refused(error);
    }
  }

  /** One query request (up to its `Limit`), parsed with `schema`. */
  public async query<S extends z.ZodType>(schema: S, query: Query): Promise<z.output<S>[]> {
    const out = await this.client.send(new QueryCommand({ ...query, TableName: this.name }));
    return (out.Items ?? []).map((item) => this.parse(schema, item));
  }

  /** Every item a query matches, following DynamoDB's pages to the end. */
  public async queryAll<S extends z.ZodType>(schema: S, query: Omit<Query, 'Limit'>): Promise<z.output<S>[]> {
    const items: z.output<S>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(new QueryCommand({ ...query, TableName: this.name, ExclusiveStartKey: startKey }));
      for (const item of out.Items ?? []) items.push(this.parse(schema, item));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  /**
   * One page of a listing. The cursor is DynamoDB's LastEvaluatedKey, opaque
   * to callers but checked on the way back in: `isOwnKey` says whether a key
   * belongs to this listing, so a cursor from another listing, or altered, is
   * refused with {@link InvalidCursorError} instead of reading elsewhere.
   */
  public async queryPage<S extends z.ZodType>(
    schema: S,
    query: Omit<Query, 'Limit'>,
    page: { readonly limit: number; readonly cursor?: string | undefined },
    isOwnKey: (key: Record<string, string | undefined>) => boolean,
  ): Promise<Page<z.output<S>>> {
    const startKey = page.cursor === undefined ? undefined : decodeCursor(page.cursor, isOwnKey);
    const out = await this.client.send(
      new QueryCommand({ ...query, TableName: this.name, Limit: page.limit, ExclusiveStartKey: startKey }),
    );
    return {
      items: (out.Items ?? []).map((item) => this.parse(schema, item)),
      cursor: out.LastEvaluatedKey !== undefined && (await this.hasMore(query, out.LastEvaluatedKey)) ? encodeCursor(out.LastEvaluatedKey) : undefined,
    };
  }

  /**
   * Whether anything follows `key`. DynamoDB returns a LastEvaluatedKey
   * whenever a query stops at its Limit, also when nothing follows (a listing
   * of exactly `limit` items): a cursor then would lead to an empty page, so
   * a full page costs one more request of one item to tell.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html
   */
  private async hasMore(query: Omit<Query, 'Limit'>, key: Record<string, unknown>): Promise<boolean> {
    const next = await this.client.send(new QueryCommand({ ...query, TableName: this.name, Limit: 1, ExclusiveStartKey: key, Select: 'COUNT' }));
    return (next.Count ?? 0) > 0;
  }

  /** Runs a transaction; returns `undefined` on success or the cancellation reasons, item by item. */
  public async transact(items: readonly TransactItem[]): Promise<Cancellation | undefined> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items.map((item) => this.withTable(item)) }));
      return undefined;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      return {
        codes: items.map((_, i) => reasons[i]?.Code),
        items: items.map((_, i) => {
          const item = reasons[i]?.Item;
          return item === undefined ? undefined : unmarshallItem(item);
        }),
      };
    }
  }

  /**
   * Runs `attempt` until it returns something other than {@link RETRY}, with
   * jittered exponential backoff. `RETRY` means "a concurrent write got in the
   * way (TransactionConflict, or state changed between read and write): look
   * again". DynamoDB cancels a transaction with TransactionConflict when another
   * transaction or write touches one of its items at the same time.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling
   *
   * @throws LedgerConflictError after `maxTransactionAttempts` attempts
   */
  public async withConflictRetry<T>(operation: string, attempt: () => Promise<T | typeof RETRY>): Promise<T> {
    for (let n = 1; n <= this.maxTransactionAttempts; n++) {
      const result = await attempt();
      if (result !== RETRY) return result;
      if (n < this.maxTransactionAttempts) await sleep(Math.random() * 25 * 2 ** n);
    }
    throw new LedgerConflictError(operation, this.maxTransactionAttempts);
  }

  /**
   * An item read back, checked against what it should be.
   *
   * @throws CorruptRecordError naming the item and the first field that is wrong
   */
  public parse<S extends z.ZodType>(schema: S, item: unknown): z.output<S> {
    const result = schema.safeParse(item);
    if (result.success) return result.data;
    const record = (item ?? {}) as Record<string, unknown>;
    const issue = result.error.issues[0];
    throw new CorruptRecordError(
      `${String(record[PK])} / ${String(record[SK])}`,
      `${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }

  private withTable(item: TransactItem): SdkTransactItem {
    const TableName = this.name;
    if (item.Put !== undefined) return { Put: { ...item.Put, TableName } };
    if (item.Update !== undefined) return { Update: { ...item.Update, TableName } };
    if (item.Delete !== undefined) return { Delete: { ...item.Delete, TableName } };
    if (item.ConditionCheck !== undefined) return { ConditionCheck: { ...item.ConditionCheck, TableName } };
    throw new TypeError('a transaction item needs one of Put, Update, Delete or ConditionCheck');
  }
}

/** A refused condition as an outcome; every other error passes on. */
function refused(error: unknown): Conditional {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  // The DocumentClient does not unmarshall the item of a failed condition.
  return { written: false, current: error.Item === undefined ? undefined : unmarshallItem(error.Item) };
}

function unmarshallItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return unmarshall(item);
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Cursors are opaque to callers but checked here: a cursor from another listing is refused. */
function decodeCursor(cursor: string, isOwnKey: (key: Record<string, string | undefined>) => boolean): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor this ledger produced');
  }
  const parsed = z.record(z.string(), z.string()).safeParse(key);
  if (!parsed.success || !isOwnKey(parsed.data)) {
    throw new InvalidCursorError('it belongs to another listing or was altered');
  }
  return parsed.data;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
