/**
 * The environment of rollgate's Lambda functions: the variable names the stack
 * sets (infra/ imports them from here) and their validation at cold start. A
 * missing or malformed variable fails the cold start with an error naming it,
 * so a wiring mistake never turns into a half-working function.
 *
 * The service configuration is not in the environment (4 KB in all,
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html)
 * nor in the bundles: it is data, ledger items every function reads through
 * a short cache (functions/ledger/config-store.ts, config-source.ts), so
 * onboarding a service changes no function's code.
 *
 * This module is imported by infra/ too: it must stay free of SDK code.
 */
import * as z from 'zod';
import { parseInput } from '../validation.js';

/** The environment variables rollgate's functions read. */
export const ENV = {
  /** Name of the ledger table, which also holds the service configuration (its CONFIG items). */
  ledgerTable: 'ROLLGATE_LEDGER_TABLE',
  /** ARN of the release state machine (the build trigger starts executions of it). */
  stateMachineArn: 'ROLLGATE_STATE_MACHINE_ARN',
} as const;

/** The name of an environment variable rollgate sets. */
export type EnvName = (typeof ENV)[keyof typeof ENV];

const Variable = z.string({ error: 'is not set' }).min(1, 'is empty');

/** Reads `names` from `env`, or throws an InvalidInputError naming the first variable that is missing or empty. */
export function readEnvironment<const K extends EnvName>(
  names: readonly K[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Record<K, string> {
  const shape: Record<string, typeof Variable> = Object.fromEntries(names.map((name) => [name, Variable]));
  const parsed: Record<string, string> = parseInput(z.object(shape), env, 'Lambda environment');
  return parsed;
}
