/**
 * A fresh ledger table on the run's DynamoDB Local for each test file (or test),
 * so tests never see each other's items.
 */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { DynamoDbLedger } from '../../functions/ledger/dynamodb-ledger.js';
import type { Ledger } from '../../functions/ports.js';
import type { StartReleaseInput } from '../../functions/ledger/inputs.js';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { createLedgerTable, localDynamoClient } from '../../local/ledger-table.js';

/** A clock tests move by hand. */
export class ManualClock {
  private t: number;
  public constructor(start = '2026-03-01T12:00:00.000Z') {
    this.t = Date.parse(start);
  }
  public readonly now = (): Date => new Date(this.t);
  public advance(ms: number): void {
    this.t += ms;
  }
}

export interface LedgerFixture {
  readonly ledger: Ledger;
  readonly tableName: string;
  readonly clock: ManualClock | undefined;
}

export const localClient = localDynamoClient(inject('dynamodbEndpoint'));
export const documentClient = ledgerDocumentClient(localClient);

/** Creates a new ledger table; pass a ManualClock to control time. */
export async function newLedger(clock?: ManualClock): Promise<LedgerFixture> {
  const tableName = `ledger-${randomUUID()}`;
  await createLedgerTable(localClient, tableName);
  return {
    ledger: new DynamoDbLedger({ client: documentClient, tableName, ...(clock === undefined ? {} : { now: clock.now }) }),
    tableName,
    clock,
  };
}

/** A valid start request; override what the test is about. */
export function startInput(overrides: Partial<StartReleaseInput> = {}): StartReleaseInput {
  return {
    service: 'checkout',
    environment: 'prod',
    version: 'v2',
    previousVersion: 'v1',
    trigger: { source: 'ecr', commit: 'abc1234', buildId: 'build-17', author: 'dana' },
    ...overrides,
  };
}
