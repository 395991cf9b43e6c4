/**
 * "Promote now" and "Abort" on the Slack approval message, over signed Slack
 * POSTs to the approval endpoint, against the real flow (local engine,
 * DynamoDB Local, simulated cloud): what each does to the ledger and to the
 * weights, who it records, and what it refuses, with the ledger and the
 * traffic left exactly as they were.
 */
import { describe, expect, it } from 'vitest';
import { ACTION_ABORT, ACTION_APPROVE, ACTION_OPEN_PAGE, ACTION_PROMOTE_NOW, ACTION_REJECT } from '../../functions/approval/message.js';
import type { ApprovalLogEntry } from '../../functions/approval/decisions.js';
import type { PlanInput } from '../../functions/domain/plan.js';
import { CloudProviderUnavailableError } from '../../functions/errors.js';
import type { Callbacks } from '../../functions/ports.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, settledViolations, until } from '../flow/flow-fixture.js';
import { ALICE, BOB, DANA, MALLORY, RELEASE_MANAGERS, click, expectStillWaiting, hasButtons, releaseAwaitingApproval, type ApprovalHarness, type HarnessOptions } from './approval-harness.js';

/** A second approval ahead that only Bob may give (Alice may give the first). */
const TWO_APPROVALS_PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 10, bakeSeconds: 60 },
    { type: 'approval', approvers: { users: [ALICE, DANA], groups: [RELEASE_MANAGERS] }, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 50, bakeSeconds: 60 },
    { type: 'approval', approvers: { users: [BOB] }, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 60 },
  ],
};

/** A harness whose endpoint's log lines are kept (a refusal's line names the error). */
async function harness(options: HarnessOptions = {}): Promise<{ h: ApprovalHarness; log: ApprovalLogEntry[] }> {
  const log: ApprovalLogEntry[] = [];
  const h = await releaseAwaitingApproval({ ...options, endpoint: { log: (entry) => log.push(entry), ...options.endpoint } });
  return { h, log };
}

/** Everything a refused click must leave as it was: the release, its events, the approval, the weights, the flow. */
async function snapshot(h: ApprovalHarness) {
  await until(() => (h.runtime.stepsRunning === 0 ? true : undefined));
  const release = await h.release();
  return { release, events: await h.runtime.ledger.listEvents(release), approval: await h.approval(), weights: h.runtime.cloud.weightsOn(LISTENER) };
}

/** The refusal logged for the last refused click: its error's name and message. */
function refusalOf(log: readonly ApprovalLogEntry[]): string {
  return log.filter((e) => e.message.startsWith('Slack decision refused')).at(-1)?.error ?? '';
}

/** The engine's callbacks, with the first SendTaskFailure throttled (an Abort's send to the flow fails once). */
function sendTaskFailureThrottledOnce(engine: Callbacks): Callbacks {
  let failures = 1;
  return {
    success: (token, output) => engine.success(token, output),
    async failure(token, error, cause) {
      if (failures-- > 0) throw new CloudProviderUnavailableError('states', 'SendTaskFailure', 'ThrottlingException', 'Rate exceeded');
      await engine.failure(token, error, cause);
    },
  };
}

