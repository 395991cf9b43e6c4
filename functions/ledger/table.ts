/**
 * The release ledger's table definition: the one place that says what the
 * table's keys, index, TTL attribute and stream are. The CDK stack (infra/) builds the
 * table from it and the local runtime (local/) creates the same table in
 * DynamoDB Local from it, so the two can never drift apart.
 *
 * This module is imported by Lambda bundles too: it must stay free of
 * aws-cdk-lib and of SDK runtime code (type imports only).
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** A key attribute of the ledger table; every key is a string. */
export interface LedgerKeyAttribute {
  readonly name: string;
  readonly type: 'S';
}

/** The shape of the ledger table, independent of how it is provisioned. */
export interface LedgerTableDefinition {
  readonly partitionKey: LedgerKeyAttribute;
  readonly sortKey: LedgerKeyAttribute;
  /** The global secondary index that lists recent releases across services. */
  readonly recentReleasesIndex: {
    readonly indexName: string;
    readonly partitionKey: LedgerKeyAttribute;
    readonly sortKey: LedgerKeyAttribute;
  };
  /** Epoch-seconds attribute DynamoDB TTL deletes by; set on approvals only. */
  readonly timeToLiveAttribute: string;
  /**
   * What the table's stream carries. The notifier (functions/notifications/)
   * reads it and needs both images: a release's status before and after tells
   * a step's progress from a release that just ended.
   */
  readonly streamViewType: 'NEW_AND_OLD_IMAGES';
}

export const LEDGER_TABLE: LedgerTableDefinition = {
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  recentReleasesIndex: {
    indexName: 'recent-releases',
    partitionKey: { name: 'gsi1pk', type: 'S' },
    sortKey: { name: 'gsi1sk', type: 'S' },
  },
  timeToLiveAttribute: 'ttl',
  streamViewType: 'NEW_AND_OLD_IMAGES',
};

/**
 * The CreateTable request for the ledger (on-demand, same keys, index and
 * stream as the deployed table; `stream: false` leaves the stream out). Used
 * by the local runtime and the tests.
 */
export function ledgerCreateTableInput(tableName: string, options: { readonly stream?: boolean } = {}): CreateTableCommandInput {
  const { partitionKey, sortKey, recentReleasesIndex: gsi } = LEDGER_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [partitionKey, sortKey, gsi.partitionKey, gsi.sortKey].map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    })),
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    ...(options.stream === false ? {} : { StreamSpecification: { StreamEnabled: true, StreamViewType: LEDGER_TABLE.streamViewType } }),
  };
}
