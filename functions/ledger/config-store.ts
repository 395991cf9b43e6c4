/**
 * The service configuration as ledger items: where every function reads it
 * from (through config-source.ts), what `cdk deploy` (the ConfigPublisher
 * custom resource) and `rollgate onboard` write.
 *
 * Why ledger items, not an S3 object or AppConfig: DynamoDB Local runs this
 * very code locally and in the tests; a write is per service and
 * conditional, so onboarding one service rewrites one item and two
 * publishers cannot overwrite each other unseen; and a release freezes its
 * service's configuration in the same table (the release record).
 *
 * Items, all under the partition `CONFIG` (so a role can be limited to them
 * with the `dynamodb:LeadingKeys` condition key):
 * - `SVC#<service>#<environment>`: one validated {@link ServiceConfig};
 * - `GLOBAL`: the rest of the configuration (`slack`), the `revision` every
 *   change bumps, `updatedAt`, `updatedBy`; while a publish that takes more
 *   than one transaction is under way, also `publishing`.
 *
 * A publish is one TransactWriteItems when its changes fit in one (100
 * actions: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html),
 * conditional on the revision it read, so it is all or nothing. A bigger one
 * marks `GLOBAL` as publishing (conditional on that revision), writes the
 * items in transactions that each check the mark is still its own, and last
 * writes the new revision and clears the mark. A reader never assembles a
 * half-published configuration: {@link ConfigStore.load} reads `GLOBAL`
 * before and after the items and refuses a mark or a revision that moved.
 *
 * Self-contained on purpose (it shares the table, not code, with ledger.ts).
 */
import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { RollgateConfigSchema, ServiceConfigSchema, SlackConfigSchema, type RollgateConfig, type RollgateConfigInput, type ServiceConfig, type ServiceConfigInput } from '../config.js';
import { ConfigNotReadyError, ConfigRevisionConflictError, InvalidInputError } from '../errors.js';
import { parseInput } from '../validation.js';

/** The partition of the configuration items. */
export const CONFIG_PK = 'CONFIG';
/** The sort key of the configuration's non-service part and revision. */
export const GLOBAL_SK = 'GLOBAL';

/** The sort key of one service+environment's item. */
export function serviceSk(service: string, environment: string): string {
  // Names are [A-Za-z0-9._-] (NameSchema): `#` cannot occur in them.
  return `SVC#${service}#${environment}`;
}

/** DynamoDB's cap on the actions of one TransactWriteItems. */
const MAX_TRANSACTION_ACTIONS = 100;

/**
 * A mark older than this belongs to a publisher that died (a custom resource
 * Lambda runs 15 minutes at most): the next publish takes over.
 */
const STALE_PUBLISH_MS = 15 * 60 * 1000;

/** How often {@link ConfigStore.load} reads again while a multi-transaction publish is under way, and how long it waits in between. */
const LOAD_ATTEMPTS = 5;
const LOAD_BACKOFF_MS = 200;

/** A validated configuration and the revision it was published as. */
export interface ConfigSnapshot {
  readonly revision: number;
  readonly config: RollgateConfig;
}

/** What `GLOBAL` says about the stored configuration, without reading it. */
export interface ConfigHead {
  readonly revision: number;
  /** Set while a publish in several transactions is under way. */
  readonly publishing: boolean;
}

/** What a publish did. */
export interface PublishResult {
  /** The revision stored now (unchanged when nothing changed). */
  readonly revision: number;
  /** Items written or deleted (`GLOBAL` not counted). */
  readonly put: readonly string[];
  readonly deleted: readonly string[];
}

export interface ConfigStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Waits between load attempts; tests pass one that does not wait. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

const GlobalItemSchema = z.object({
  revision: z.number().int().min(0),
  settings: z.object({ slack: SlackConfigSchema.optional() }).default({}),
  publishing: z.object({ token: z.string(), at: z.string() }).optional(),
});

type StoredItem = Record<string, unknown> & { readonly sk: string };

/** JSON with object keys sorted, so two equal configurations compare equal whatever order DynamoDB returned their maps in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** `config` with `service` added, or replacing the one of the same service+environment (in its place). */
export function withService(config: RollgateConfig, service: ServiceConfig): RollgateConfig {
  const same = (s: ServiceConfig) => s.service === service.service && s.environment === service.environment;
  return { ...config, services: config.services.some(same) ? config.services.map((s) => (same(s) ? service : s)) : [...config.services, service] };
}

