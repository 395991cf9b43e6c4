/**
 * The demo's automatic approver against the real approval endpoint on a
 * loopback server: it decides only the way Slack and a browser can.
 */
import { describe, expect, it } from 'vitest';
import { clickInSlack, decideOnPage, DecisionNotTakenError } from '../../local/demo/approver.js';
import { ALICE, TEAM, expectStillWaiting, releaseAwaitingApproval, type ApprovalHarness } from '../approval/approval-harness.js';

function click(h: ApprovalHarness, decision: 'APPROVED' | 'REJECTED', signingSecret = h.approvals.secrets.signingSecret) {
  return clickInSlack({
    url: h.server.url('/slack/interactivity'),
    signingSecret,
    teamId: TEAM,
    userId: ALICE,
    channel: h.message.channel,
    messageTs: h.message.ts,
    approvalId: h.approvalId,
    decision,
  });
}

describe('the automatic approver', () => {
  it('approves with a block_actions click signed like Slack signs it, and the release goes on', async () => {
    const h = await releaseAwaitingApproval();
    expect(await click(h, 'APPROVED')).toEqual({ status: 200, outcome: 'approved' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE, via: 'slack' });
  });

  it('gets nothing decided with a click signed with another secret: DecisionNotTakenError names the answer', async () => {
    const h = await releaseAwaitingApproval();
    const refused = click(h, 'APPROVED', 'not-the-signing-secret');
    await expect(refused).rejects.toThrow(DecisionNotTakenError);
    await expect(refused).rejects.toThrow('the approval endpoint answered 401 (bad-signature), not 200 (approved)');
    await expectStillWaiting(h);
  });

  it('rejects on the approval page: GET the personal link, POST its form with the CSRF cookie and a comment', async () => {
    const h = await releaseAwaitingApproval();
    const link = await h.server.personalLink(h.approvalId, ALICE);
    expect(await decideOnPage({ link, decision: 'REJECTED', comment: 'error budget is spent' })).toEqual({ status: 200, outcome: 'rejected' });
    expect((await h.execution.result).status).toBe('FAILED');
    expect((await h.approval()).decision).toMatchObject({ outcome: 'REJECTED', by: ALICE, via: 'browser', comment: 'error budget is spent' });
  });

  it('gets nothing decided with a forged link: the page shows no form, and DecisionNotTakenError says what it answered', async () => {
    const h = await releaseAwaitingApproval();
    const link = `${await h.server.personalLink(h.approvalId, ALICE)}x`;
    await expect(decideOnPage({ link, decision: 'APPROVED' })).rejects.toThrow('the approval page answered 403 (bad-link) without its form');
    await expectStillWaiting(h);
  });
});
