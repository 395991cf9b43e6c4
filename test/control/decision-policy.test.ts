/**
 * The approval policy for IAM callers (the control API) beside Slack users:
 * who is allowed (exact principal ARNs, `…/*` session prefixes), and what
 * four-eyes compares — table-driven over functions/approval/policy.ts.
 */
import { describe, expect, it } from 'vitest';
import { authorize, principalMatches, type ApproverDirectory, type Decider } from '../../functions/approval/policy.js';
import type { StartedBy } from '../../functions/domain/identity.js';
import { ApproversSchema } from '../../functions/domain/approval.js';

const ROLE = 'arn:aws:sts::123456789012:assumed-role/Operators';
const approval = {
  approvalId: 'apr_0123456789abcdef',
  approvers: { users: ['U01ALICE'], groups: [], principals: [`${ROLE}/*`, 'arn:aws:iam::123456789012:user/erin'] },
};

/** Slack as the policy sees it: Dana's Slack names, no groups. */
const directory: ApproverDirectory = {
  groupMembers: () => Promise.resolve(new Set<string>()),
  identities: (userId) => Promise.resolve(userId === 'U03DANA' ? ['U03DANA', 'dana', 'Dana Diaz', 'dana@example.com'] : [userId]),
};

const run = (decider: Decider, startedBy: StartedBy | undefined, outcome: 'APPROVED' | 'REJECTED' = 'APPROVED') =>
  authorize(directory, { approval, ...decider, outcome, startedBy, fourEyes: true });

describe('principal patterns', () => {
  it.each([
    [`${ROLE}/*`, `${ROLE}/alice`, true],
    [`${ROLE}/*`, 'arn:aws:sts::123456789012:assumed-role/OperatorsAdmin/alice', false],
    ['arn:aws:iam::123456789012:user/erin', 'arn:aws:iam::123456789012:user/erin', true],
    ['arn:aws:iam::123456789012:user/erin', 'arn:aws:iam::123456789012:user/erin2', false],
  ])('%s allows %s: %s', (pattern, arn, allowed) => {
    expect(principalMatches(pattern, arn)).toBe(allowed);
  });

  it.each([
    ['a star inside the ARN', 'arn:aws:sts::123456789012:assumed-role/Oper*'],
    ['a bare star', '*'],
    ['not an ARN', 'alice'],
  ])('refuses %s as an approver principal, naming the field', (_what, pattern) => {
    const parsed = ApproversSchema.safeParse({ principals: [pattern] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['principals', 0]);
  });
});

describe('the approval policy for IAM callers', () => {
  it.each<[string, Decider, StartedBy | undefined, string, number?]>([
    ['a session of the allowed role, someone else started', { principalArn: `${ROLE}/alice` }, { kind: 'iam-principal', id: `${ROLE}/dana` }, 'ok', 1],
    ['an allowed IAM user', { principalArn: 'arn:aws:iam::123456789012:user/erin' }, { kind: 'iam-principal', id: `${ROLE}/dana` }, 'ok', 1],
    ['a principal not on the list', { principalArn: 'arn:aws:iam::123456789012:user/mallory' }, undefined, 'NotAnApproverError'],
    ['a Slack user id given as a principal is not a principal', { principalArn: 'U01ALICE' }, undefined, 'NotAnApproverError'],
    ['an allowed Slack user is not allowed as an IAM principal, nor the reverse', { userId: `${ROLE}/alice` }, undefined, 'NotAnApproverError'],
    ['the starter, same ARN', { principalArn: `${ROLE}/dana` }, { kind: 'iam-principal', id: `${ROLE}/dana` }, 'SelfApprovalError'],
    ['the starter through another role, same session name', { principalArn: `${ROLE}/dana` }, { kind: 'iam-principal', id: 'arn:aws:iam::123456789012:user/Dana' }, 'SelfApprovalError'],
    ['the starter as a CodeBuild initiator', { principalArn: `${ROLE}/dana` }, { kind: 'codebuild-initiator', id: 'Deployers/dana' }, 'SelfApprovalError'],
    ['the Slack starter, by her Slack handle', { principalArn: `${ROLE}/dana` }, { kind: 'slack-user', id: 'U03DANA' }, 'SelfApprovalError'],
    ['someone else than the Slack starter', { principalArn: `${ROLE}/alice` }, { kind: 'slack-user', id: 'U03DANA' }, 'ok', 1],
    ['an unknown starter: allowed, but two distinct approvers are needed', { principalArn: `${ROLE}/alice` }, undefined, 'ok', 2],
    ['a Slack approver, IAM starter', { userId: 'U01ALICE' }, { kind: 'iam-principal', id: `${ROLE}/dana` }, 'ok', 1],
  ])('%s', async (_what, decider, startedBy, expected, required) => {
    if (expected === 'ok') {
      expect(await run(decider, startedBy)).toEqual({ approversRequired: required });
    } else {
      await expect(run(decider, startedBy)).rejects.toMatchObject({ name: expected });
    }
  });

  it('lets the starter reject their own release', async () => {
    expect(await run({ principalArn: `${ROLE}/dana` }, { kind: 'iam-principal', id: `${ROLE}/dana` }, 'REJECTED')).toEqual({ approversRequired: 1 });
  });

  it('fails closed for a caller whose ARN names nobody, when the starter is known', async () => {
    const roleOnly = { ...approval, approvers: { ...approval.approvers, principals: ['arn:aws:iam::123456789012:root'] } };
    await expect(
      authorize(directory, { approval: roleOnly, principalArn: 'arn:aws:iam::123456789012:root', outcome: 'APPROVED', startedBy: { kind: 'iam-principal', id: `${ROLE}/dana` }, fourEyes: true }),
    ).rejects.toMatchObject({ name: 'SelfApprovalError' });
  });
});
