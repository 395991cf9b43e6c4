/**
 * The race suite: many rounds of one release on the real local engine and
 * DynamoDB Local, with people, alarms, the reconciler and retried steps acting
 * on it at random moments. After every round, whatever the ordering was:
 * traffic points only at fleets that exist and are healthy, the stable record
 * names a live fleet, the ledger's status matches how the execution ended, no
 * fleet is left behind and the lock is free.
 *
 * Rounds are reproducible: a failure names its seed; `RACE_SEED=<n>` replays
 * one (with `RACE_ROUNDS=1`), `RACE_ROUNDS` runs more.
 */
import { describe, expect, it } from 'vitest';
import { RollgateError } from '../../functions/errors.js';
import type { LocalRuntime, StepFault } from '../../local/runtime.js';
import { seededRandom } from '../../local/sim/random.js';
import { CHECKOUT, newRuntime, releaseInput, settledViolations } from './flow-fixture.js';
import { raceBatches, type RoundResult } from './race-rounds.js';

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 200);
const FIRST_SEED = Number(process.env.RACE_SEED ?? 20_261_202);
/** Rounds run side by side (each on its own table and simulated cloud). */
const PARALLEL = 5;
const ROUNDS_PER_TEST = 20;

const APPROVER = 'U01ALICE';
const PLANS = {
  'canary-then-all': { steps: [{ type: 'traffic', weight: 25, bakeSeconds: 60 }, { type: 'traffic', weight: 100, bakeSeconds: 60 }] },
  'approval-between': {
    steps: [
      { type: 'traffic', weight: 10, bakeSeconds: 60 },
      { type: 'approval', approvers: { users: [APPROVER] }, timeoutSeconds: 3600 },
      { type: 'traffic', weight: 100, bakeSeconds: 60 },
    ],
  },
  'approval-first': {
    steps: [
      { type: 'approval', approvers: { users: [APPROVER] }, timeoutSeconds: 3600 },
      { type: 'traffic', weight: 50, bakeSeconds: 60 },
      { type: 'traffic', weight: 100, bakeSeconds: 60 },
    ],
  },
} as const;

const ACTIONS = ['promote-now', 'abort', 'alarm', 'approve', 'reject', 'reconcile'] as const;
type Action = (typeof ACTIONS)[number];
/** Steps whose invocation may be retried by the state machine (a throttle before it ran, or a lost response after). */
const RETRIED_STEPS = ['ShiftTrafficFunctionArn', 'BakeFunctionArn', 'ApprovalFunctionArn', 'FinalizeFunctionArn', 'RetireFunctionArn', 'RollbackFunctionArn'];

/** What an out-of-band action may be told when the release has moved on: refusals, not failures. */
const REFUSALS = new Set([
  'ReleaseNotActiveError',
  'ReleaseNotFoundError',
  'AlreadyDecidedError',
  'ApprovalExpiredError',
  'ApprovalNoLongerWaitingError',
  'ApprovalNotFoundError',
  'TaskAlreadyClosedError',
]);

interface Round {
  readonly seed: number;
  readonly plan: keyof typeof PLANS;
  readonly bakeMs: number;
  readonly terminationWaitMs: number;
  readonly fault?: { readonly step: string; readonly fault: StepFault };
  readonly actions: readonly { readonly action: Action; readonly anchor: Anchor; readonly atMs: number }[];
}

/**
 * When an action's clock starts: at the start of the execution, or once the
 * release waits on the bake of its last traffic step or on an approval — the
 * moments where promote-now, abort, an alarm and Finalize meet.
 */
const ANCHORS = ['start', 'last-bake', 'approval'] as const;
type Anchor = (typeof ANCHORS)[number];

function roundOf(seed: number): Round {
  const next = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const plan = pick(Object.keys(PLANS) as (keyof typeof PLANS)[]);
  const actions = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
    const anchor = pick(ANCHORS);
    return { action: pick(ACTIONS), anchor, atMs: Math.floor(next() * (anchor === 'start' ? 400 : 40)) };
  });
  const fault = next() < 0.35 ? { step: pick(RETRIED_STEPS), fault: { times: 1, when: next() < 0.5 ? 'before' : 'after' } as const } : undefined;
  return { seed, plan, bakeMs: 30 + Math.floor(next() * 90), terminationWaitMs: 10 + Math.floor(next() * 60), actions, ...(fault === undefined ? {} : { fault }) };
}

