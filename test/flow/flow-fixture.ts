/**
 * A local runtime per test: the real ASL on the local engine, the real step
 * handlers, a fresh ledger table on the run's DynamoDB Local, and a simulated
 * cloud. Time is compressed: waits and retries take milliseconds.
 */
import { inject } from 'vitest';
import type { RollgateConfigInput } from '../../functions/config.js';
import type { PlanInput } from '../../functions/domain/plan.js';
import type { Stable } from '../../functions/domain/stable.js';
import type { ExecutionOverrides } from '../../local/engine/index.js';
import { LocalRuntime, STEP_FUNCTIONS, type LocalRuntimeOptions } from '../../local/runtime.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG } from '../../local/sample-config.js';

/** Every Task state of the release ASL, for retry-interval compression. */
const TASK_STATES = ['Preflight', 'StartMigration', 'CheckMigration', 'Deploy', 'CheckHealth', 'DarkCanary', 'ShiftTraffic', 'Bake', 'Approval', 'Finalize', 'Retire', 'Rollback'];

export const FAST: ExecutionOverrides = {
  waitTimeOverrides: { WaitForHealth: 5, WaitForMigration: 5, TerminationWait: 5 },
  retryIntervalOverrides: Object.fromEntries(TASK_STATES.map((s) => [s, 5])),
  taskTimeoutOverrides: { Bake: 150 },
};

export const CHECKOUT = { service: 'checkout', environment: 'prod' } as const;
const checkoutTraffic = CHECKOUT_SERVICE.traffic;
export const [TG_BLUE, TG_GREEN] = checkoutTraffic.targetGroupArns;
export const LISTENER = checkoutTraffic.listenerArn;

/** The standard plan: three traffic steps and one approval. */
export const STANDARD_PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 10, bakeSeconds: 60 },
    { type: 'traffic', weight: 50, bakeSeconds: 60 },
    { type: 'approval', approvers: { users: ['U01ALICE'] }, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 60 },
  ],
};

/** The sample configuration, with or without checkout's migration. */
export function flowConfig(options: { migration?: boolean } = {}): RollgateConfigInput {
  const config = structuredClone(SAMPLE_CONFIG);
  const checkout = config.services[0];
  if (checkout !== undefined && options.migration !== true) delete checkout.migration;
  // The tests' start inputs bring their own plans, with and without approvals: checkout's configured
  // plan sets no approval floor here (test/flow/plan-floor.test.ts runs the sample's, which does).
  if (checkout !== undefined) checkout.plan = { steps: checkout.plan.steps.filter((step) => step.type !== 'approval') };
  return config;
}

export function newRuntime(options: Partial<LocalRuntimeOptions> = {}): Promise<LocalRuntime> {
  return LocalRuntime.create({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    config: flowConfig(),
    ...options,
    overrides: { ...FAST, ...options.overrides },
  });
}

export function releaseInput(version: string, overrides: Record<string, unknown> = {}) {
  return {
    ...CHECKOUT,
    version,
    // Dana, verified (as Slack or the control API records a starter): four-eyes refuses her approving
    // and asks one other approver; with nobody verified it would ask two distinct ones.
    trigger: { source: 'test', commit: 'abc1234', buildId: `build-${version}`, author: 'dana', startedBy: { kind: 'slack-user' as const, id: 'U03DANA' } },
    plan: STANDARD_PLAN,
    ...overrides,
  };
}

export { STEP_FUNCTIONS };

/** Resolves once `check` returns something other than undefined (polling every 5 ms), or fails after `ms`. */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Approves (or rejects) the first approval request as soon as it is posted. */
export async function decideFirstApproval(runtime: LocalRuntime, outcome: 'APPROVED' | 'REJECTED', by: string, comment?: string) {
  const request = await until(() => runtime.cloud.approvalRequests[0]);
  return runtime.decide(request.approvalId, outcome, by, comment);
}

/** The only release of checkout/prod (most tests start one). */
export async function onlyRelease(runtime: LocalRuntime) {
  const { items } = await runtime.ledger.listReleases(CHECKOUT);
  if (items.length !== 1 || items[0] === undefined) throw new Error(`expected one release, found ${String(items.length)}`);
  return items[0];
}

/** Checkout's fleets that are still up, by version. */
export function liveCheckoutVersions(runtime: LocalRuntime): string[] {
  return runtime.cloud
    .liveFleets()
    .filter((f) => f.ref.targetGroup === TG_BLUE || f.ref.targetGroup === TG_GREEN)
    .map((f) => f.version)
    .sort();
}

/** Records every weight change on checkout's listener (percent on the green target group). */
export function recordCanaryWeights(runtime: LocalRuntime): number[] {
  const seen: number[] = [];
  runtime.cloud.onWeightsChanged((weights, listener) => {
    if (listener === LISTENER) seen.push(weights.get(TG_GREEN) ?? 0);
  });
  return seen;
}

/**
 * The invariants every settled round of a randomized test must hold, whatever
 * happened to the release: traffic points only at live, healthy fleets; the
 * stable record names a live fleet taking all the traffic; no other checkout
 * fleet is left behind; the lock is free; no out-of-band work failed. Returns
 * what is broken (empty when nothing is) and the stable record, for the
 * caller's own checks of the ledger against the execution.
 */
export async function settledViolations(runtime: LocalRuntime): Promise<{ found: string[]; stable: Stable | undefined }> {
  const found: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) found.push(what);
  };
  const checkout = runtime.deps.config.services.find((s) => s.service === CHECKOUT.service);
  if (checkout === undefined) return { found: ['no checkout service'], stable: undefined };

  const live = runtime.cloud.liveFleets();
  for (const [targetGroup, weight] of runtime.cloud.weightsOn(LISTENER)) {
    if (weight === 0) continue;
    const fleet = live.find((f) => f.ref.targetGroup === targetGroup);
    check(fleet !== undefined, `${String(weight)}% of traffic goes to ${targetGroup}, which no live fleet serves`);
    if (fleet !== undefined) check((await runtime.cloud.fleet.health(checkout.fleet, fleet.ref)).healthy, `traffic goes to unhealthy ${fleet.ref.id}`);
  }
  const stable = await runtime.ledger.getStable(CHECKOUT);
  check(stable !== undefined && live.some((f) => f.ref.id === stable.fleet.id), `the stable record names ${stable?.fleet.id ?? 'nothing'}, which is not live`);
  check(stable !== undefined && runtime.cloud.weightsOn(LISTENER).get(stable.fleet.targetGroup) === 100, "the stable fleet's target group does not take 100% of traffic");
  check(liveCheckoutVersions(runtime).join() === (stable?.version ?? ''), `live checkout fleets: ${liveCheckoutVersions(runtime).join(', ')}`);
  check((await runtime.ledger.getLock(CHECKOUT)) === undefined, 'the lock is still held');
  check(runtime.reconcileErrors.length === 0, `out-of-band errors: ${runtime.reconcileErrors.map(String).join('; ')}`);
  return { found, stable };
}
