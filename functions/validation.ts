import type { z } from 'zod';
import { InvalidInputError } from './errors.js';

/**
 * Parses `value` with `schema`; on failure throws an {@link InvalidInputError}
 * naming the operation and the first bad field (dotted path), so a caller
 * learns exactly what to fix.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, operation: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue === undefined ? '' : issue.path.map(String).join('.');
  throw new InvalidInputError(operation, field, issue?.message ?? 'is invalid');
}
