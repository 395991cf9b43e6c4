/**
 * The environment of rollgate's Lambda functions: the variable names the stack
 * sets (infra/ imports them from here) and their validation at cold start. A
 * missing or malformed variable fails the cold start with an error naming it,
 * so a wiring mistake never turns into a half-working function.
 *
 * The service configuration is the one value that does not travel in Lambda's
 * environment, which holds 4 KB in all
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html)
 * and so would cap rollgate at a handful of services. The stack compiles it
 * into every bundle instead: esbuild's `define` replaces the global
 * {@link BUNDLED_CONFIG_GLOBAL} with the base64 of the validated
 * configuration's JSON ({@link bundledConfigDefine}). Base64 because CDK
 * passes `define` values to esbuild on a command line (a shell one when it
 * bundles in Docker), and base64 needs no quoting there. A configuration
 * change therefore changes every bundle, and so every asset hash: a deploy
 * updates the code. {@link readEnvironment} answers {@link ENV.config} from
 * the bundle; only outside a bundle (tests and benchmarks that import the
 * TypeScript handlers) does it read the variable from `process.env`.
 *
 * This module is imported by infra/ too: it must stay free of SDK code.
 */
import * as z from 'zod';
import { RollgateConfigSchema, type RollgateConfig } from '../config.js';
import { InvalidInputError } from '../errors.js';
import { parseInput } from '../validation.js';

/** The environment variables rollgate's functions read. */
export const ENV = {
  /** Name of the ledger table. */
  ledgerTable: 'ROLLGATE_LEDGER_TABLE',
  /**
   * The service configuration (functions/config.ts), as JSON; validated at
   * synth and at cold start. Compiled into each bundle, not set in Lambda's
   * environment (see the module comment); the variable is the fallback
   * outside a bundle.
   */
  config: 'ROLLGATE_CONFIG',
  /** ARN of the release state machine (the build trigger starts executions of it). */
  stateMachineArn: 'ROLLGATE_STATE_MACHINE_ARN',
} as const;

/** The name of an environment variable rollgate sets. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

/** The global identifier esbuild replaces with the configuration in every bundle the stack builds. */
export const BUNDLED_CONFIG_GLOBAL = '__ROLLGATE_CONFIG__';

/**
 * The base64 of the configuration's JSON, in a bundle; undeclared anywhere
 * else (so read only through `typeof`). Keep the name equal to
 * {@link BUNDLED_CONFIG_GLOBAL}.
 */
declare const __ROLLGATE_CONFIG__: string | undefined;

/**
 * The esbuild `define` that compiles `config` into a bundle: the value is a
 * JavaScript string literal of base64 characters only.
 * https://esbuild.github.io/api/#define
 */
export function bundledConfigDefine(config: RollgateConfig): Record<string, string> {
  return { [BUNDLED_CONFIG_GLOBAL]: JSON.stringify(Buffer.from(JSON.stringify(config), 'utf8').toString('base64')) };
}

/** The configuration JSON compiled into this bundle, or `undefined` outside a bundle. */
function bundledConfig(): string | undefined {
  // esbuild folds `typeof "<literal>"` to "string"; unbundled, the global does not exist.
  return typeof __ROLLGATE_CONFIG__ === 'string' ? Buffer.from(__ROLLGATE_CONFIG__, 'base64').toString('utf8') : undefined;
}

const Variable = z.string({ error: 'is not set' }).min(1, 'is empty');

/**
 * Reads `names` from `env`, or throws an {@link InvalidInputError} naming the
 * first variable that is missing or empty. In a bundle, {@link ENV.config}
 * is the configuration compiled into it, whatever `env` holds.
 */
export function readEnvironment<const K extends EnvName>(
  names: readonly K[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<K, string> {
  const bundled = bundledConfig();
  const source = bundled === undefined ? env : { ...env, [ENV.config]: bundled };
  const shape: Record<string, typeof Variable> = Object.fromEntries(names.map((name) => [name, Variable]));
  const parsed: Record<string, string> = parseInput(z.object(shape), source, 'Lambda environment');
  return parsed;
}

/**
 * The configuration held by {@link ENV.config}, validated; an error names the
 * variable and, for a bad field, the field's path.
 */
export function configFromEnvironment(json: string): RollgateConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new InvalidInputError('Lambda environment', ENV.config, `is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return parseInput(RollgateConfigSchema, raw, ENV.config);
}
