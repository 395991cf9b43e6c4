/**
 * The table layer's own logic, against DynamoDB Local: cursors that round-trip
 * and refuse what is not theirs, conditional writes refused as outcomes with
 * the item as it was, cancellation reasons item by item, the conflict retry,
 * and malformed items. (TransactionConflict itself, which DynamoDB Local never
 * raises, is in transaction-conflict.test.ts.)
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { CorruptRecordError, InvalidCursorError, LedgerConflictError } from '../../functions/errors.js';
import { LedgerTable, RETRY } from '../../functions/ledger/table-layer.js';
import { createLedgerTable } from '../../local/ledger-table.js';
import { documentClient, localClient } from './ledger-fixture.js';

const Row = z.object({ pk: z.string(), sk: z.string(), n: z.number() });

async function newTable(maxTransactionAttempts?: number): Promise<LedgerTable> {
  const tableName = `table-layer-${randomUUID()}`;
  await createLedgerTable(localClient, tableName);
  return new LedgerTable({ client: documentClient, tableName, ...(maxTransactionAttempts === undefined ? {} : { maxTransactionAttempts }) });
}

/** Writes `count` rows under one partition, sort keys ROW#00 .. ROW#<count-1>. */
async function writeRows(table: LedgerTable, pk: string, count: number): Promise<void> {
  const rows = Array.from({ length: count }, (_, n) => ({ Put: { Item: { pk, sk: `ROW#${String(n).padStart(2, '0')}`, n } } }));
  for (let i = 0; i < rows.length; i += 25) expect(await table.transact(rows.slice(i, i + 25))).toBeUndefined();
}

const rowsOf = (pk: string) => ({
  KeyConditionExpression: 'pk = :pk',
  ExpressionAttributeValues: { ':pk': pk },
  ConsistentRead: true,
});

describe('the table layer', () => {
  it('pages a query through cursors: every item exactly once, in order, and no cursor after the last page', async () => {
    const table = await newTable();
    await writeRows(table, 'P#a', 7);
    const isOwnKey = (key: Record<string, string | undefined>) => key.pk === 'P#a';
    const seen: number[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await table.queryPage(Row, rowsOf('P#a'), { limit: 3, cursor }, isOwnKey);
      seen.push(...page.items.map((row) => row.n));
      cursor = page.cursor;
      pages++;
    } while (cursor !== undefined);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(pages).toBe(3);
  });

  it("refuses a cursor its listing does not own, and one that is not a cursor, with InvalidCursorError", async () => {
    const table = await newTable();
    await writeRows(table, 'P#a', 4);
    const first = await table.queryPage(Row, rowsOf('P#a'), { limit: 2 }, () => true);
    expect(first.cursor).toBeDefined();
    const otherListing = table.queryPage(Row, rowsOf('P#a'), { limit: 2, cursor: first.cursor }, (key) => key.pk === 'P#b');
    await expect(otherListing).rejects.toThrow(InvalidCursorError);
    await expect(otherListing).rejects.toThrow('invalid cursor: it belongs to another listing or was altered');
    const garbage = table.queryPage(Row, rowsOf('P#a'), { limit: 2, cursor: 'not base64 json' }, () => true);
    await expect(garbage).rejects.toMatchObject({ name: 'InvalidCursorError', message: 'invalid cursor: not a cursor this ledger produced' });
  });

  it('follows every page of a query with queryAll', async () => {
    const table = await newTable();
    await writeRows(table, 'P#all', 30);
    const rows = await table.queryAll(Row, { ...rowsOf('P#all') });
    expect(rows.map((row) => row.n)).toEqual(Array.from({ length: 30 }, (_, n) => n));
  });

  it('returns a refused conditional update as an outcome carrying the item as it was', async () => {
    const table = await newTable();
    await writeRows(table, 'P#u', 1);
    const key = { pk: 'P#u', sk: 'ROW#00' };
    const refused = await table.update({
      Key: key,
      UpdateExpression: 'SET n = :n',
      ConditionExpression: 'n = :expected',
      ExpressionAttributeValues: { ':n': 5, ':expected': 1 },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    expect(refused).toEqual({ written: false, current: { pk: 'P#u', sk: 'ROW#00', n: 0 } });
    const written = await table.update({
      Key: key,
      UpdateExpression: 'SET n = :n',
      ConditionExpression: 'n = :expected',
      ExpressionAttributeValues: { ':n': 5, ':expected': 0 },
      ReturnValues: 'ALL_NEW',
    });
    expect(written).toEqual({ written: true, item: { pk: 'P#u', sk: 'ROW#00', n: 5 } });
    expect(await table.get(Row, key)).toEqual({ pk: 'P#u', sk: 'ROW#00', n: 5 });
  });

  it('returns a refused conditional delete of a missing item as an outcome without an item', async () => {
    const table = await newTable();
    const refused = await table.delete({ Key: { pk: 'P#d', sk: 'GONE' }, ConditionExpression: 'attribute_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' });
    expect(refused).toEqual({ written: false, current: undefined });
  });

  it('reports a cancelled transaction item by item, with the refused item as it was, and writes nothing', async () => {
    const table = await newTable();
    await writeRows(table, 'P#t', 1);
    const cancellation = await table.transact([
      { Put: { Item: { pk: 'P#t', sk: 'NEW', n: 1 } } },
      { ConditionCheck: { Key: { pk: 'P#t', sk: 'ROW#00' }, ConditionExpression: 'n = :one', ExpressionAttributeValues: { ':one': 1 }, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
    ]);
    expect(cancellation).toEqual({ codes: ['None', 'ConditionalCheckFailed'], items: [undefined, { pk: 'P#t', sk: 'ROW#00', n: 0 }] });
    expect(await table.get(Row, { pk: 'P#t', sk: 'NEW' })).toBeUndefined();
  });

  it('tries again while an attempt asks to, and returns what the first settled attempt returns', async () => {
    const table = await newTable();
    let attempts = 0;
    const result = await table.withConflictRetry('probe', () => Promise.resolve(++attempts < 3 ? RETRY : `settled on ${String(attempts)}`));
    expect(result).toBe('settled on 3');
    expect(attempts).toBe(3);
  });

  it('gives up with LedgerConflictError after maxTransactionAttempts attempts', async () => {
    const table = await newTable(3);
    let attempts = 0;
    const error = await table.withConflictRetry('probe', () => Promise.resolve((attempts++, RETRY))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerConflictError);
    expect(error).toMatchObject({ name: 'LedgerConflictError', message: 'probe: transaction conflicted 3 times; giving up' });
    expect(attempts).toBe(3);
  });

  it('refuses a malformed item with CorruptRecordError naming its key and the field', async () => {
    const table = await newTable();
    expect(await table.transact([{ Put: { Item: { pk: 'P#c', sk: 'BAD', n: 'seven' } } }])).toBeUndefined();
    const error = await table.get(Row, { pk: 'P#c', sk: 'BAD' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptRecordError);
    expect(error).toMatchObject({ name: 'CorruptRecordError', key: 'P#c / BAD', problem: expect.stringMatching(/^n: /) as unknown });
  });
});
