/**
 * The ledger on DynamoDB Local: a client with fake credentials that only ever
 * talks to the local endpoint, and the table created from the shared definition.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { RollgateError } from '../functions/errors.js';
import { LEDGER_TABLE, ledgerCreateTableInput } from '../functions/ledger/table.js';

/** A DynamoDB client for DynamoDB Local at `endpoint`; never reaches AWS. */
export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

/** Whether a local ledger table gets the deployed table's stream. */
export interface LocalLedgerTableOptions {
  /**
   * DynamoDB Local writes markedly slower with a stream (the 250-release
   * listing test: 12 s without, 19 s with), so only a runtime that reads it
   * (notifications) asks for one; {@link ledgerStreamArn} turns it on later
   * for a table created without.
   * @default false
   */
  readonly stream?: boolean;
}

/** Creates the ledger table (same keys and index as the deployed one) and waits until it is active. */
export async function createLedgerTable(client: DynamoDBClient, tableName: string, options: LocalLedgerTableOptions = {}): Promise<void> {
  await client.send(new CreateTableCommand(ledgerCreateTableInput(tableName, { stream: options.stream === true })));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
}

/**
 * Creates the ledger table unless it exists already (a ledger kept on disk
 * from an earlier run): resolves with whether it was created.
 */
export async function openOrCreateLedgerTable(client: DynamoDBClient, tableName: string, options: LocalLedgerTableOptions = {}): Promise<{ created: boolean }> {
  try {
    await createLedgerTable(client, tableName, options);
    return { created: true };
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
    return { created: false };
  }
}

/** The ledger table has no stream even after it was turned on. */
export class LedgerStreamMissingError extends RollgateError {
  public constructor(public readonly tableName: string) {
    super(`the ledger table ${tableName} has no stream`);
  }
}

/**
 * The ARN of the ledger table's stream. A table kept from a run before the
 * ledger had one gets it turned on here (UpdateTable), with the view type of
 * the shared definition.
 */
export async function ledgerStreamArn(client: DynamoDBClient, tableName: string): Promise<string> {
  const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (table?.StreamSpecification?.StreamEnabled === true && table.LatestStreamArn !== undefined) return table.LatestStreamArn;
  await client.send(
    new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: LEDGER_TABLE.streamViewType } }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  const { Table: updated } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (updated?.LatestStreamArn === undefined) throw new LedgerStreamMissingError(tableName);
  return updated.LatestStreamArn;
}
