/**
 * Fleets as the release records them: immutable, one per release, each
 * behind one of the service's two target groups.
 */
import * as z from 'zod';
import { TextSchema } from './fields.js';

/** An immutable fleet: an ECS task set or an EC2 Auto Scaling group, behind a target group. */
export const FleetRefSchema = z.strictObject({
  kind: z.enum(['ecs-task-set', 'auto-scaling-group']),
  id: TextSchema(512),
  targetGroup: TextSchema(512),
});
export type FleetRef = z.infer<typeof FleetRefSchema>;
