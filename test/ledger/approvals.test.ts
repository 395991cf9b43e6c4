import { describe, expect, it } from 'vitest';
import {
  AlreadyDecidedError,
  ApprovalExpiredError,
  ApprovalNotFoundError,
} from '../../functions/errors.js';
import type { Ledger } from '../../functions/ports.js';
import type { Release } from '../../functions/domain/release.js';
import { ManualClock, newLedger, startInput } from './ledger-fixture.js';

const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeMOCK-task-token';

async function pendingApproval(ledger: Ledger, release: Release, timeoutSeconds = 3600) {
  return ledger.createApproval({
    ...release,
    stepIndex: 2,
    taskToken: TOKEN,
    approvers: { users: ['U01ALICE', 'U02BOB'], groups: ['S0RELEASE'] },
    timeoutSeconds,
  });
}

describe('approvals', () => {
  it('get an opaque random id that reveals nothing of the task token', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const a = await pendingApproval(ledger, release);
    const b = await pendingApproval(ledger, release);
    expect(a.approvalId).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a.approvalId).not.toBe(b.approvalId);
    expect(a.approvalId).not.toContain(TOKEN.slice(0, 8));
    expect(await ledger.getApproval(a.approvalId)).toEqual(a);
    expect(a.decision).toBeUndefined();
  });

  it('are decided once; a second decision gets AlreadyDecidedError carrying the first', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    const release = await ledger.startRelease(startInput());
    const approval = await pendingApproval(ledger, release);
    clock.advance(60_000);
    const decided = await ledger.decideApproval({
      approvalId: approval.approvalId,
      outcome: 'APPROVED',
      by: 'U01ALICE',
      comment: 'dashboards look clean',
      via: 'slack',
    });
    expect(decided.decision).toEqual({
      outcome: 'APPROVED',
      by: 'U01ALICE',
      at: clock.now().toISOString(),
      comment: 'dashboards look clean',
      via: 'slack',
    });
    expect(decided.taskToken).toBe(TOKEN);

    clock.advance(1000);
    const again = await ledger
      .decideApproval({ approvalId: approval.approvalId, outcome: 'REJECTED', by: 'U02BOB' })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AlreadyDecidedError);
    expect((again as AlreadyDecidedError).decision).toEqual(decided.decision);
    expect((await ledger.getApproval(approval.approvalId))?.decision).toEqual(decided.decision);

    const log = await ledger.listEvents(release);
    expect(log.filter((e) => e.type.startsWith('APPROVAL_'))).toEqual([
      expect.objectContaining({ type: 'APPROVAL_GRANTED', actor: 'U01ALICE', data: { approvalId: approval.approvalId, stepIndex: 2, via: 'slack' } }),
    ]);
  });

  it('let exactly one of two concurrent decisions land', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    const approval = await pendingApproval(ledger, release);
    const results = await Promise.allSettled([
      ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'U01ALICE' }),
      ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'REJECTED', by: 'U02BOB' }),
    ]);
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(1);
    const lost = results.find((r) => r.status === 'rejected');
    expect(lost?.reason).toBeInstanceOf(AlreadyDecidedError);
    expect((await ledger.getApproval(approval.approvalId))?.decision).toEqual(won[0]?.decision);
  });

  it('take a retried step\'s new task token only while undecided, unexpired and still on the token read', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    const release = await ledger.startRelease(startInput());
    const approval = await pendingApproval(ledger, release);
    const RETRY_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAeMOCK-retried-task-token';

    // Someone else's view of the token: refused, nothing changes.
    expect(await ledger.replaceApprovalToken({ approvalId: approval.approvalId, previousTaskToken: 'not-the-token', taskToken: RETRY_TOKEN })).toBeUndefined();
    expect((await ledger.getApproval(approval.approvalId))?.taskToken).toBe(TOKEN);

    const swapped = await ledger.replaceApprovalToken({ approvalId: approval.approvalId, previousTaskToken: TOKEN, taskToken: RETRY_TOKEN });
    expect(swapped).toEqual({ ...approval, taskToken: RETRY_TOKEN });
    // The decision resumes the new token.
    const decided = await ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'U01ALICE' });
    expect(decided.taskToken).toBe(RETRY_TOKEN);
    // Decided: it takes no other token.
    expect(await ledger.replaceApprovalToken({ approvalId: approval.approvalId, previousTaskToken: RETRY_TOKEN, taskToken: TOKEN })).toBeUndefined();
    expect((await ledger.getApproval(approval.approvalId))?.taskToken).toBe(RETRY_TOKEN);

    // Expired (past its deadline, or marked): no new token either.
    const late = await pendingApproval(ledger, release, 60);
    clock.advance(61_000);
    expect(await ledger.replaceApprovalToken({ approvalId: late.approvalId, previousTaskToken: TOKEN, taskToken: RETRY_TOKEN })).toBeUndefined();
    const marked = await pendingApproval(ledger, release);
    await ledger.markApprovalExpired({ approvalId: marked.approvalId, reason: 'the release was rolled back' });
    expect(await ledger.replaceApprovalToken({ approvalId: marked.approvalId, previousTaskToken: TOKEN, taskToken: RETRY_TOKEN })).toBeUndefined();
    expect(await ledger.replaceApprovalToken({ approvalId: 'A'.repeat(32), previousTaskToken: TOKEN, taskToken: RETRY_TOKEN })).toBeUndefined();
  });

  it('cannot be decided after expiry', async () => {
    const clock = new ManualClock();
    const { ledger } = await newLedger(clock);
    const release = await ledger.startRelease(startInput());
    const approval = await pendingApproval(ledger, release, 600);
    clock.advance(600_000);
    const error = await ledger
      .decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'U01ALICE' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApprovalExpiredError);
    expect((error as ApprovalExpiredError).expiresAt).toBe(approval.expiresAt);
    expect((await ledger.getApproval(approval.approvalId))?.decision).toBeUndefined();
    expect((await ledger.listEvents(release)).map((e) => e.type)).toEqual(['RELEASE_STARTED']);
  });

  it('name an unknown approval and refuse a malformed id', async () => {
    const { ledger } = await newLedger();
    await expect(
      ledger.decideApproval({ approvalId: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', outcome: 'APPROVED', by: 'U01ALICE' }),
    ).rejects.toBeInstanceOf(ApprovalNotFoundError);
    await expect(ledger.decideApproval({ approvalId: 'x#y', outcome: 'APPROVED', by: 'U01ALICE' })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'approvalId',
    });
  });

  it('need at least one approver', async () => {
    const { ledger } = await newLedger();
    const release = await ledger.startRelease(startInput());
    await expect(
      ledger.createApproval({ ...release, stepIndex: 0, taskToken: TOKEN, approvers: { users: [], groups: [] }, timeoutSeconds: 60 }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', field: 'approvers' });
  });
});
