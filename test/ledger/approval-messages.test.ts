import { describe, expect, it } from 'vitest';
import { ApprovalNotFoundError, InvalidInputError } from '../../functions/errors.js';
import type { Ledger } from '../../functions/ports.js';
import type { Release } from '../../functions/domain/release.js';
import { ManualClock, newLedger, startInput } from './ledger-fixture.js';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeMOCK-task-token';
const MISSING = 'A'.repeat(32);

function pendingApproval(ledger: Ledger, release: Release, timeoutSeconds = 3600) {
  return ledger.createApproval({ ...release, stepIndex: 1, taskToken: TOKEN, approvers: { users: ['U01ALICE'] }, timeoutSeconds });
}

describe('approval messages and expiry', () => {
  it('record the Slack message once and list the approval as open until its message is closed', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const later = await pendingApproval(ledger, release, 7200);
    const sooner = await pendingApproval(ledger, release, 600);
    const recorded = await ledger.recordApprovalMessage({ approvalId: later.approvalId, channel: 'C0RELEASES', ts: '1700000000.000100' });
    expect(recorded.slackMessage).toEqual({ channel: 'C0RELEASES', ts: '1700000000.000100' });
    await ledger.recordApprovalMessage({ approvalId: sooner.approvalId, channel: 'C0RELEASES', ts: '1700000000.000200' });

    // Recording again keeps the first message.
    const again = await ledger.recordApprovalMessage({ approvalId: later.approvalId, channel: 'C0OTHER', ts: '1700000001.000100' });
    expect(again.slackMessage).toEqual({ channel: 'C0RELEASES', ts: '1700000000.000100' });
    expect((await ledger.getApproval(later.approvalId))?.slackMessage).toEqual({ channel: 'C0RELEASES', ts: '1700000000.000100' });

    expect(await ledger.listOpenApprovalMessages()).toEqual([
      { approvalId: sooner.approvalId, expiresAt: sooner.expiresAt },
      { approvalId: later.approvalId, expiresAt: later.expiresAt },
    ]);
    await ledger.closeApprovalMessage(sooner);
    await ledger.closeApprovalMessage(sooner); // absent is success
    expect(await ledger.listOpenApprovalMessages()).toEqual([{ approvalId: later.approvalId, expiresAt: later.expiresAt }]);
  });

  it('refuse a message for an unknown approval and malformed channels or timestamps', async () => {
    const { ledger } = await newLedger();
    await expect(ledger.recordApprovalMessage({ approvalId: MISSING, channel: 'C0RELEASES', ts: '1700000000.000100' })).rejects.toBeInstanceOf(ApprovalNotFoundError);
    await expect(ledger.recordApprovalMessage({ approvalId: MISSING, channel: '#releases', ts: '1700000000.000100' })).rejects.toThrow(/recordApprovalMessage: channel: must be a Slack channel id/);
    await expect(ledger.recordApprovalMessage({ approvalId: MISSING, channel: 'C0RELEASES', ts: 'now' })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('mark an approval expired once, with an APPROVAL_EXPIRED audit event', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    const release = await ledger.startRelease(startInput());
    const approval = await pendingApproval(ledger, release);
    clock.advance(3600_000);
    const expired = await ledger.markApprovalExpired({ approvalId: approval.approvalId, reason: 'timed out without a decision' });
    expect(expired.expired).toEqual({ at: clock.now().toISOString(), reason: 'timed out without a decision' });
    clock.advance(1000);
    const again = await ledger.markApprovalExpired({ approvalId: approval.approvalId, reason: 'something else' });
    expect(again.expired).toEqual(expired.expired);
    expect((await ledger.getApproval(approval.approvalId))?.expired).toEqual(expired.expired);
    const events = (await ledger.listEvents(release)).filter((e) => e.type === 'APPROVAL_EXPIRED');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ message: 'approval of step 1 expired: timed out without a decision', data: { approvalId: approval.approvalId, decided: false } });
    await expect(ledger.markApprovalExpired({ approvalId: MISSING, reason: 'x' })).rejects.toBeInstanceOf(ApprovalNotFoundError);
  });

  it('can mark a decided approval expired when its decision came after the task closed, keeping the decision', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const approval = await pendingApproval(ledger, release);
    await ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'U01ALICE' });
    const expired = await ledger.markApprovalExpired({ approvalId: approval.approvalId, reason: 'the task had closed' });
    expect(expired.decision).toMatchObject({ outcome: 'APPROVED', by: 'U01ALICE' });
    expect(expired.expired?.reason).toBe('the task had closed');
  });
});