describe('Promote now on the Slack approval message', () => {
  it('shows Approve, Reject, Promote now, Abort and Open in browser on the open message, each carrying the approval id only', async () => {
    const { h } = await harness();
    const actions = h.message.blocks.find((b) => (b as { type?: string }).type === 'actions') as { elements: { action_id: string; value: string }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual([ACTION_APPROVE, ACTION_REJECT, ACTION_PROMOTE_NOW, ACTION_ABORT, ACTION_OPEN_PAGE]);
    expect(new Set(actions.elements.map((e) => e.value))).toEqual(new Set([h.approvalId]));
    expect(actions.elements.length).toBeLessThanOrEqual(25);
  });

  it('by an allowed approver: approves and skips the remaining steps, straight to 100% and SUCCEEDED, the approver recorded', async () => {
    const { h } = await harness();
    expect(await click(h, 'promote', ALICE)).toMatchObject({ status: 200, outcome: 'promoted' });
    const result = await h.execution.result;
    expect(result.status).toBe('SUCCEEDED');

    const release = await h.release();
    expect(release).toMatchObject({ status: 'SUCCEEDED', outcome: 'PROMOTED', promoteFull: { by: ALICE, via: 'slack', stepIndex: 1 } });
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE, via: 'slack' });
    const events = await h.runtime.ledger.listEvents(release);
    expect(events.find((e) => e.type === 'PROMOTE_FULL')).toMatchObject({ actor: ALICE, data: { stepIndex: 1, skipped: 1, via: 'slack' } });
    expect(events.find((e) => e.type === 'STEPS_SKIPPED')).toMatchObject({ actor: ALICE, data: { from: 2, skipped: 1 } });
    // Only the first traffic step set weights; the 100% step was skipped, Finalize put 100% on the new fleet.
    expect(events.filter((e) => e.type === 'WEIGHTS_SET').map((e) => (e.data as { step: number }).step)).toEqual([0]);
    expect(events.some((e) => e.type === 'BAKED' && e.eventId === 'baked:2')).toBe(false);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['PROMOTED', 'FLEET_RETIRED']));
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
    expect(await h.runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v2', releaseId: release.releaseId });
    expect((await settledViolations(h.runtime)).found).toEqual([]);

    // The message says who decided, without buttons.
    await until(() => (hasButtons(h.message) ? undefined : true));
    expect(h.message.text).toContain(`approved by ${ALICE}`);
  });

  it('by the release starter: refused by four-eyes with PromotionNotAllowedError, nothing changed', async () => {
    const { h, log } = await harness();
    const before = await snapshot(h);
    expect(await click(h, 'promote', DANA)).toMatchObject({ status: 200, outcome: 'promotion-not-allowed' });
    expect(refusalOf(log)).toMatch(/^PromotionNotAllowedError: U03DANA may not promote release .* now \(plan step 1\): whoever started the release may not approve it \(four-eyes\)/);
    expect(h.approvals.stub.ephemerals.at(-1)).toMatchObject({ user: DANA, text: expect.stringContaining('Nothing changed') as string });
    await expectStillWaiting(h);
    expect(await snapshot(h)).toEqual(before);
    expect(before.release.promoteFull).toBeUndefined();
    expect(hasButtons(h.message)).toBe(true);
  });

  it('by someone who is no approver: refused, nothing changed', async () => {
    const { h, log } = await harness();
    const before = await snapshot(h);
    expect(await click(h, 'promote', MALLORY)).toMatchObject({ status: 200, outcome: 'promotion-not-allowed' });
    expect(refusalOf(log)).toMatch(/^PromotionNotAllowedError: U09MALLORY .*\(plan step 1\): not one of the approvers of that approval step/);
    await expectStillWaiting(h);
    expect(await snapshot(h)).toEqual(before);
  });

  it('when an approval step ahead does not name the approver: refused naming that step, nothing changed; its own approver may', async () => {
    const { h, log } = await harness({ plan: TWO_APPROVALS_PLAN });
    const before = await snapshot(h);
    expect(await click(h, 'promote', ALICE)).toMatchObject({ status: 200, outcome: 'promotion-not-allowed' });
    expect(refusalOf(log)).toMatch(/^PromotionNotAllowedError: U01ALICE .*\(plan step 3\): not one of the approvers of that approval step/);
    expect(h.approvals.stub.ephemerals.at(-1)?.text).toContain('at step 4');
    await expectStillWaiting(h);
    expect(await snapshot(h)).toEqual(before);

    // Bob is in the release managers (step 1) and named by step 3: he may pass both.
    expect(await click(h, 'promote', BOB)).toMatchObject({ status: 200, outcome: 'promoted' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
    const events = await h.runtime.ledger.listEvents(await h.release());
    expect(events.filter((e) => e.type === 'WEIGHTS_SET').map((e) => (e.data as { step: number }).step)).toEqual([0]);
    expect(events.find((e) => e.type === 'PROMOTE_FULL')).toMatchObject({ actor: BOB, data: { skipped: 3 } });
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
  });

  it('when nobody knows who started the release: refused (four-eyes asks two approvers), nothing changed', async () => {
    const { h, log } = await harness({ trigger: { source: 'test', commit: 'abc1234', author: 'dana' } });
    const before = await snapshot(h);
    expect(await click(h, 'promote', ALICE)).toMatchObject({ status: 200, outcome: 'promotion-not-allowed' });
    expect(refusalOf(log)).toMatch(/^PromotionNotAllowedError: .*nobody knows who started this release/);
    await expectStillWaiting(h);
    expect(await snapshot(h)).toEqual(before);
  });
});

