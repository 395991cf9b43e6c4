import { Lazy, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/errors.js';
import { LEDGER_TABLE, ledgerCreateTableInput } from '../../functions/ledger/table.js';
import { type LedgerTableOptions, ReleaseOrchestrator } from '../../infra/release-orchestrator.js';
import type { RollgateStack } from '../../infra/stack.js';
import { SAMPLE_CONFIG } from '../../local/sample-config.js';
import { synthStack, templateOf, testApp } from './synth.js';

function synthLedger(ledger?: LedgerTableOptions): { stack: RollgateStack; template: Template } {
  return synthStack(ledger === undefined ? {} : { ledger });
}

interface KeySchemaElement {
  AttributeName: string;
  KeyType: 'HASH' | 'RANGE';
}

interface AttributeDefinition {
  AttributeName: string;
  AttributeType: string;
}

/** The parts of the rendered AWS::DynamoDB::Table these tests read. */
interface RenderedLedger {
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  Properties: {
    TableName?: unknown;
    BillingMode?: string;
    KeySchema: KeySchemaElement[];
    AttributeDefinitions: AttributeDefinition[];
    GlobalSecondaryIndexes: {
      IndexName: string;
      KeySchema: KeySchemaElement[];
      Projection: { ProjectionType: string };
    }[];
    TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
    SSESpecification?: { SSEEnabled: boolean; SSEType?: string; KMSMasterKeyId?: unknown };
    PointInTimeRecoverySpecification?: { PointInTimeRecoveryEnabled: boolean };
    DeletionProtectionEnabled?: boolean;
    StreamSpecification?: { StreamViewType: string };
  };
}

function renderedLedger(template: Template): { logicalId: string; table: RenderedLedger } {
  template.resourceCountIs('AWS::DynamoDB::Table', 1);
  template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  const tables: Record<string, unknown> = template.findResources('AWS::DynamoDB::Table');
  const [entry] = Object.entries(tables);
  if (entry === undefined) throw new Error('no ledger table in the template');
  const [logicalId, table] = entry;
  return { logicalId, table: table as RenderedLedger };
}

const byName = (a: AttributeDefinition, b: AttributeDefinition): number =>
  a.AttributeName.localeCompare(b.AttributeName);

describe('ledger table', () => {
  const { stack, template } = synthLedger();
  const { logicalId, table } = renderedLedger(template);
  const props = table.Properties;
  const local = ledgerCreateTableInput('x');
  const { partitionKey, sortKey, recentReleasesIndex: gsi } = LEDGER_TABLE;

  it('has the key schema of the shared definition, the same as the local table', () => {
    expect(props.KeySchema).toEqual([
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(props.KeySchema).toEqual(local.KeySchema);
  });

  it('defines exactly the key attributes of the table and its index, as the local table does', () => {
    const expected = [partitionKey, sortKey, gsi.partitionKey, gsi.sortKey].map((a) => ({
      AttributeName: a.name,
      AttributeType: a.type,
    }));
    expect([...props.AttributeDefinitions].sort(byName)).toEqual(expected.sort(byName));
    expect([...props.AttributeDefinitions].sort(byName)).toEqual(
      [...(local.AttributeDefinitions ?? [])].sort((a, b) =>
        (a.AttributeName ?? '').localeCompare(b.AttributeName ?? ''),
      ),
    );
  });

  it('has the recent-releases index of the shared definition, projecting all attributes, as the local table does', () => {
    expect(props.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: gsi.indexName,
        KeySchema: [
          { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: gsi.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(props.GlobalSecondaryIndexes).toEqual(local.GlobalSecondaryIndexes);
  });

  it('expires items by the TTL attribute of the shared definition', () => {
    expect(props.TimeToLiveSpecification).toEqual({
      AttributeName: LEDGER_TABLE.timeToLiveAttribute,
      Enabled: true,
    });
  });

  it('has a stream of new and old images, as the local table does, for the notifier', () => {
    expect(props.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(local.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: props.StreamSpecification?.StreamViewType });
  });

  it('bills on demand, as the local table does', () => {
    expect(props.BillingMode).toBe('PAY_PER_REQUEST');
    expect(props.BillingMode).toBe(local.BillingMode);
  });

  it('has point-in-time recovery on', () => {
    expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('has deletion protection on', () => {
    expect(props.DeletionProtectionEnabled).toBe(true);
  });

  it('is retained when removed from the stack or replaced', () => {
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('is encrypted with the AWS managed KMS key by default', () => {
    // SSEEnabled without a key id is KMS with the AWS managed key; the
    // DynamoDB owned key would render SSEEnabled false or nothing at all.
    expect(props.SSESpecification).toEqual({ SSEEnabled: true });
  });

  it('gets a name generated by CloudFormation by default', () => {
    expect(props.TableName).toBeUndefined();
  });

  it('exposes the ledger table for grants', () => {
    const tableName: unknown = stack.resolve(stack.orchestrator.ledgerTable.tableName);
    expect(tableName).toEqual({ Ref: logicalId });
  });
});

describe('ledger table options', () => {
  it('uses a valid tableName override as the physical name', () => {
    const { template } = synthLedger({ tableName: 'rollgate.Ledger-prod_1' });
    expect(renderedLedger(template).table.Properties.TableName).toBe('rollgate.Ledger-prod_1');
  });

  it('encrypts with the customer managed key given as encryptionKey', () => {
    const stack = new Stack(testApp(), 'WithKey');
    const key = new kms.Key(stack, 'LedgerKey');
    new ReleaseOrchestrator(stack, 'Orchestrator', { config: SAMPLE_CONFIG, ledger: { encryptionKey: key } });
    const { table } = renderedLedger(templateOf(stack));
    const keyArn: unknown = stack.resolve(key.keyArn);
    expect(table.Properties.SSESpecification).toEqual({
      SSEEnabled: true,
      SSEType: 'KMS',
      KMSMasterKeyId: keyArn,
    });
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(256)],
    ['a space', 'release ledger'],
    ['a slash', 'rollgate/ledger'],
    ['empty', ''],
  ])('refuses a tableName that is %s, naming the prop', (_case, tableName) => {
    const synth = (): unknown => synthLedger({ tableName });
    expect(synth).toThrow(InvalidInputError);
    expect(synth).toThrow(/ledger\.tableName: must be 3 to 255 characters/);
  });

  it('accepts table names of exactly 3 and 255 characters', () => {
    expect(() => synthLedger({ tableName: 'abc' })).not.toThrow();
    expect(() => synthLedger({ tableName: 'a'.repeat(255) })).not.toThrow();
  });

  it('leaves a tableName token to be checked by CloudFormation', () => {
    const tableName = Lazy.string({ produce: () => 'resolved-later' });
    const { template } = synthLedger({ tableName });
    expect(renderedLedger(template).table.Properties.TableName).toBe('resolved-later');
  });
});
