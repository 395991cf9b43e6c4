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
  it('records delivery once, and a delivered decision cannot be expired', async () => {
    const { ledger, release, approval } = await decided();
    const delivered = await ledger.markApprovalDelivered(approval.approvalId);
    expect(delivered.deliveredAt).toBeDefined();
    expect((await ledger.markApprovalDelivered(approval.approvalId)).deliveredAt).toBe(delivered.deliveredAt);
    const expired = await ledger.markApprovalExpired({ approvalId: approval.approvalId, reason: 'the release no longer waits for it' });
    expect(expired.expired).toBeUndefined();
    expect((await ledger.getApproval(approval.approvalId))?.expired).toBeUndefined();
    expect((await ledger.listEvents(release)).filter((e) => e.type === 'APPROVAL_EXPIRED')).toEqual([]);
  });

  it('marks an expired decision undelivered, and takes the mark back when a concurrent send did deliver it', async () => {
    const { ledger, release, approval } = await decided();
    const expired = await ledger.markApprovalExpired({ approvalId: approval.approvalId, reason: 'task closed' });
    expect(expired.expired).toMatchObject({ reason: 'task closed', decisionUndelivered: true });
    const delivered = await ledger.markApprovalDelivered(approval.approvalId);
    expect(delivered.expired).toBeUndefined();
    expect(await ledger.getApproval(approval.approvalId)).toMatchObject({ deliveredAt: delivered.deliveredAt, decision: { outcome: 'APPROVED' } });
    expect((await ledger.getApproval(approval.approvalId))?.expired).toBeUndefined();
    expect((await ledger.listEvents(release)).map((e) => e.type).filter((t) => t.startsWith('APPROVAL_'))).toEqual(['APPROVAL_GRANTED', 'APPROVAL_EXPIRED', 'APPROVAL_DELIVERED']);
  });

  it('refuses to mark an undecided approval delivered, naming the decision', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const approval = await ledger.createApproval({ ...release, stepIndex: 1, taskToken: TOKEN, approvers: { users: ['U01ALICE'] }, timeoutSeconds: 3600 });
    await expect(ledger.markApprovalDelivered(approval.approvalId)).rejects.toThrow(InvalidInputError);
    await expect(ledger.markApprovalDelivered(approval.approvalId)).rejects.toThrow(/decision/);
  });
});

describe('approvals that need several approvers', () => {
  it('record a first approval as an endorsement, refuse the same approver twice, and decide on a distinct second', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const approval = await ledger.createApproval({ ...release, stepIndex: 1, taskToken: TOKEN, approvers: { users: ['U01ALICE', 'U02BOB'] }, timeoutSeconds: 3600 });
    const first = await ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'U01ALICE', quorum: 2 });
    expect(first.decision).toBeUndefined();
    expect(first.endorsements).toMatchObject([{ by: 'U01ALICE' }]);
    await expect(ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'U01ALICE', quorum: 2 })).rejects.toMatchObject({ name: 'AlreadyEndorsedError' });
    const second = await ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'U02BOB', quorum: 2 });
    expect(second.decision).toMatchObject({ outcome: 'APPROVED', by: 'U02BOB', endorsedBy: ['U01ALICE'] });
    const types = (await ledger.listEvents(release)).map((e) => e.type);
    expect(types.filter((t) => t === 'APPROVAL_ENDORSED')).toHaveLength(1);
    expect(types.filter((t) => t === 'APPROVAL_GRANTED')).toHaveLength(1);
  });

  it('let two concurrent first approvals by distinct approvers end in one decision naming both', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const approval = await ledger.createApproval({ ...release, stepIndex: 1, taskToken: TOKEN, approvers: { users: ['U01ALICE', 'U02BOB'] }, timeoutSeconds: 3600 });
    await Promise.all(['U01ALICE', 'U02BOB'].map((by) => ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by, quorum: 2 })));
    const decided = await ledger.getApproval(approval.approvalId);
    expect(decided?.decision?.outcome).toBe('APPROVED');
    expect([decided?.decision?.by, ...(decided?.decision?.endorsedBy ?? [])].sort()).toEqual(['U01ALICE', 'U02BOB']);
  });
});
