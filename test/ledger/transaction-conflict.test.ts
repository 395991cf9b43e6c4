/**
 * DynamoDB Local never cancels a transaction with TransactionConflict, so the
 * ledger's handling of it is proven against a mocked client.
 */
import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LedgerConflictError, ReleaseInProgressError } from '../../functions/errors.js';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { DynamoDbLedger } from '../../functions/ledger/dynamodb-ledger.js';
import { localDynamoClient } from '../../local/ledger-table.js';
import { startInput } from './ledger-fixture.js';

const documentClient = ledgerDocumentClient(localDynamoClient('http://127.0.0.1:9'));
const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => ddb.reset());

function cancelled(...reasons: CancellationReason[]): TransactionCanceledException {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons,
  });
}

const ledger = new DynamoDbLedger({ client: documentClient, tableName: 'ledger' });

describe('transaction conflicts', () => {
  it('retries a start cancelled by TransactionConflict and succeeds', async () => {
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled({ Code: 'None' }, { Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }))
      .resolves({});
    const release = await ledger.startRelease(startInput());
    expect(release.status).toBe('PENDING');
    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(2);
    // The retry writes the same release under the same id, with the same start event id.
    // (The event's sort key starts with the attempt's time; its id is what makes it unique.)
    const written = calls.map((call) =>
      call.args[0].input.TransactItems?.map((item) => String(item.Put?.Item?.sk).replace(/^EVT#[^#]+#/, 'EVT#')),
    );
    expect(written[1]).toEqual(written[0]);
    expect(written[0]).toEqual([`REL#${release.releaseId}`, 'LOCK', expect.stringMatching(/^EID#/), expect.stringMatching(/^EVT#[0-9A-Z]{26}$/)]);
  });

  it('reports the winner when a conflict is followed by a lost lock race', async () => {
    const winner = { service: 'checkout', environment: 'prod', releaseId: '01JBBBBBBBBBBBBBBBBBBBBBBB', acquiredAt: '2026-03-01T12:00:00.000Z', leaseExpiresAt: '2999-01-01T00:00:00.000Z' };
    ddb
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled({ Code: 'None' }, { Code: 'TransactionConflict' }))
      .rejectsOnce(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: marshall(winner) }));
    const error = await ledger.startRelease(startInput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReleaseInProgressError);
    expect((error as ReleaseInProgressError).activeReleaseId).toBe(winner.releaseId);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  it('gives up with LedgerConflictError after five conflicting attempts', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled({ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }));
    ddb.on(GetCommand).resolves({});
    const error = await ledger.appendEvent({ releaseId: '01JBBBBBBBBBBBBBBBBBBBBBBB', type: 'NOTE' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerConflictError);
    expect((error as Error).message).toBe('appendEvent: transaction conflicted 5 times; giving up');
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(5);
  });
});
