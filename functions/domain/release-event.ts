/**
 * One entry of a release's audit log: what happened, when, by whom. Events are
 * append-only; an event id names an event so that writing it twice stores it once.
 */
import * as z from 'zod';
import { ReleaseIdSchema } from './fields.js';

export const ReleaseEventSchema = z.object({
  eventId: z.string().min(1).max(256),
  releaseId: ReleaseIdSchema,
  at: z.string(),
  type: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be an UPPER_SNAKE_CASE event type'),
  actor: z.string().optional(),
  message: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type ReleaseEvent = z.infer<typeof ReleaseEventSchema>;
