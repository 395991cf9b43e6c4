import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../functions/errors.js';
import { newLedger, startInput } from './ledger-fixture.js';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeMOCK-task-token';

async function decided() {
  const { ledger } = await newLedger();
  const release = await ledger.startRelease(startInput());
  const approval = await ledger.createApproval({ ...release, stepIndex: 1, taskToken: TOKEN, approvers: { users: ['U01ALICE'] }, timeoutSeconds: 3600 });
  await ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'U01ALICE' });
  return { ledger, release, approval };
}

describe('approval delivery', () => {
  it('records delivery once, with an APPROVAL_DELIVERED event, and a delivered decision cannot be expired', async () => {
    const { ledger, release, approval } = await decided();
    const delivered = await ledger.markApprovalDelivered(approval.approvalId);
    expect(delivered.deliveredAt).toBeDefined();
    expect((await ledger.markApprovalDelivered(approval.approvalId)).deliveredAt).toBe(delivered.deliveredAt);
    const expired = await ledger.markApprovalExpired({ approvalId: approval.approvalId, reason: 'the release no longer waits for it' });
    expect(expired.expired).toBeUndefined();
    expect((await ledger.getApproval(approval.approvalId))?.expired).toBeUndefined();
    expect((await ledger.listEvents(release)).filter((e) => e.type === 'APPROVAL_DELIVERED')).toHaveLength(1);
  });

  it('marks an expired decision undelivered, and takes the mark back when a concurrent send did deliver it', async () => {
    const { ledger, approval } = await decided();
    const expired = await ledger.markApprovalExpired({ approvalId: approval.approvalId, reason: 'task closed' });
    expect(expired.expired).toMatchObject({ reason: 'task closed', decisionUndelivered: true });
    const delivered = await ledger.markApprovalDelivered(approval.approvalId);
    expect(delivered.expired).toBeUndefined();
    expect(await ledger.getApproval(approval.approvalId)).toMatchObject({ deliveredAt: delivered.deliveredAt, decision: { outcome: 'APPROVED' } });
    expect((await ledger.getApproval(approval.approvalId))?.expired).toBeUndefined();
  });

  it('refuses to mark an undecided approval delivered, naming the decision', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const approval = await ledger.createApproval({ ...release, stepIndex: 1, taskToken: TOKEN, approvers: { users: ['U01ALICE'] }, timeoutSeconds: 3600 });
    await expect(ledger.markApprovalDelivered(approval.approvalId)).rejects.toThrow(InvalidInputError);
    await expect(ledger.markApprovalDelivered(approval.approvalId)).rejects.toThrow(/decision/);
  });
});
