import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, inject, it } from 'vitest';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { CONFIG_PK, ConfigStore, GLOBAL_SK, serviceSk } from '../../functions/ledger/config-store.js';
import type { RollgateConfig } from '../../functions/config.js';
import { SAMPLE_CONFIG } from '../../local/sample-config.js';
import { localDynamoClient } from '../../local/ledger-table.js';
import { configOf, numberedService } from './config-fixture.js';
import { documentClient, newLedger } from './ledger-fixture.js';

const noWait = (): Promise<void> => Promise.resolve();

async function newStore(): Promise<{ store: ConfigStore; tableName: string }> {
  const { tableName } = await newLedger();
  return { store: new ConfigStore({ client: documentClient, tableName, sleep: noWait }), tableName };
}

/** A store whose `nth` TransactWriteItems (1-based) first lets `meanwhile` run: a publisher overtaken between its read and its write. */
function overtakenStore(tableName: string, nth: number, meanwhile: () => Promise<unknown>): ConfigStore {
  const client = ledgerDocumentClient(localDynamoClient(inject('dynamodbEndpoint')));
  let seen = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName?.startsWith('TransactWrite') === true && ++seen === nth) await meanwhile();
      return next(args);
    },
    { step: 'initialize', name: 'overtake' },
  );
  return new ConfigStore({ client, tableName, sleep: noWait });
}

async function storedItem(tableName: string, sk: string): Promise<Record<string, unknown> | undefined> {
  return (await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: CONFIG_PK, sk } }))).Item;
}

describe('ConfigStore', () => {
  it('loads what was published, validated, as revision 1', async () => {
    const { store, tableName } = await newStore();
    const result = await store.publish(SAMPLE_CONFIG, 'test');
    expect(result).toEqual({ revision: 1, put: [serviceSk('checkout', 'prod'), serviceSk('search', 'prod')], deleted: [] });
    expect(await store.load()).toEqual({ revision: 1, config: SAMPLE_CONFIG });
    expect(await storedItem(tableName, GLOBAL_SK)).toMatchObject({ revision: 1, updatedBy: 'test', settings: { slack: SAMPLE_CONFIG.slack } });
  });

  it('refuses to load before anything is published, by name', async () => {
    const { store } = await newStore();
    await expect(store.load()).rejects.toMatchObject({ name: 'ConfigNotReadyError' });
  });

  it('publishes only the difference: changed and new items put, removed ones deleted, unchanged ones left alone', async () => {
    const { store, tableName } = await newStore();
    await store.publish(configOf(3), 'first');
    const changed = { ...numberedService(0), terminationWaitSeconds: 60 };
    const next: RollgateConfig = { ...SAMPLE_CONFIG, services: [changed, numberedService(2), numberedService(3)] };
    const result = await store.publish(next, 'second');
    expect(result).toEqual({ revision: 2, put: [serviceSk('svc-0000', 'prod'), serviceSk('svc-0003', 'prod')], deleted: [serviceSk('svc-0001', 'prod')] });
    expect(await store.load()).toEqual({ revision: 2, config: { ...SAMPLE_CONFIG, services: [changed, numberedService(2), numberedService(3)] } });
    // The unchanged item still carries the revision and the actor that wrote it.
    expect(await storedItem(tableName, serviceSk('svc-0002', 'prod'))).toMatchObject({ revision: 1, updatedBy: 'first' });
    expect(await storedItem(tableName, serviceSk('svc-0001', 'prod'))).toBeUndefined();
  });

  it('writes nothing and keeps the revision when the configuration did not change', async () => {
    const { store, tableName } = await newStore();
    await store.publish(SAMPLE_CONFIG, 'first');
    expect(await store.publish(SAMPLE_CONFIG, 'again')).toEqual({ revision: 1, put: [], deleted: [] });
    expect(await storedItem(tableName, GLOBAL_SK)).toMatchObject({ revision: 1, updatedBy: 'first' });
  });

  it('bumps the revision when only the Slack app changed', async () => {
    const { store } = await newStore();
    await store.publish(SAMPLE_CONFIG, 'first');
    const slack = { ...SAMPLE_CONFIG.slack, channel: 'C0NEWCHANNEL' } as NonNullable<RollgateConfig['slack']>;
    expect(await store.publish({ ...SAMPLE_CONFIG, slack }, 'second')).toMatchObject({ revision: 2, put: [], deleted: [] });
    expect((await store.load()).config.slack?.channel).toBe('C0NEWCHANNEL');
  });

  it('refuses a publish overtaken by another one (ConfigRevisionConflictError) and writes none of it', async () => {
    const { store, tableName } = await newStore();
    await store.publish(configOf(2), 'first');
    const winner = { ...SAMPLE_CONFIG, services: [numberedService(0)] };
    const loser = overtakenStore(tableName, 1, () => store.publish(winner, 'winner'));
    await expect(loser.publish(configOf(4), 'loser')).rejects.toMatchObject({ name: 'ConfigRevisionConflictError', expected: 1 });
    expect(await store.load()).toEqual({ revision: 2, config: winner });
  });

  it('publishes more changes than one transaction takes in several, and loads them whole', async () => {
    const { store, tableName } = await newStore();
    const big = configOf(150);
    expect((await store.publish(big, 'big')).revision).toBe(1);
    expect(await store.load()).toEqual({ revision: 1, config: big });
    expect(await storedItem(tableName, GLOBAL_SK)).not.toHaveProperty('publishing');
  });

  it('while a publish in several transactions is under way, refuses a reader (ConfigNotReadyError) and a second publisher (ConfigRevisionConflictError)', async () => {
    const { store, tableName } = await newStore();
    await store.publish(configOf(1), 'first');
    const outcomes: string[] = [];
    // The second transaction is the first chunk of items: the mark is set by then.
    const publisher = overtakenStore(tableName, 2, async () => {
      await store.load().catch((error: unknown) => outcomes.push(`load: ${(error as Error).name}`));
      await store.publish(SAMPLE_CONFIG, 'other').catch((error: unknown) => outcomes.push(`publish: ${(error as Error).name}`));
      expect(await store.head()).toEqual({ revision: 1, publishing: true });
    });
    await publisher.publish(configOf(120), 'big');
    expect(outcomes).toEqual(['load: ConfigNotReadyError', 'publish: ConfigRevisionConflictError']);
    expect(await store.load()).toEqual({ revision: 2, config: configOf(120) });
  });

  it('refuses to load an invalid item, naming its key and the field', async () => {
    const { store, tableName } = await newStore();
    await store.publish(configOf(2), 'first');
    const bad = { ...numberedService(1), traffic: { ...numberedService(1).traffic, listenerArn: 'not-an-arn' } };
    await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: CONFIG_PK, sk: serviceSk('svc-0001', 'prod'), config: bad, revision: 1 } }));
    await expect(store.load()).rejects.toMatchObject({ name: 'InvalidInputError', operation: 'config item CONFIG/SVC#svc-0001#prod', field: 'traffic.listenerArn' });
  });

  it('refuses an item stored under another service key, naming it', async () => {
    const { store, tableName } = await newStore();
    await store.publish(configOf(1), 'first');
    await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: CONFIG_PK, sk: serviceSk('other', 'prod'), config: numberedService(0), revision: 1 } }));
    await expect(store.load()).rejects.toMatchObject({ name: 'InvalidInputError', operation: 'config item CONFIG/SVC#other#prod', field: 'service' });
  });

  it('replaces an invalid stored item on the next publish', async () => {
    const { store, tableName } = await newStore();
    await store.publish(configOf(1), 'first');
    await documentClient.send(new PutCommand({ TableName: tableName, Item: { pk: CONFIG_PK, sk: serviceSk('svc-0000', 'prod'), config: { service: 'svc-0000' }, revision: 1 } }));
    await store.publish(configOf(1), 'repair');
    expect(await store.load()).toEqual({ revision: 2, config: configOf(1) });
  });
});

