/**
 * The approval floor a service's configuration sets for every release: a
 * start input's `plan` may add gates, never remove, replace or postpone one.
 * Pure.
 *
 * The rule, for each approval step of the configured plan, in order: the
 * override must have an approval step, after the one that matched the
 * previous configured approval, that
 * - names exactly the configured approvers (the same users and groups: none
 *   dropped, since those people would lose their say, and none added, since
 *   an added approver — the starter's friend — could approve alone), and
 * - is asked no later in traffic terms: the new fleet's weight while it is
 *   asked is at most the weight while the configured one is asked (the weight
 *   of the last traffic step before it, 0 before any traffic).
 * Anything else in the override is free: more approval steps with any
 * approvers, other traffic steps, other timeouts (a timeout only ever rolls
 * back). The earliest fitting step is matched each time, which is optimal:
 * it leaves the most room for the approvals that follow.
 */
import { approverNames, weightsBefore, type ApprovalStep, type Plan } from './plan.js';

/** Why an override breaks the floor: the `plan.steps.N` (or `plan.steps`) it names, and what is wrong. */
export interface FloorViolation {
  readonly field: string;
  readonly problem: string;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((x) => right.has(x));
}

function sameApprovers(a: ApprovalStep, b: ApprovalStep): boolean {
  return (
    sameSet(a.approvers.users, b.approvers.users) &&
    sameSet(a.approvers.groups, b.approvers.groups) &&
    sameSet(a.approvers.principals ?? [], b.approvers.principals ?? [])
  );
}

/** The first way `override` weakens the approvals of `configured`, or `undefined` when it keeps them all. */
export function planFloorViolation(configured: Plan, override: Plan): FloorViolation | undefined {
  let from = 0;
  for (const [j, gate] of configured.steps.entries()) {
    if (gate.type !== 'approval') continue;
    const ceiling = weightsBefore(configured, j).canary;
    let matched: number | undefined;
    let different: number | undefined;
    let tooLate: number | undefined;
    for (let k = from; k < override.steps.length; k++) {
      const step = override.steps[k];
      if (step === undefined) break;
      if (step.type === 'traffic') {
        if (step.weight > ceiling) {
          tooLate = k;
          break;
        }
        continue;
      }
      if (sameApprovers(step, gate)) {
        matched = k;
        break;
      }
      different ??= k;
    }
    if (matched !== undefined) {
      from = matched + 1;
      continue;
    }
    const asked = `the configuration asks ${approverNames(gate)} (plan step ${String(j)}) while the new fleet has ${String(ceiling)}%, and a start input may add approvals but not remove, replace or postpone one`;
    if (different !== undefined) {
      const step = override.steps[different] as ApprovalStep;
      return { field: `plan.steps.${String(different)}`, problem: `asks ${approverNames(step)}, but ${asked}` };
    }
    if (tooLate !== undefined) {
      const step = override.steps[tooLate];
      const weight = step?.type === 'traffic' ? step.weight : 0;
      return { field: `plan.steps.${String(tooLate)}`, problem: `raises the new fleet to ${String(weight)}% first, but ${asked}` };
    }
    return { field: 'plan.steps', problem: `has no approval by ${approverNames(gate)}, but ${asked}` };
  }
  return undefined;
}
