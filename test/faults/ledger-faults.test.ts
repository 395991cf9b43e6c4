/**
 * The ledger is a dependency that fails too: through a fault-injecting proxy in
 * front of DynamoDB Local, every way DynamoDB fails for a while (throttling,
 * 5xx, a reset, refused or hung connection) reaches the caller as
 * LedgerUnavailableError, the error the state machine retries, while the
 * ledger's own conditional-write answers stay exactly what they were.
 */
import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CloudProviderUnavailableError, LedgerUnavailableError, ReleaseInProgressError, StaleStatusError } from '../../functions/errors.js';
import { ledgerClientConfig, ledgerDocumentClient, ledgerError } from '../../functions/ledger/client.js';
import { DynamoDbLedger } from '../../functions/ledger/dynamodb-ledger.js';
import type { Ledger } from '../../functions/ports.js';
import { createLedgerTable, localDynamoClient } from '../../local/ledger-table.js';
import { FaultyDynamoDb, type DynamoDbFault } from '../../local/sim/faulty-dynamodb.js';
import { startInput } from '../ledger/ledger-fixture.js';

const LOCAL: DynamoDBClientConfig = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

let proxy: FaultyDynamoDb;
const tableName = `ledger-faults-${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  const endpoint = inject('dynamodbEndpoint');
  await createLedgerTable(localDynamoClient(endpoint), tableName);
  proxy = await FaultyDynamoDb.start(endpoint);
});
afterAll(async () => {
  await proxy.stop();
});

/** A ledger through the proxy whose client tries each call `maxAttempts` times. */
function ledgerThroughProxy(config: DynamoDBClientConfig = { maxAttempts: 1 }): Ledger {
  return new DynamoDbLedger({ client: ledgerDocumentClient(new DynamoDBClient({ ...LOCAL, ...config, endpoint: proxy.endpoint })), tableName });
}

describe('a ledger outage is LedgerUnavailableError, naming DynamoDB', () => {
  it.each<[DynamoDbFault, string]>([
    ['provisioned-throughput', 'ProvisionedThroughputExceededException'],
    ['throttling', 'ThrottlingException'],
    ['request-limit', 'RequestLimitExceeded'],
    ['internal-server-error', 'InternalServerError'],
    ['service-unavailable', 'ServiceUnavailableException'],
    ['reset', 'ECONNRESET'],
  ])('%s once the client has no attempts left -> LedgerUnavailableError %s', async (fault, code) => {
    const ledger = ledgerThroughProxy();
    proxy.failNext(1, [fault]);
    const error = await ledger.getRelease({ service: 'checkout', environment: 'prod', releaseId: '01JZZZZZZZZZZZZZZZZZZZZZZZ' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerUnavailableError);
    expect(error).toBeInstanceOf(CloudProviderUnavailableError);
    expect(error).toMatchObject({ name: 'LedgerUnavailableError', service: 'dynamodb', operation: 'GetItem', code });
    expect((error as Error).message).toMatch(/^the ledger \(DynamoDB\) could not be reached: dynamodb GetItem failed: /);
  });

  it('a refused connection is LedgerUnavailableError ECONNREFUSED', async () => {
    const ledger = new DynamoDbLedger({ client: ledgerDocumentClient(new DynamoDBClient({ ...LOCAL, maxAttempts: 1, endpoint: 'http://127.0.0.1:1' })), tableName });
    await expect(ledger.getLock({ service: 'checkout', environment: 'prod' })).rejects.toMatchObject({
      name: 'LedgerUnavailableError',
      operation: 'GetItem',
      code: 'ECONNREFUSED',
    });
  });

  it('a transaction cancelled because it was throttled is LedgerUnavailableError, not a conflict to look at again', async () => {
    const ledger = ledgerThroughProxy();
    proxy.failNext(1, ['transaction-throttled']);
    await expect(ledger.startRelease(startInput({ service: 'throttled' }))).rejects.toMatchObject({
      name: 'LedgerUnavailableError',
      operation: 'TransactWriteItems',
      code: 'TransactionCanceledException',
    });
    // Nothing was written: the lock is free and a start now succeeds.
    expect(await ledger.getLock({ service: 'throttled', environment: 'prod' })).toBeUndefined();
    await expect(ledger.startRelease(startInput({ service: 'throttled' }))).resolves.toMatchObject({ status: 'PENDING' });
  });

  it('a fault the SDK retries within its attempts never reaches the ledger', async () => {
    const ledger = ledgerThroughProxy({ maxAttempts: 3 });
    const release = await ledger.startRelease(startInput({ service: 'retried' }));
    const faultedBefore = proxy.faulted.length;
    proxy.failNext(2, ['provisioned-throughput', 'internal-server-error']);
    await expect(ledger.getRelease(release)).resolves.toMatchObject({ releaseId: release.releaseId, status: 'PENDING' });
    expect(proxy.faulted.slice(faultedBefore)).toEqual([
      { operation: 'GetItem', fault: 'provisioned-throughput' },
      { operation: 'GetItem', fault: 'internal-server-error' },
    ]);
  });

  it('with the Lambda configuration, a hung connection is cut off and the call retried', async () => {
    const ledger = ledgerThroughProxy(ledgerClientConfig);
    const release = await ledger.startRelease(startInput({ service: 'hung' }));
    const forwardedBefore = proxy.forwarded;
    proxy.failNext(1, ['hang']);
    await expect(ledger.getRelease(release)).resolves.toMatchObject({ releaseId: release.releaseId });
    expect(proxy.faulted.at(-1)).toEqual({ operation: 'GetItem', fault: 'hang' });
    expect(proxy.forwarded).toBe(forwardedBefore + 1);
  });

  it('the Lambda configuration bounds connecting and each request, and makes the request timeout an error', () => {
    expect(ledgerClientConfig.requestHandler).toEqual({ connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true });
    expect(ledgerClientConfig.maxAttempts).toBe(3);
  });
});

describe('the ledger still reads its own conditional answers', () => {
  it('a taken lock is ReleaseInProgressError and a stale writer StaleStatusError, through the translating client', async () => {
    const ledger = ledgerThroughProxy();
    const first = await ledger.startRelease(startInput({ service: 'locked' }));
    await expect(ledger.startRelease(startInput({ service: 'locked', version: 'v3' }))).rejects.toBeInstanceOf(ReleaseInProgressError);
    await ledger.transition({ ...first, from: 'PENDING', to: 'DEPLOYING' });
    await expect(ledger.transition({ ...first, from: 'PENDING', to: 'DEPLOYING' })).rejects.toBeInstanceOf(StaleStatusError);
  });

  it('a request DynamoDB refuses for good is a final CloudProviderError naming DynamoDB', async () => {
    const ledger = new DynamoDbLedger({ client: ledgerDocumentClient(new DynamoDBClient({ ...LOCAL, maxAttempts: 1, endpoint: proxy.endpoint })), tableName: 'no-such-table' });
    await expect(ledger.getLock({ service: 'checkout', environment: 'prod' })).rejects.toMatchObject({
      name: 'CloudProviderError',
      service: 'dynamodb',
      operation: 'GetItem',
      code: 'ResourceNotFoundException',
    });
  });
});

describe('ledgerError: what passes to the ledger unchanged', () => {
  const cancelled = (...codes: string[]) =>
    new TransactionCanceledException({ message: 'Transaction cancelled', $metadata: {}, CancellationReasons: codes.map((Code) => ({ Code })) });

  it.each<[string, Error]>([
    ['a failed conditional check', new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} })],
    ['a transaction cancelled by a conditional check', cancelled('ConditionalCheckFailed', 'None')],
    ['a transaction cancelled by a conflict', cancelled('None', 'TransactionConflict')],
    ['a transaction cancelled by a conditional check and throttled too', cancelled('ConditionalCheckFailed', 'ThrottlingError')],
  ])('%s is the SDK exception itself, for the ledger to read', (_name, error) => {
    expect(ledgerError('TransactWriteItems', error)).toBe(error);
  });

  it.each([['ThrottlingError'], ['ProvisionedThroughputExceeded']])('a transaction cancelled by %s alone is LedgerUnavailableError', (code) => {
    const error = cancelled('None', code);
    expect(ledgerError('TransactWriteItems', error)).toMatchObject({ name: 'LedgerUnavailableError', code: 'TransactionCanceledException', cause: error });
  });
});
