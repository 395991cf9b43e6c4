import { describe, expect, it } from 'vitest';
import { CHECKOUT_SERVICE } from '../../local/sample-config.js';
import { until } from '../flow/flow-fixture.js';
import {
  ALICE,
  BOB,
  DANA,
  MALLORY,
  clickBody,
  click,
  expectStillWaiting,
  hasButtons,
  releaseAwaitingApproval,
} from './approval-harness.js';

describe('Slack interactivity', () => {
  it('posts a Block Kit request without the task token, and a valid click approves once and resumes the flow', async () => {
    const h = await releaseAwaitingApproval();
    // checkout's own channel (approvals.slackChannel in the sample configuration).
    expect(h.message.channel).toBe(CHECKOUT_SERVICE.approvals.slackChannel);
    expect(hasButtons(h.message)).toBe(true);
    const shown = JSON.stringify(h.approvals.stub.calls);
    expect(shown).toContain('checkout');
    expect(shown).toContain('abc1234'); // commit
    expect(shown).toContain('dana'); // author
    expect(shown).toContain('10% new / 90% stable');
    expect(shown).toContain('all OK'); // alarm status
    const { taskToken } = await h.approval();
    expect(shown).not.toContain(taskToken);
    expect(await h.approval()).toMatchObject({ slackMessage: { channel: h.message.channel, ts: h.message.ts } });

    const answer = await click(h, 'approve', ALICE);
    expect(answer).toMatchObject({ status: 200, outcome: 'approved' });
    const result = await h.execution.result;
    expect(result.status).toBe('SUCCEEDED');
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE, via: 'slack' });

    // The message now says who decided, without buttons.
    const updated = await until(() => (hasButtons(h.message) ? undefined : h.message));
    expect(updated.text).toContain(`approved by ${ALICE}`);
    expect(await h.runtime.ledger.listOpenApprovalMessages()).toEqual([]);

    // A replay of the same click (within the signature window) changes nothing.
    const events = await h.runtime.ledger.listEvents(await h.release());
    const replay = await click(h, 'approve', ALICE);
    expect(replay).toMatchObject({ status: 200, outcome: 'already-decided' });
    const reject = await click(h, 'reject', BOB);
    expect(reject).toMatchObject({ status: 200, outcome: 'already-decided' });
    expect(await h.runtime.ledger.listEvents(await h.release())).toEqual(events);
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE });
    expect(h.approvals.stub.ephemerals.at(-1)).toMatchObject({ user: BOB, text: expect.stringContaining(`Already approved by ${ALICE}`) as string });
  });

  it('lets a member of an approver user group reject, which rolls the release back', async () => {
    const h = await releaseAwaitingApproval();
    expect(await click(h, 'reject', BOB)).toMatchObject({ status: 200, outcome: 'rejected' });
    const result = await h.execution.result;
    expect(result.status).toBe('FAILED');
    expect((await h.approval()).decision).toMatchObject({ outcome: 'REJECTED', by: BOB });
    await until(() => (hasButtons(h.message) ? undefined : true));
    expect(h.message.text).toContain(`rejected by ${BOB}`);
  });

  it('refuses a forged signature, a stale or future timestamp and a tampered body with 401, leaving ledger and flow unchanged', async () => {
    const h = await releaseAwaitingApproval();
    const body = clickBody(h, 'approve', ALICE);
    const attempts = [
      await click(h, 'approve', ALICE, { signature: `v0=${'a'.repeat(64)}` }),
      await click(h, 'approve', ALICE, { signingSecret: 'not-the-signing-secret' }),
      await click(h, 'approve', ALICE, { timestamp: h.nowSeconds() - 301 }),
      await click(h, 'approve', ALICE, { timestamp: h.nowSeconds() + 301 }),
      // Signed for Mallory's click, sent as Alice's.
      await click(h, 'approve', ALICE, { body, signedBody: clickBody(h, 'approve', MALLORY) }),
      await click(h, 'approve', ALICE, { body: body.replace('approve', 'reject'), signedBody: body }),
    ];
    for (const attempt of attempts) expect(attempt).toMatchObject({ status: 401, outcome: 'bad-signature' });
    await expectStillWaiting(h);
    expect(h.approvals.stub.ephemerals).toEqual([]);
    expect(hasButtons(h.message)).toBe(true);

    // The flow is still waiting, and a genuine click still resumes it.
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 200, outcome: 'approved' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
  });

  it('refuses a non-approver and self-approval by the author, telling them why, leaving ledger and flow unchanged', async () => {
    const h = await releaseAwaitingApproval();
    expect(await click(h, 'approve', MALLORY)).toMatchObject({ status: 200, outcome: 'not-an-approver' });
    expect(await click(h, 'reject', MALLORY)).toMatchObject({ status: 200, outcome: 'not-an-approver' });
    // Dana is an approver, but authored the release (trigger author "dana" = her Slack email's name).
    expect(await click(h, 'approve', DANA)).toMatchObject({ status: 200, outcome: 'self-approval' });
    await expectStillWaiting(h);
    expect(h.approvals.stub.ephemerals.map((e) => [e.user, e.text])).toEqual([
      [MALLORY, 'You are not one of the approvers of this release.'],
      [MALLORY, 'You are not one of the approvers of this release.'],
      [DANA, expect.stringContaining('four-eyes')],
    ]);
    expect(await click(h, 'approve', BOB)).toMatchObject({ status: 200, outcome: 'approved' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
  });

  it('refuses a decision after the approval expired with "expired", records the expiry and updates the message', async () => {
    const h = await releaseAwaitingApproval();
    h.shiftClock(3601_000);
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 200, outcome: 'expired' });
    const approval = await h.approval();
    expect(approval.decision).toBeUndefined();
    expect(approval.expired?.reason).toMatch(/^timed out/);
    expect(h.execution.describe().status).toBe('RUNNING'); // no callback was sent
    expect(hasButtons(h.message)).toBe(false);
    expect(h.message.text).toContain('timed out');
    h.execution.abort();
  });

  it('hands an approver a personal browser link in an ephemeral message, and refuses one to a non-approver', async () => {
    const h = await releaseAwaitingApproval();
    expect(await click(h, 'open', MALLORY)).toMatchObject({ status: 200, outcome: 'not-an-approver' });
    expect(await click(h, 'open', BOB)).toMatchObject({ status: 200, outcome: 'link-sent' });
    const sent = h.approvals.stub.ephemerals.find((e) => e.user === BOB);
    expect(sent?.text).toContain(`${h.server.baseUrl}/approvals/${h.approvalId}?t=v1.`);
    await expectStillWaiting(h);
    h.execution.abort();
  });

  it('says so on the message when the approval times out and the release rolls back', async () => {
    const h = await releaseAwaitingApproval({ runtime: { overrides: { taskTimeoutOverrides: { Bake: 20, Approval: 300 } } }, sweepIntervalMs: 25 });
    const result = await h.execution.result;
    expect(result.status).toBe('FAILED');
    await until(() => (hasButtons(h.message) ? undefined : true));
    expect(h.message.text).toMatch(/Approval closed: checkout\/prod v2 — the release no longer waits for it/);
    const approval = await h.approval();
    expect(approval.decision).toBeUndefined();
    expect(approval.expired).toBeDefined();
    // A click now is refused: nothing decides a finished release.
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 200, outcome: 'no-longer-waiting' });
    expect((await h.approval()).decision).toBeUndefined();
    expect(h.server.sweepErrors).toEqual([]);
  });

  it('ignores requests from another workspace and actions it does not know', async () => {
    const h = await releaseAwaitingApproval();
    const otherTeam = clickBody(h, 'approve', ALICE).replace(/T0LOCAL/g, 'T0OTHER');
    expect(await click(h, 'approve', ALICE, { body: otherTeam })).toMatchObject({ status: 403, outcome: 'wrong-team' });
    const unknown = clickBody(h, 'approve', ALICE).replace('rollgate_approve', 'somebody_else');
    expect(await click(h, 'approve', ALICE, { body: unknown })).toMatchObject({ status: 200, outcome: 'ignored' });
    expect(await click(h, 'approve', ALICE, { body: 'payload=not-json' })).toMatchObject({ status: 400 });
    await expectStillWaiting(h);
    h.execution.abort();
  });
});