export class ConfigStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(options: ConfigStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The stored revision (one strongly consistent GetItem), or undefined before the first publish. */
  public async head(): Promise<ConfigHead | undefined> {
    const item = await this.getGlobal();
    if (item === undefined) return undefined;
    const global = parseInput(GlobalItemSchema, item, `config item ${CONFIG_PK}/${GLOBAL_SK}`);
    return { revision: global.revision, publishing: global.publishing !== undefined };
  }

  /**
   * The whole configuration, validated: each item with the service schema
   * (an error names the item's key and the field), then the whole with
   * {@link RollgateConfigSchema} (what spans items, e.g. `slack` for approvals).
   *
   * @throws ConfigNotReadyError nothing is published yet, or a publish in
   *   several transactions did not finish within the attempts.
   * @throws InvalidInputError an item does not validate.
   */
  public async load(): Promise<ConfigSnapshot> {
    for (let attempt = 1; ; attempt++) {
      const items = await this.queryAll();
      const globalItem = items.find((item) => item.sk === GLOBAL_SK);
      if (globalItem === undefined) throw new ConfigNotReadyError(`no configuration is published in ${this.tableName} (cdk deploy publishes it; locally the runtime does)`);
      const global = parseInput(GlobalItemSchema, globalItem, `config item ${CONFIG_PK}/${GLOBAL_SK}`);
      // Read again after the items: a publish that started or ended meanwhile shows in the mark or the revision.
      const after = global.publishing === undefined ? await this.head() : undefined;
      if (after !== undefined && !after.publishing && after.revision === global.revision) {
        return { revision: global.revision, config: this.assemble(global.settings, items) };
      }
      if (attempt >= LOAD_ATTEMPTS) throw new ConfigNotReadyError(`a publish of revision ${String(global.revision + 1)} is under way`);
      await this.sleep(LOAD_BACKOFF_MS * attempt);
    }
  }

  /**
   * Makes the stored configuration `raw` (validated first): puts the service
   * items that differ, deletes those no longer configured, bumps the
   * revision — conditional on the revision read. Nothing changed, nothing
   * written (a redeploy of the same file is a no-op).
   *
   * `expectedRevision` makes the publish conditional on the revision the
   * caller composed `raw` from (0: nothing published yet), so a change made
   * in between is refused rather than undone.
   *
   * @throws InvalidInputError `raw` is not a valid configuration.
   * @throws ConfigRevisionConflictError another publish got in first.
   */
  public async publish(raw: RollgateConfigInput, actor: string, options: { readonly expectedRevision?: number } = {}): Promise<PublishResult> {
    const config = parseInput(RollgateConfigSchema, raw, 'config');
    const items = await this.queryAll();
    const globalItem = items.find((item) => item.sk === GLOBAL_SK);
    // Not validated: a publish must be able to replace an item that no longer validates.
    const revision = typeof globalItem?.revision === 'number' ? globalItem.revision : undefined;
    if (options.expectedRevision !== undefined && options.expectedRevision !== (revision ?? 0)) {
      throw new ConfigRevisionConflictError(options.expectedRevision, 'publish');
    }
    const stored = new Map(items.filter((item) => item.sk !== GLOBAL_SK).map((item) => [item.sk, canonicalJson(item.config)]));

    const at = this.now().toISOString();
    const put: Array<{ sk: string; config: ServiceConfig }> = [];
    for (const service of config.services) {
      const sk = serviceSk(service.service, service.environment);
      if (stored.get(sk) !== canonicalJson(service)) put.push({ sk, config: service });
    }
    const wanted = new Set(config.services.map((s) => serviceSk(s.service, s.environment)));
    const deleted = [...stored.keys()].filter((sk) => !wanted.has(sk));
    const settings = config.slack === undefined ? {} : { slack: config.slack };
    const settingsChanged = canonicalJson(globalItem?.settings ?? {}) !== canonicalJson(settings);
    if (revision !== undefined && put.length === 0 && deleted.length === 0 && !settingsChanged && globalItem?.publishing === undefined) {
      return { revision, put: [], deleted: [] };
    }

    const next = (revision ?? 0) + 1;
    const writes = [
      ...put.map(({ sk, config: service }) => ({ Put: { TableName: this.tableName, Item: { pk: CONFIG_PK, sk, config: service, revision: next, updatedAt: at, updatedBy: actor } } })),
      ...deleted.map((sk) => ({ Delete: { TableName: this.tableName, Key: { pk: CONFIG_PK, sk } } })),
    ];
    const finalGlobal = { Put: { TableName: this.tableName, Item: { pk: CONFIG_PK, sk: GLOBAL_SK, revision: next, settings, updatedAt: at, updatedBy: actor } } };

    if (writes.length < MAX_TRANSACTION_ACTIONS && globalItem?.publishing === undefined) {
      await this.transact('publish', revision ?? 0, [...writes, { Put: { ...finalGlobal.Put, ...this.onRevision(revision) } }]);
      return { revision: next, put: put.map((p) => p.sk), deleted };
    }

    // Too many for one transaction (or a dead publisher's mark to take over): mark, write in chunks, then the revision.
    const token = randomUUID();
    const stale = new Date(this.now().getTime() - STALE_PUBLISH_MS).toISOString();
    await this.transact('publish (mark)', revision ?? 0, [
      {
        Put: {
          TableName: this.tableName,
          Item: { pk: CONFIG_PK, sk: GLOBAL_SK, revision: revision ?? 0, settings: globalItem?.settings ?? {}, publishing: { token, at }, updatedAt: globalItem?.updatedAt ?? at, updatedBy: globalItem?.updatedBy ?? actor },
          ConditionExpression: `${revision === undefined ? 'attribute_not_exists(pk)' : '#revision = :revision'} AND (attribute_not_exists(publishing) OR publishing.#at < :stale)`,
          ExpressionAttributeNames: { ...(revision === undefined ? {} : { '#revision': 'revision' }), '#at': 'at' },
          ExpressionAttributeValues: { ...(revision === undefined ? {} : { ':revision': revision }), ':stale': stale },
        },
      },
    ]);
    const mine = {
      ConditionExpression: 'publishing.#token = :token',
      ExpressionAttributeNames: { '#token': 'token' },
      ExpressionAttributeValues: { ':token': token },
    };
    const chunk = MAX_TRANSACTION_ACTIONS - 1;
    for (let i = 0; i < writes.length; i += chunk) {
      await this.transact('publish (items)', revision ?? 0, [...writes.slice(i, i + chunk), { ConditionCheck: { TableName: this.tableName, Key: { pk: CONFIG_PK, sk: GLOBAL_SK }, ...mine } }]);
    }
    await this.transact('publish (revision)', revision ?? 0, [{ Put: { ...finalGlobal.Put, ...mine } }]);
    return { revision: next, put: put.map((p) => p.sk), deleted };
  }

  /**
   * Onboards (or replaces) one service+environment: the stored
   * configuration with `raw` in it, published as a whole, so what spans
   * items (`slack` for an approval step) is checked too; only its item and
   * `GLOBAL` are written.
   *
   * @throws InvalidInputError `raw` is not a valid service configuration,
   *   or the configuration with it is not valid.
   * @throws ConfigRevisionConflictError another publish got in first.
   */
  public async putService(raw: ServiceConfigInput, actor: string): Promise<PublishResult> {
    const service = parseInput(ServiceConfigSchema, raw, 'service config');
    const { revision, config } = await this.load();
    return this.publish(withService(config, service), actor, { expectedRevision: revision });
  }

  private onRevision(revision: number | undefined): { ConditionExpression: string; ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, unknown> } {
    if (revision === undefined) return { ConditionExpression: 'attribute_not_exists(pk)' };
    return {
      ConditionExpression: '#revision = :revision AND attribute_not_exists(publishing)',
      ExpressionAttributeNames: { '#revision': 'revision' },
      ExpressionAttributeValues: { ':revision': revision },
    };
  }

  private async transact(operation: string, expected: number, items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>): Promise<void> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      // Every transaction's only condition is on GLOBAL: a failed one means another publisher moved it.
      if (error instanceof TransactionCanceledException && (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')) {
        throw new ConfigRevisionConflictError(expected, operation);
      }
      throw error;
    }
  }

  private assemble(settings: z.output<typeof GlobalItemSchema>['settings'], items: readonly StoredItem[]): RollgateConfig {
    const services = items
      .filter((item) => item.sk !== GLOBAL_SK)
      .map((item) => {
        const where = `config item ${CONFIG_PK}/${item.sk}`;
        const service = parseInput(ServiceConfigSchema, item.config, where);
        if (serviceSk(service.service, service.environment) !== item.sk) {
          throw new InvalidInputError(where, 'service', `is ${service.service}/${service.environment}, which belongs under ${serviceSk(service.service, service.environment)}`);
        }
        return service;
      });
    return parseInput(RollgateConfigSchema, { ...settings, services }, `config items of ${this.tableName}`);
  }

  private async getGlobal(): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: CONFIG_PK, sk: GLOBAL_SK }, ConsistentRead: true }));
    return Item;
  }

  /** Every item of the partition, page by page (1 MB each), strongly consistent. */
  private async queryAll(): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': CONFIG_PK },
          ConsistentRead: true,
          ...(start === undefined ? {} : { ExclusiveStartKey: start }),
        }),
      );
      for (const item of page.Items ?? []) if (typeof item.sk === 'string') items.push(item as StoredItem);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items;
  }
}
