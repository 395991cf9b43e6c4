/**
 * Traffic weights: percent (what plans, the ledger and people speak) and
 * Application Load Balancer target-group weights (what a ForwardConfig takes).
 * Pure arithmetic, no client: the ALB router and its tests share it.
 */
import * as z from 'zod';
import { TrafficConfigError } from '../errors.js';

/** Traffic split in percent; the two always add up to 100. */
export const WeightsSchema = z
  .strictObject({
    stable: z.number().int().min(0).max(100),
    canary: z.number().int().min(0).max(100),
  })
  .refine((w) => w.stable + w.canary === 100, { message: 'stable + canary must be 100' });
export type Weights = z.infer<typeof WeightsSchema>;

/**
 * Largest weight a TargetGroupTuple accepts ("The range is 0 to 999").
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupTuple.html
 */
export const ALB_MAX_WEIGHT = 999;

/**
 * ALB weight per percent point. 100 % must fit in 999, so 9: every percent
 * split maps to exact integers and reads back to the same percent.
 */
export const ALB_WEIGHT_PER_PERCENT = 9;

/** Two ALB target-group weights, for the stable and the canary group. */
export interface AlbWeights {
  readonly stable: number;
  readonly canary: number;
}

/** Refuses weights that are not two whole percents adding up to 100. */
export function assertPercentWeights(weights: Weights): void {
  const { stable, canary } = weights;
  for (const [name, value] of [
    ['stable', stable],
    ['canary', canary],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 100) {
      throw new TrafficConfigError(`${name} weight must be a whole percent from 0 to 100, got ${value}`);
    }
  }
  if (stable + canary !== 100) {
    throw new TrafficConfigError(`stable + canary weights must be 100, got ${stable} + ${canary}`);
  }
}

/** Percent → ALB weights (×9: 100 % is 900, within the 0–999 range). */
export function toAlbWeights(weights: Weights): AlbWeights {
  assertPercentWeights(weights);
  return { stable: weights.stable * ALB_WEIGHT_PER_PERCENT, canary: weights.canary * ALB_WEIGHT_PER_PERCENT };
}

/**
 * ALB weights → percent, for weights rollgate set or anyone else did (the
 * console's 1/1 reads as 50/50). The canary share is rounded, the stable one
 * is the rest, so the two always add up to 100.
 */
export function fromAlbWeights(weights: AlbWeights): Weights {
  const { stable, canary } = weights;
  for (const [name, value] of [
    ['stable', stable],
    ['canary', canary],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > ALB_MAX_WEIGHT) {
      throw new TrafficConfigError(`${name} ALB weight must be an integer from 0 to ${ALB_MAX_WEIGHT}, got ${value}`);
    }
  }
  const total = stable + canary;
  if (total === 0) {
    throw new TrafficConfigError('both target groups have weight 0: the listener forwards no traffic to either');
  }
  const canaryPercent = Math.round((canary * 100) / total);
  return { stable: 100 - canaryPercent, canary: canaryPercent };
}
