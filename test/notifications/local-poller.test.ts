/**
 * The local notifier's reads of DynamoDB Local's stream when they fail: a
 * read that fails now and then (an expired or trimmed iterator, a busy
 * DynamoDB Local) is tried again quietly, as Lambda's event source mapping
 * does; one that keeps failing is reported; either way no change is lost.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, inject, it } from 'vitest';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { createLedgerTable, ledgerStreamArn, localDynamoClient } from '../../local/ledger-table.js';
import { LocalReleaseEventBus, LocalStreamError, LocalStreamNotifier, LocalStreamsApi, MAX_RETRIES } from '../../local/notifications.js';
import { until } from '../flow/flow-fixture.js';
import { PK, RELEASE_ID, release } from './fixture.js';

/** DynamoDB Local's stream, with the next `failures` GetRecords calls refused as trimmed. */
class FlakyStreams extends LocalStreamsApi {
  public failures = 0;
  public override records(iterator: string, limit: number): Promise<{ records: DynamoDBRecord[]; next: string | undefined }> {
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new LocalStreamError('GetRecords', 400, 'TrimmedDataAccessException', 'injected'));
    }
    return super.records(iterator, limit);
  }
}

describe('the local stream poller', () => {
  it('retries a failing read quietly, reports one that fails MAX_RETRIES times in a row, and delivers every change', async () => {
    const endpoint = inject('dynamodbEndpoint');
    const client = localDynamoClient(endpoint);
    const documents = ledgerDocumentClient(client);
    const tableName = `rollgate-poller-${Math.random().toString(36).slice(2, 10)}`;
    await createLedgerTable(client, tableName, { stream: true });
    const streams = new FlakyStreams(endpoint);
    const bus = new LocalReleaseEventBus();
    const errors: unknown[] = [];
    const notifier = new LocalStreamNotifier({ api: streams, streamArn: await ledgerStreamArn(client, tableName), from: 'TRIM_HORIZON', sinks: [bus.sink()], onError: (e) => errors.push(e), pollIntervalMs: 10 });
    await notifier.start();
    try {
      const put = (item: object) => documents.send(new PutCommand({ TableName: tableName, Item: { pk: PK, sk: `REL#${RELEASE_ID}`, ...item } }));

      streams.failures = MAX_RETRIES - 1;
      await put(release('PENDING'));
      await until(() => (bus.events.length === 1 ? true : undefined), 30_000);
      expect(errors).toEqual([]);

      streams.failures = MAX_RETRIES;
      await put(release('ROLLED_BACK', { outcome: 'ALARM', reason: 'checkout-prod-5xx in ALARM', finishedAt: '2026-12-02T10:06:00.000Z' }));
      await until(() => (bus.events.length === 2 ? true : undefined), 30_000);
      await notifier.idle();
      expect(errors).toEqual([expect.objectContaining({ name: 'LocalStreamError', operation: 'GetRecords', type: 'TrimmedDataAccessException' })]);
      expect(bus.events.map((e) => [e.detailType, e.detail.eventId])).toEqual([
        ['Release Started', `${RELEASE_ID}:release-started`],
        ['Release Rolled Back', `${RELEASE_ID}:release-rolled-back`],
      ]);
    } finally {
      await notifier.close();
    }
  });
});
