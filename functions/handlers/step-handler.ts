/**
 * What every step's Lambda entry point shares: the ledger and the
 * configuration source built once per container from the environment, the
 * wiring that fills the ports a function does not use with {@link notWired}
 * (so a function builds, and is granted, only what its step calls), and the
 * handler that runs the step once per invocation on the configuration read
 * then (functions/ledger/config-source.ts: from memory within 30 s).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { RollgateConfig } from '../config.js';
import { PortNotWiredError } from '../errors.js';
import { ledgerClientConfig, ledgerDocumentClient } from '../ledger/client.js';
import { ConfigSource } from '../ledger/config-source.js';
import { ConfigStore } from '../ledger/config-store.js';
import { DynamoDbLedger } from '../ledger/dynamodb-ledger.js';
import type { Ledger } from '../ports.js';
import type { DefinedStep, StepDeps } from '../steps/step.js';
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

async function readConfig(table: { readonly client: DynamoDBDocumentClient; readonly tableName: string }): Promise<ConfigAtColdStart> {
  const configSource = new ConfigSource(new ConfigStore(table));
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
  return { configSource: new ConfigSource(new ConfigStore(table)), ledger: new DynamoDbLedger(table) };
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

/**
 * A port this function was not built with: any call fails with
 * {@link PortNotWiredError} naming the port, the method and the function.
 */
// The caller names the port type the stub stands in for; nothing else can.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function notWired<T extends object>(port: string, functionName: string): T {
  const stub = new Proxy(
    {},
    {
      get: (_target, method) =>
        // Not a thenable: `await notWired(...)` must not call anything.
        method === 'then' ? undefined : () => Promise.reject(new PortNotWiredError(`${port}.${String(method)}`, functionName)),
    },
  );
  return stub as T;
}

/** What a step is given besides the configuration: the ports, the ledger, the clock. */
export type PortDeps = Omit<StepDeps, 'config' | 'configRevision'>;

/** The ports a function is built with; every other port is {@link notWired}. */
export type Wiring = Pick<StepDeps, 'ledger'> & Partial<Omit<PortDeps, 'ledger'>>;

/**
 * Complete step dependencies from a function's wiring: without the
 * configuration (a handler adds the one it reads per invocation,
 * {@link withConfig}), or with the one given (tests and benchmarks).
 */
export function wire(functionName: string, wiring: Wiring & Pick<StepDeps, 'config'>): StepDeps;
export function wire(functionName: string, wiring: Wiring): PortDeps;
export function wire(functionName: string, wiring: Wiring & Partial<Pick<StepDeps, 'config'>>): PortDeps | StepDeps {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  const missing = <T extends object>(port: string): T => notWired<T>(port, functionName);
  return {
    ...(wiring.config === undefined ? {} : { config: wiring.config }),
    ledger: wiring.ledger,
    fleets: wiring.fleets ?? { ecs: missing('EcsFleet'), asg: missing('AsgFleet') },
    router: wiring.router ?? missing('TrafficRouter'),
    alarms: wiring.alarms ?? missing('AlarmSource'),
    migrator: wiring.migrator ?? missing('Migrator'),
    smoke: wiring.smoke ?? missing('SmokeChecker'),
    notifier: wiring.notifier ?? missing('Notifier'),
    callbacks: wiring.callbacks ?? missing('Callbacks'),
    executions: wiring.executions ?? missing('Executions'),
    now: wiring.now ?? (() => new Date()),
  };
}

/** `ports` with the configuration `source` holds now (memory within its TTL). */
export async function withConfig(ports: PortDeps, source: ConfigSource): Promise<StepDeps> {
  const { config, revision } = await source.get();
  return { ...ports, config, configRevision: revision };
}

/** A Lambda handler as the Node.js runtime calls it. */
export type LambdaHandler<R> = (event: unknown, context: Context) => Promise<R>;

/**
 * The Lambda handler of one step: runs it with `ports` and the configuration
 * `source` answers for this invocation, logs the outcome
 * (release ids only, never the event) and rethrows failures unchanged, so
 * their `name` reaches the state machine's Catch and Retry lists.
 */
export function stepHandler<R>(step: DefinedStep<R>, source: ConfigSource, ports: PortDeps): LambdaHandler<R> {
  return async (event, context) => {
    logger.addContext(context);
    const fields = releaseFields(event);
    try {
      const result = await step.invoke(await withConfig(ports, source), event);
      logger.info(`${step.name} done`, fields);
      return result;
    } catch (error) {
      logger.error(`${step.name} failed`, { ...fields, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      throw error;
    }
  };
}
