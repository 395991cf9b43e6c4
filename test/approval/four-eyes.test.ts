/**
 * Four-eyes compares identities, not free text: whoever started a release
 * cannot approve it alone, whatever the free-text author says and however a
 * name is disguised. Attacks by Dana, an approver, on her own release.
 */
import { describe, expect, it } from 'vitest';
import { authorize, type ApproverDirectory } from '../../functions/approval/policy.js';
import type { StartedBy } from '../../functions/domain/identity.js';
import { SelfApprovalError } from '../../functions/errors.js';
import { ALICE, BOB, DANA, click, expectStillWaiting, hasButtons, releaseAwaitingApproval } from './approval-harness.js';

const directory: ApproverDirectory = {
  groupMembers: () => Promise.resolve(new Set<string>()),
  identities: (user) =>
    Promise.resolve(
      user === DANA ? [DANA, 'dana.d', 'Dana Diaz', 'dana@example.com'] : user === ALICE ? [ALICE, 'alice', 'alice@example.com'] : [user],
    ),
};
const approval = { approvalId: 'abcdefghijklmnopqrstuvwxyz012345', approvers: { users: [ALICE, DANA], groups: [] } };

/** Whether Dana, approving, is enough on her own. */
async function danaAloneApproves(startedBy: StartedBy | undefined): Promise<boolean> {
  try {
    const { approversRequired } = await authorize(directory, { approval, userId: DANA, outcome: 'APPROVED', startedBy, fourEyes: true });
    return approversRequired === 1;
  } catch (error) {
    if (error instanceof SelfApprovalError) return false;
    throw error;
  }
}

describe('four-eyes against a disguised author', () => {
  it.each<[string, StartedBy | undefined]>([
    ['no identity at all (an ECR push)', undefined],
    ['her Slack user id', { kind: 'slack-user', id: DANA }],
    ['her IAM user', { kind: 'iam-principal', id: 'arn:aws:iam::123456789012:user/dana' }],
    ['her Identity Center session (her email)', { kind: 'iam-principal', id: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Deploy_0123/Dana@Example.com' }],
    ['her CodeBuild initiator', { kind: 'codebuild-initiator', id: 'dana.d' }],
    ['her assumed role in CodeBuild', { kind: 'codebuild-initiator', id: 'Deployer/dana' }],
    ['a pipeline started the build', { kind: 'codebuild-initiator', id: 'codepipeline/checkout-release' }],
    ['a webhook started the build', { kind: 'codebuild-initiator', id: 'GitHub-Hookshot/8a1b2c3' }],
    ['a role without a session', { kind: 'iam-principal', id: 'arn:aws:iam::123456789012:role/Deployer' }],
    ['a zero-width space in her name', { kind: 'iam-principal', id: 'arn:aws:sts::123456789012:assumed-role/Deployer/da\u200Bna' }],
    ['a Cyrillic look-alike of her name', { kind: 'codebuild-initiator', id: 'd\u0430na' }],
    ['a bidi override spelling her name backwards', { kind: 'codebuild-initiator', id: '\u202Eanad' }],
    ['a full-width look-alike of her name (NFKC folds it)', { kind: 'codebuild-initiator', id: '\uFF44\uFF41\uFF4E\uFF41' }],
    ['a forged Slack id', { kind: 'slack-user', id: 'U03DANA\u200B' }],
  ])('Dana cannot approve alone when the release was started with %s', async (_case, startedBy) => {
    expect(await danaAloneApproves(startedBy)).toBe(false);
  });

  it('another approver approves alone when the starter is known and not them', async () => {
    for (const startedBy of [{ kind: 'slack-user', id: DANA }, { kind: 'iam-principal', id: 'arn:aws:iam::123456789012:user/dana' }] as const) {
      await expect(authorize(directory, { approval, userId: ALICE, outcome: 'APPROVED', startedBy, fourEyes: true })).resolves.toEqual({ approversRequired: 1 });
    }
  });
});

describe('four-eyes on a release whose author is only free text', () => {
  it.each([
    ['absent (every ECR-triggered release)', { source: 'ecr', buildId: 'checkout@sha256:1' }],
    ['a git handle that is not her Slack name', { source: 'test', author: 'dana-gh' }],
    ["the approver's own name", { source: 'test', author: 'alice' }],
    ['a zero-width space', { source: 'test', author: 'da\u200Bna' }],
    ['a Cyrillic look-alike', { source: 'test', author: 'd\u0430na' }],
    ['a bidi override', { source: 'test', author: '\u202Eanad' }],
  ])('with the author %s, her approval alone does not release it; a second approver does', async (_case, trigger) => {
    const h = await releaseAwaitingApproval({ trigger });
    expect(await click(h, 'approve', DANA)).toMatchObject({ status: 200, outcome: 'approval-recorded' });
    expect(JSON.stringify(h.message.blocks)).toContain('two different approvers');
    await expectStillWaiting(h);
    expect(hasButtons(h.message)).toBe(true);
    expect(await click(h, 'approve', DANA)).toMatchObject({ status: 200, outcome: 'already-approved' });
    await expectStillWaiting(h);
    expect(await click(h, 'approve', BOB)).toMatchObject({ status: 200, outcome: 'approved' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: BOB, endorsedBy: [DANA] });
  });

  it('one rejection is enough, whoever started it', async () => {
    const h = await releaseAwaitingApproval({ trigger: { source: 'ecr' } });
    expect(await click(h, 'reject', ALICE)).toMatchObject({ status: 200, outcome: 'rejected' });
    expect((await h.execution.result).status).toBe('FAILED');
  });
});
