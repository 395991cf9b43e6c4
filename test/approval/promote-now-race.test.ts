/**
 * "Promote now" clicked in Slack at the moment an alarm fires, over several
 * seeded rounds on the real flow (local engine, DynamoDB Local, simulated
 * cloud, the approval endpoint over HTTP). Whichever lands first, after
 * every round: traffic points only at a live, healthy fleet; the ledger
 * matches how the execution ended (a full promotion skipped the remaining
 * steps, a rollback left v1 stable); the lock is free.
 *
 * A failure names its seed; `RACE_SEED=<n>` replays from it, `RACE_ROUNDS` runs more.
 */
import { describe, expect, it } from 'vitest';
import { RollgateError } from '../../functions/errors.js';
import { seededRandom } from '../../local/sim/random.js';
import { CHECKOUT, settledViolations } from '../flow/flow-fixture.js';
import { ALICE, click, releaseAwaitingApproval } from './approval-harness.js';

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 8);
const FIRST_SEED = Number(process.env.RACE_SEED ?? 20_261_203);
const ALARM = 'checkout-prod-5xx';

/** What the click may be told when the alarm got there first: the decision came too late, nothing else. */
const CLICK_OUTCOMES = new Set(['promoted', 'no-longer-waiting', 'expired']);
/** What the alarm handler may refuse with when the promotion got there first. */
const ALARM_REFUSALS = new Set(['ReleaseNotActiveError', 'TaskAlreadyClosedError']);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function round(seed: number): Promise<{ ended: string; what: string; broken: string[] }> {
  const next = seededRandom(seed);
  // A click goes through HTTP, the signature and the approver directory before it decides: the
  // alarm's window is wider so that either may land first.
  const clickAfterMs = Math.floor(next() * 10);
  const alarmAfterMs = Math.floor(next() * 400);
  const h = await releaseAwaitingApproval();
  const broken: string[] = [];

  const [clicked] = await Promise.all([
    (async () => {
      await sleep(clickAfterMs);
      return click(h, 'promote', ALICE);
    })(),
    (async () => {
      await sleep(alarmAfterMs);
      h.runtime.cloud.alarmsFiring.add(ALARM);
      try {
        await h.runtime.deliverAlarm(ALARM);
      } catch (error) {
        if (!(error instanceof RollgateError && ALARM_REFUSALS.has(error.name))) broken.push(`alarm: ${String(error)}`);
      }
    })(),
  ]);
  const result = await h.execution.result;
  await h.runtime.settled();
  const ended = result.status === 'FAILED' ? `FAILED:${result.error ?? ''}` : result.status;

  if (clicked.status !== 200 || !CLICK_OUTCOMES.has(clicked.outcome ?? '')) broken.push(`click answered ${String(clicked.status)} ${String(clicked.outcome)}`);
  const { found, stable } = await settledViolations(h.runtime);
  broken.push(...found);
  const release = await h.release();
  const events = await h.runtime.ledger.listEvents(release);
  const approval = await h.approval();
  if (ended === 'SUCCEEDED') {
    // Only the full promotion ends this plan (the approval has no other decider in the round).
    if (release.status !== 'SUCCEEDED') broken.push(`the execution SUCCEEDED but the release is ${release.status}`);
    if (stable?.version !== 'v2') broken.push(`SUCCEEDED but ${stable?.version ?? 'nothing'} is stable`);
    if (release.promoteFull?.by !== ALICE) broken.push(`SUCCEEDED without a full promotion by ${ALICE}`);
    if (events.some((e) => e.type === 'WEIGHTS_SET' && (e.data as { step?: number } | undefined)?.step === 2)) broken.push('the skipped 100% step set weights');
    if (approval.decision?.outcome !== 'APPROVED' || approval.decision.by !== ALICE) broken.push(`SUCCEEDED, approval decision ${JSON.stringify(approval.decision)}`);
  } else {
    if (ended !== 'FAILED:RolledBack') broken.push(`the execution ended ${ended}`);
    if (release.status !== 'ROLLED_BACK') broken.push(`the execution ended ${ended} but the release is ${release.status}`);
    if (release.rollbackCause !== 'alarm') broken.push(`rolled back for ${String(release.rollbackCause)}, not the alarm`);
    if (stable?.version !== 'v1') broken.push(`rolled back but ${stable?.version ?? 'nothing'} is stable`);
    // The new version never became stable: no PROMOTED event, whatever the click recorded.
    if (events.some((e) => e.type === 'PROMOTED')) broken.push('rolled back, yet the ledger says PROMOTED');
  }
  if ((await h.runtime.ledger.getLock(CHECKOUT)) !== undefined) broken.push('the lock is held');
  return { ended, what: `click at +${String(clickAfterMs)} ms (${String(clicked.outcome)}), alarm at +${String(alarmAfterMs)} ms`, broken };
}

describe('Promote now against an alarm firing at the same moment', () => {
  it(`keeps traffic on a live healthy fleet, the ledger true to the execution and the lock free, over ${String(ROUNDS)} rounds`, async () => {
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    for (let i = 0; i < ROUNDS; i++) {
      const seed = FIRST_SEED + i;
      const { ended, what, broken } = await round(seed);
      outcomes.set(ended, (outcomes.get(ended) ?? 0) + 1);
      if (broken.length > 0) failures.push(`seed ${String(seed)}: ${what} (ended ${ended})\n  - ${broken.join('\n  - ')}`);
    }
    expect(failures, failures.join('\n')).toEqual([]);
    expect([...outcomes.keys()].every((o) => o === 'SUCCEEDED' || o === 'FAILED:RolledBack'), JSON.stringify([...outcomes])).toBe(true);
  }, 300_000);
});
