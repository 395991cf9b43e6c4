/**
 * What every step's Lambda entry point shares: the ledger and the
 * configuration source built once per container from the environment, and
 * the handler that runs the step once per invocation with exactly the ports
 * its `needs` declare (so a function builds, and is granted, only what its
 * step calls) on the configuration read then
 * (functions/ledger/config-source.ts: from memory within 30 s).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { RollgateConfig } from '../config.js';
import { ledgerClientConfig, ledgerDocumentClient } from '../ledger/client.js';
import { ConfigSource } from '../ledger/config-source.js';
import { ConfigStore } from '../ledger/config-store.js';
import { DynamoDbLedger } from '../ledger/dynamodb-ledger.js';
import type { Ledger } from '../ports.js';
import type { DefinedStep, PortName, PortsOf, StepDeps } from '../steps/step.js';
import { ENV, readEnvironment } from './environment.js';
import { logger, releaseFields } from './logger.js';

/** The configuration of a function: its source, and the snapshot read at cold start (for what is set up once, e.g. the Slack app). */
export interface ConfigAtColdStart {
  readonly configSource: ConfigSource;
  readonly config: RollgateConfig;
}

/** What every step function has: the ledger and the configuration, both in the table the environment names. */
export interface ColdStart extends ConfigAtColdStart {
  readonly ledger: Ledger;
}

/** The ledger table the environment names, and one DocumentClient on it for the container. */
function ledgerTable(): { readonly client: DynamoDBDocumentClient; readonly tableName: string } {
  const env = readEnvironment([ENV.ledgerTable]);
  return { client: ledgerDocumentClient(new DynamoDBClient(ledgerClientConfig)), tableName: env[ENV.ledgerTable] };
}

/** The configuration source on the ledger table: its CONFIG items, through the cache. */
function configSourceOn(table: { readonly client: DynamoDBDocumentClient; readonly tableName: string }): ConfigSource {
  return new ConfigSource(new ConfigStore(table));
}

async function readConfig(table: { readonly client: DynamoDBDocumentClient; readonly tableName: string }): Promise<ConfigAtColdStart> {
  const configSource = configSourceOn(table);
  // Read during Lambda's init phase, so the first invocation finds it in memory; a missing or invalid configuration fails the cold start naming the item.
  const { config } = await configSource.get();
  return { configSource, config };
}

/**
 * Builds the configuration source on the ledger table the environment names
 * and reads the configuration once; call once, at module scope (`await`).
 * For functions that read nothing else of the ledger (their role reads the
 * CONFIG items only).
 */
export async function configAtColdStart(): Promise<ConfigAtColdStart> {
  return readConfig(ledgerTable());
}

/**
 * Builds the ledger and the configuration source, reading nothing yet; call
 * once, at module scope. The first invocation reads the configuration (the
 * step handler asks the source per invocation), so a cold start imports
 * code and builds clients only: on the alarm handler's fast path, that is
 * what a cold start costs before the invocation runs.
 */
export function coldStart(): Pick<ColdStart, 'configSource' | 'ledger'> {
  const table = ledgerTable();
  return { configSource: configSourceOn(table), ledger: new DynamoDbLedger(table) };
}

/**
 * {@link coldStart}, and the configuration read once, for what a function
 * sets up once per container from it (the Slack app of the approval
 * functions, the control API, the Notifier); call once, at module scope
 * (`await`): a missing or invalid configuration fails the cold start naming
 * the item.
 */
export async function coldStartWithConfig(): Promise<ColdStart> {
  const table = ledgerTable();
  return { ...(await readConfig(table)), ledger: new DynamoDbLedger(table) };
}

/** `ports` with the configuration `source` holds now (memory within its TTL). */
export async function withConfig<P extends object>(ports: P, source: ConfigSource): Promise<P & Pick<StepDeps, 'config' | 'configRevision'>> {
  const { config, revision } = await source.get();
  return { ...ports, config, configRevision: revision };
}

/** A Lambda handler as the Node.js runtime calls it. */
export type LambdaHandler<R> = (event: unknown, context: Context) => Promise<R>;

/**
 * The Lambda handler of one step: runs it with `ports` — exactly the ports
 * the step `needs`, typed from its declaration, so a handler can build
 * neither fewer nor more — and the configuration `source` answers for this
 * invocation; logs the outcome (release ids only, never the event) and
 * rethrows failures unchanged, so their `name` reaches the state machine's
 * Catch and Retry lists.
 */
export function stepHandler<R, N extends PortName>(step: DefinedStep<R, N>, source: ConfigSource, ports: PortsOf<N>): LambdaHandler<R> {
  const clock = { now: () => new Date() };
  return async (event, context) => {
    logger.addContext(context);
    const fields = releaseFields(event);
    try {
      const result = await step.invoke(await withConfig({ ...clock, ...ports }, source), event);
      logger.info(`${step.name} done`, fields);
      return result;
    } catch (error) {
      logger.error(`${step.name} failed`, { ...fields, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      throw error;
    }
  };
}