describe('Abort on the Slack approval message', () => {
  it('by an approver (the starter too: no four-eyes to stop a release): ABORTED, 100% back on stable, the approval rejected as "aborted by"', async () => {
    const { h } = await harness();
    expect(await click(h, 'abort', DANA)).toMatchObject({ status: 200, outcome: 'aborted' });
    const result = await h.execution.result;
    expect(result).toMatchObject({ status: 'FAILED', error: 'ReleaseAborted' });
    const release = await h.release();
    expect(release).toMatchObject({ status: 'ABORTED', rollbackCause: 'abort' });
    expect(release.statusReason).toBe(`aborted by ${DANA}`);
    expect(await h.approval()).toMatchObject({ decision: { outcome: 'REJECTED', by: DANA, via: 'slack', comment: `aborted by ${DANA}` } });
    expect((await h.approval()).deliveredAt).toBeDefined();
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(await h.runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v1' });
    expect((await settledViolations(h.runtime)).found).toEqual([]);
    await until(() => (hasButtons(h.message) ? undefined : true));
    expect(h.message.text).toContain(`rejected by ${DANA}`);
    expect(JSON.stringify(h.message.blocks)).toContain(`aborted by ${DANA}`);
  });

  it('clicked again after its send to the flow failed: the release, already marked ROLLING_BACK, is stopped then, ending ABORTED', async () => {
    const { h } = await harness({ callbacks: sendTaskFailureThrottledOnce });
    expect(await click(h, 'abort', BOB)).toMatchObject({ status: 500 });
    expect(await h.release()).toMatchObject({ status: 'ROLLING_BACK', rollbackCause: 'abort', waiting: { approvalId: h.approvalId } });
    expect((await h.approval()).deliveredAt).toBeUndefined();
    expect(h.execution.describe().status).toBe('RUNNING');

    expect(await click(h, 'abort', BOB)).toMatchObject({ status: 200, outcome: 'aborted' });
    expect(await h.execution.result).toMatchObject({ status: 'FAILED', error: 'ReleaseAborted' });
    expect(await h.release()).toMatchObject({ status: 'ABORTED', statusReason: `aborted by ${BOB}` });
    expect((await h.approval()).deliveredAt).toBeDefined();
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
  });

  it('whose send to the flow failed is delivered by the sweeper as an abort: ABORTED, not a plain rejection', async () => {
    const { h } = await harness({ callbacks: sendTaskFailureThrottledOnce });
    expect(await click(h, 'abort', BOB)).toMatchObject({ status: 500 });
    expect((await h.approval()).decision).toMatchObject({ outcome: 'REJECTED', by: BOB, action: 'abort' });
    h.shiftClock(60_000);
    expect((await h.server.endpoint.sweep()).delivered).toEqual([h.approvalId]);
    expect(await h.execution.result).toMatchObject({ status: 'FAILED', error: 'ReleaseAborted' });
    expect(await h.release()).toMatchObject({ status: 'ABORTED', statusReason: `aborted by ${BOB}` });
    expect((await h.approval()).deliveredAt).toBeDefined();
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
  });

  it('by someone who is no approver: refused (not-an-approver), nothing changed', async () => {
    const { h, log } = await harness();
    const before = await snapshot(h);
    expect(await click(h, 'abort', MALLORY)).toMatchObject({ status: 200, outcome: 'not-an-approver' });
    expect(refusalOf(log)).toMatch(/^NotAnApproverError/);
    await expectStillWaiting(h);
    expect(await snapshot(h)).toEqual(before);
  });
});
