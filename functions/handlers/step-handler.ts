/**
 * What every step's Lambda entry point shares: the ledger and the
 * configuration built once per container from the environment, the wiring that
 * fills the ports a function does not use with {@link notWired} (so a function
 * builds, and is granted, only what its step calls), and the handler that runs
 * the step once per invocation.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import type { RollgateConfig } from '../config.js';
import { PortNotWiredError } from '../errors.js';
import { ledgerClientConfig, ledgerDocumentClient } from '../ledger/client.js';
import { DynamoDbLedger } from '../ledger/dynamodb-ledger.js';
import type { Ledger } from '../ports.js';
import type { DefinedStep, StepDeps } from '../steps/step.js';
import { configFromEnvironment, ENV, readEnvironment } from './environment.js';
import { logger, releaseFields } from './logger.js';

/** What every step function has: the configuration (compiled into the bundle) and the ledger (named in the environment). */
export interface ColdStart {
  readonly config: RollgateConfig;
  readonly ledger: Ledger;
}

/**
 * Reads and validates the configuration and the environment, and builds the
 * ledger; call once, at module scope. See environment.ts for where the
 * configuration comes from.
 */
export function coldStart(): ColdStart {
  const env = readEnvironment([ENV.ledgerTable, ENV.config]);
  const config = configFromEnvironment(env[ENV.config]);
  const ledger = new DynamoDbLedger({
    client: ledgerDocumentClient(new DynamoDBClient(ledgerClientConfig)),
    tableName: env[ENV.ledgerTable],
  });
  return { config, ledger };
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

/** The ports a function is built with; every other port is {@link notWired}. */
export type Wiring = ColdStart & Partial<Omit<StepDeps, 'config' | 'ledger'>>;

/** Complete step dependencies from a function's wiring. */
export function wire(functionName: string, wiring: Wiring): StepDeps {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  const missing = <T extends object>(port: string): T => notWired<T>(port, functionName);
  return {
    config: wiring.config,
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

/** A Lambda handler as the Node.js runtime calls it. */
export type LambdaHandler<R> = (event: unknown, context: Context) => Promise<R>;

/**
 * The Lambda handler of one step: runs it with `deps`, logs the outcome
 * (release ids only, never the event) and rethrows failures unchanged, so
 * their `name` reaches the state machine's Catch and Retry lists.
 */
export function stepHandler<R>(step: DefinedStep<R>, deps: StepDeps): LambdaHandler<R> {
  return async (event, context) => {
    logger.addContext(context);
    const fields = releaseFields(event);
    try {
      const result = await step.invoke(deps, event);
      logger.info(`${step.name} done`, fields);
      return result;
    } catch (error) {
      logger.error(`${step.name} failed`, { ...fields, error: error instanceof Error ? { name: error.name, message: error.message } : String(error) });
      throw error;
    }
  };
}