function describeRound(round: Round): string {
  const actions = round.actions.map((a) => `${a.action}@${a.anchor}+${String(a.atMs)}ms`).join(', ');
  const fault = round.fault === undefined ? 'no fault' : `${round.fault.step} fails once ${round.fault.fault.when}`;
  return `seed ${String(round.seed)}: ${round.plan}, bake ${String(round.bakeMs)} ms, ${actions}, ${fault}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function act(runtime: LocalRuntime, action: Action): Promise<void> {
  const release = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
  const approval = runtime.cloud.approvalRequests.at(-1);
  switch (action) {
    case 'promote-now':
      if (release !== undefined) await runtime.promoteNow(release, 'dana');
      return;
    case 'abort':
      if (release !== undefined) await runtime.abort(release, 'erin', 'race');
      return;
    case 'alarm':
      runtime.cloud.alarmsFiring.add('checkout-prod-5xx');
      await runtime.deliverAlarm('checkout-prod-5xx');
      return;
    case 'approve':
    case 'reject':
      if (approval !== undefined) await runtime.decide(approval.approvalId, action === 'approve' ? 'APPROVED' : 'REJECTED', APPROVER);
      return;
    case 'reconcile':
      await runtime.reconcile();
      return;
  }
}

/** Runs one round: how the execution ended, and what broke (nothing when every invariant holds). */
async function runRound(round: Round): Promise<RoundResult> {
  const runtime = await newRuntime({
    overrides: {
      taskTimeoutOverrides: { Bake: round.bakeMs, Approval: 600 },
      waitTimeOverrides: { WaitForHealth: 5, WaitForMigration: 5, TerminationWait: round.terminationWaitMs },
    },
    ...(round.fault === undefined ? {} : { faults: { [round.fault.step]: round.fault.fault } }),
  });
  const execution = runtime.startRelease(releaseInput('v2', { plan: PLANS[round.plan] }));
  const unexpected: string[] = [];
  let ended = false;
  void execution.result.finally(() => {
    ended = true;
  });
  const lastTraffic = PLANS[round.plan].steps.findLastIndex((step) => step.type === 'traffic');
  const reached = async (anchor: Anchor): Promise<boolean> => {
    if (anchor === 'start') return true;
    while (!ended) {
      const waiting = (await runtime.ledger.listReleases(CHECKOUT)).items[0]?.waiting;
      if (anchor === 'last-bake' ? waiting?.kind === 'BAKE' && waiting.stepIndex === lastTraffic : waiting?.kind === 'APPROVAL') return true;
      await sleep(3);
    }
    return false;
  };
  const acted = round.actions.map(async ({ action, anchor, atMs }) => {
    if (!(await reached(anchor))) return;
    await sleep(atMs);
    try {
      await act(runtime, action);
    } catch (error) {
      if (!(error instanceof RollgateError && REFUSALS.has(error.name))) unexpected.push(`${action}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  });
  const result = await execution.result;
  await Promise.all(acted);
  await runtime.settled();
  const outcome = result.status === 'FAILED' ? `FAILED:${result.error}` : result.status;
  return { kind: outcome, ended: outcome, broken: [...unexpected, ...(await violations(runtime, outcome))] };
}

/** The invariants, checked once the round has settled. */
async function violations(runtime: LocalRuntime, ended: string): Promise<string[]> {
  // Traffic only on live healthy fleets, the stable one taking it all, nothing left behind, the lock free.
  const { found, stable } = await settledViolations(runtime);
  const check = (ok: boolean, what: string) => {
    if (!ok) found.push(what);
  };

  // The ledger matches how the execution ended.
  const releases = (await runtime.ledger.listReleases(CHECKOUT)).items;
  const release = releases[0];
  check(releases.length <= 1, `${String(releases.length)} releases`);
  if (release === undefined) {
    check(ended === 'FAILED:AlarmsFiringError', `no release, but the execution ended ${ended}`);
    check(stable?.version === 'v1', `no release, but ${stable?.version ?? 'nothing'} is stable`);
  } else {
    const expected: Readonly<Record<string, readonly string[]>> = {
      SUCCEEDED: ['SUCCEEDED'],
      'FAILED:ReleaseAborted': ['ABORTED'],
      'FAILED:RolledBack': ['ROLLED_BACK', 'FAILED'],
      'FAILED:ApprovalRejected': ['ROLLED_BACK', 'FAILED'],
      'FAILED:ApprovalTimedOut': ['ROLLED_BACK', 'FAILED'],
    };
    check((expected[ended] ?? []).includes(release.status), `the execution ended ${ended} but the release is ${release.status} (${release.outcome ?? ''}: ${release.reason ?? ''})`);
    check(stable?.version === (release.status === 'SUCCEEDED' ? 'v2' : 'v1'), `release ${release.status} but ${stable?.version ?? 'nothing'} is stable`);
    check(release.status === 'SUCCEEDED' || release.rollbackCause !== undefined, `release ${release.status} without a rollback cause`);
  }
  return found;
}

describe('races between the flow and everyone acting on it', () => {
  // The rounds are not all alike: releases ship and roll back for different reasons.
  raceBatches({ rounds: ROUNDS, firstSeed: FIRST_SEED, parallel: PARALLEL, perTest: ROUNDS_PER_TEST, minKinds: 3, roundOf, describe: describeRound, run: runRound });

  it('is able to fail: a round whose traffic points at a retired fleet is reported', async () => {
    const runtime = await newRuntime();
    const checkout = runtime.deps.config.services.find((s) => s.service === CHECKOUT.service);
    const v1 = runtime.cloud.liveFleets().find((f) => f.version === 'v1');
    if (checkout === undefined || v1 === undefined) throw new Error('no onboarded checkout fleet');
    await runtime.cloud.fleet.retire(checkout.fleet, v1.ref);
    expect(await violations(runtime, 'SUCCEEDED')).toEqual(expect.arrayContaining([expect.stringContaining('which no live fleet serves'), expect.stringContaining('is not live')]));
  });
});
