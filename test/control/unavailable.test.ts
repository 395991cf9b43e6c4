/**
 * When the ledger cannot be reached the control API says so — 503 with
 * LedgerUnavailableError — and, back up, answers again: a caller can tell
 * "try again" from "refused".
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { FaultyDynamoDb } from '../../local/sim/faulty-dynamodb.js';
import { DANA, call, controlHarness, errorOf } from './control-fixture.js';

let proxy: FaultyDynamoDb;
beforeAll(async () => {
  proxy = await FaultyDynamoDb.start(inject('dynamodbEndpoint'));
});
afterAll(async () => {
  await proxy.stop();
});

describe('the control API during a ledger outage', () => {
  it('answers 503 LedgerUnavailableError while DynamoDB fails, and 200 once it is back', async () => {
    const h = await controlHarness({ ledgerEndpoint: proxy.endpoint });
    proxy.outage();
    const down = await call(h.server, DANA, 'GET', '/services/checkout/prod/status');
    proxy.heal();
    expect(down.status).toBe(503);
    expect(errorOf(down).name).toBe('LedgerUnavailableError');
    expect(h.server.serverErrors).toMatchObject([{ name: 'LedgerUnavailableError' }]);
    const up = await call(h.server, DANA, 'GET', '/services/checkout/prod/status');
    expect(up).toMatchObject({ status: 200, body: { stable: { version: 'v1' }, activeRelease: null, lock: null } });
  });
});
