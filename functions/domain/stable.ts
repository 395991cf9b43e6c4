/**
 * The stable version of a service+environment: the version and fleet taking
 * traffic, the release that made it stable, and what was stable before (so a
 * release rolled back after it was recorded stable can put that back).
 */
import * as z from 'zod';
import { NameSchema, ReleaseIdSchema, VersionSchema } from './fields.js';
import { FleetRefSchema } from './fleet.js';

const StableVersionShape = {
  version: VersionSchema,
  fleet: FleetRefSchema,
  /** The release that made this version stable; absent when set at onboarding. */
  releaseId: ReleaseIdSchema.optional(),
};

export const StableSchema = z.object({
  service: NameSchema,
  environment: NameSchema,
  ...StableVersionShape,
  updatedAt: z.string(),
  /** What was stable before, so a release rolled back after it was recorded stable can put it back. */
  previous: z.object(StableVersionShape).optional(),
});
export type Stable = z.infer<typeof StableSchema>;

/** The version, fleet and release of a stable record, without its history. */
export function stableVersionOf(stable: { version: string; fleet: Stable['fleet']; releaseId?: string | undefined }): NonNullable<Stable['previous']> {
  return { version: stable.version, fleet: stable.fleet, ...(stable.releaseId === undefined ? {} : { releaseId: stable.releaseId }) };
}
