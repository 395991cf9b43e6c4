/** What every command gets, what it returns, and the CLI's own refusals. */
import { RollgateError } from '../../functions/errors.js';
import type { ControlClient } from '../control-client.js';

/** A bad command line: exit status 2; `field` is the flag or argument at fault. */
export class UsageError extends RollgateError {
  public constructor(
    message: string,
    public readonly field?: string,
  ) {
    super(message);
  }
}

/** The CLI itself refuses, from what the API answered (e.g. nothing to promote): exit status 1. */
export class RefusedError extends RollgateError {}

/** Where a command writes, and its clock. */
export interface Io {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
  /** Whether `out` is a terminal (watch redraws in place). */
  readonly isTTY: boolean;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** A command's context: the client (built on first use, so `--help` and usage errors need no credentials), the output mode. */
export interface Context {
  readonly client: () => Promise<ControlClient>;
  readonly json: boolean;
  readonly io: Io;
}

/** How a command ended: the one JSON document, the human text, the exit status. */
export interface Outcome {
  readonly document: unknown;
  readonly human: string;
  readonly exitCode: 0 | 1;
}

/** Options every service command takes. */
export interface Target {
  readonly service: string;
  readonly environment: string;
}

export const done = (document: unknown, human: string): Outcome => ({ document, human, exitCode: 0 });

/** A required option's value, or a usage error naming it. */
export function required(value: string | undefined, flag: string, why: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`${flag} is required: ${why}`, flag);
  return value;
}

/** `--limit`: a whole number from 1 to 100 (PageQuerySchema's range). */
export function limitOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError(`--limit must be a whole number from 1 to 100; got ${JSON.stringify(value)}`, '--limit');
  return limit;
}