describe('ConfigStore.putService', () => {
  it('onboards one service: its item and the revision written, nothing else', async () => {
    const { store, tableName } = await newStore();
    await store.publish(configOf(2), 'first');
    const result = await store.putService(numberedService(7), 'onboard');
    expect(result).toEqual({ revision: 2, put: [serviceSk('svc-0007', 'prod')], deleted: [] });
    expect((await store.load()).config.services.map((s) => s.service)).toEqual(['svc-0000', 'svc-0001', 'svc-0007']);
    expect(await storedItem(tableName, serviceSk('svc-0000', 'prod'))).toMatchObject({ revision: 1 });
  });

  it('refuses a putService overtaken between its read and its write (ConfigRevisionConflictError), leaving the other change in place', async () => {
    const { store, tableName } = await newStore();
    await store.publish(configOf(2), 'first');
    const overtaken = new ConfigStore({ client: documentClient, tableName });
    // The other publish lands after putService read revision 1: its read-compose-write must not undo it.
    const original = overtaken.load.bind(overtaken);
    overtaken.load = async () => {
      const read = await original();
      await store.publish(configOf(3), 'other');
      return read;
    };
    await expect(overtaken.putService(numberedService(7), 'onboard')).rejects.toMatchObject({ name: 'ConfigRevisionConflictError', expected: 1 });
    expect(await store.load()).toEqual({ revision: 2, config: configOf(3) });
  });

  it('refuses an invalid service, naming the field, and writes nothing', async () => {
    const { store } = await newStore();
    await store.publish(configOf(1), 'first');
    await expect(store.putService({ ...numberedService(3), alarms: [] }, 'onboard')).rejects.toMatchObject({ name: 'InvalidInputError', operation: 'service config', field: 'alarms' });
    expect((await store.load()).revision).toBe(1);
  });

  it('refuses a service whose plan asks for approval when no Slack app is configured', async () => {
    const { store } = await newStore();
    const plain = { services: [{ ...numberedService(0), plan: { steps: [{ type: 'traffic' as const, weight: 100, bakeSeconds: 0 }] } }] };
    await store.publish(plain, 'first');
    await expect(store.putService(numberedService(1), 'onboard')).rejects.toMatchObject({ name: 'InvalidInputError', field: 'slack' });
  });
});
