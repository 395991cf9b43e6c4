/**
 * Traffic, as the steps change it: where a service's traffic is switched (its
 * listener or rule), the blue/green split of a release, and set-then-verify —
 * every weight change is read back (STYLE.md habit 6), by the traffic step
 * (shift-traffic.ts) and every path that puts traffic back on stable
 * (rollback, the alarm handler, finalize, the control API's rollback).
 */
import type { ServiceConfig } from '../config.js';
import type { Release } from '../domain/release.js';
import type { Weights } from '../domain/weights.js';
import { WeightsNotAppliedError } from '../errors.js';
import type { TrafficRouter, TrafficSplit, TrafficTarget } from '../ports.js';

/** Set, then verify: a traffic change is always read back. */
export async function setAndVerifyWeights(
  router: TrafficRouter,
  target: TrafficTarget,
  split: TrafficSplit,
  weights: Weights,
): Promise<void> {
  await router.setWeights(target, split, weights);
  const actual = await router.getWeights(target, split);
  if (actual.stable !== weights.stable || actual.canary !== weights.canary) throw new WeightsNotAppliedError(weights, actual);
}

/** Where the service's traffic is switched: its listener, or its rule on a shared listener, with the stickiness it keeps. */
export function trafficOf(service: ServiceConfig): TrafficTarget {
  const { listenerArn, ruleArn, stickiness } = service.traffic;
  return { service: service.service, listenerArn, ...(ruleArn === undefined ? {} : { ruleArn }), ...(stickiness === undefined ? {} : { stickiness }) };
}

/** The blue/green split of a release as the flow carries it: its stable fleet's target group and the canary's. */
export function splitOf(release: { stableFleet: { targetGroup: string }; canaryTargetGroupArn: string }): TrafficSplit {
  return { stableTargetGroupArn: release.stableFleet.targetGroup, canaryTargetGroupArn: release.canaryTargetGroupArn };
}

/** The split a release recorded when it started, if it got that far. */
export function recordedSplit(release: Release): TrafficSplit | undefined {
  if (release.stableFleet === undefined || release.canaryTargetGroup === undefined) return undefined;
  return { stableTargetGroupArn: release.stableFleet.targetGroup, canaryTargetGroupArn: release.canaryTargetGroup };
}
