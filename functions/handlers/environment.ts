/**
 * The environment of rollgate's Lambda functions: the variable names the stack
 * sets (infra/ imports them from here) and their validation at cold start. A
 * missing or malformed variable fails the cold start with an error naming it,
 * so a wiring mistake never turns into a half-working function.
 *
 * This module is imported by infra/ too: it must stay free of SDK code.
 */
import { z } from 'zod';
import { RollgateConfigSchema, type RollgateConfig } from '../config.js';
import { InvalidInputError } from '../errors.js';
import { parseInput } from '../validation.js';

/** The environment variables rollgate's functions read. */
export const ENV = {
  /** Name of the ledger table. */
  ledgerTable: 'ROLLGATE_LEDGER_TABLE',
  /** The service configuration (functions/config.ts), as JSON; validated at synth and at cold start. */
  config: 'ROLLGATE_CONFIG',
  /** ARN of the release state machine (the build trigger starts executions of it). */
  stateMachineArn: 'ROLLGATE_STATE_MACHINE_ARN',
} as const;

/** The name of an environment variable rollgate sets. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

const Variable = z.string({ error: 'is not set' }).min(1, 'is empty');

/**
 * Reads `names` from `env`, or throws an {@link InvalidInputError} naming the
 * first variable that is missing or empty.
 */
export function readEnvironment<const K extends EnvName>(
  names: readonly K[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<K, string> {
  const shape: Record<string, typeof Variable> = Object.fromEntries(names.map((name) => [name, Variable]));
  const parsed: Record<string, string> = parseInput(z.object(shape), env, 'Lambda environment');
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
