/**
 * Who may promote fully ("Promote now", `promote --full`): table-driven over
 * functions/approval/policy.ts `authorizeFullPromotion` and the plan helper
 * that finds the approval steps ahead (functions/domain/plan.ts).
 */
import { describe, expect, it } from 'vitest';
import { authorizeFullPromotion, type ApproverDirectory, type Decider, type PassedApproval } from '../../functions/approval/policy.js';
import type { StartedBy } from '../../functions/domain/identity.js';
import { PlanSchema, approvalStepsAfter } from '../../functions/domain/plan.js';
import { PromotionNotAllowedError, SlackApiError } from '../../functions/errors.js';

const ROLE = 'arn:aws:sts::123456789012:assumed-role/Operators';
const RELEASE_ID = '01M8VJ5WDQETQ912ZCSFC5766N';
const DANA_SLACK: StartedBy = { kind: 'slack-user', id: 'U03DANA' };
const DANA_IAM: StartedBy = { kind: 'iam-principal', id: `${ROLE}/dana` };

/** Slack as the policy sees it: Bob in the release managers, Dana's Slack names. */
const directory: ApproverDirectory = {
  groupMembers: (group) => Promise.resolve(new Set(group === 'S0RELEASEMGR' ? ['U02BOB'] : [])),
  identities: (userId) => Promise.resolve(userId === 'U03DANA' ? ['U03DANA', 'dana', 'Dana Diaz'] : [userId]),
};

const pending: PassedApproval = { stepIndex: 1, approval: { approvalId: 'apr_0123456789abcdef', approvers: { users: ['U01ALICE', 'U03DANA'], groups: ['S0RELEASEMGR'], principals: [`${ROLE}/*`] } } };
const bobOnly: PassedApproval = { stepIndex: 3, approval: { approvalId: `${RELEASE_ID}/step-3`, approvers: { users: ['U02BOB'], groups: [] } } };

async function refusal(decider: Decider, passes: readonly PassedApproval[], startedBy: StartedBy | undefined, fourEyes = true): Promise<string> {
  try {
    await authorizeFullPromotion(directory, { releaseId: RELEASE_ID, passes, ...decider, startedBy, fourEyes });
  } catch (error) {
    if (error instanceof PromotionNotAllowedError) return `${error.name} step ${String(error.stepIndex)}: ${error.why}`;
    throw error;
  }
  return 'allowed';
}

describe('full promotion policy', () => {
  it.each<[string, Decider, readonly PassedApproval[], StartedBy | undefined, boolean, string]>([
    ['an approver of the only approval', { userId: 'U01ALICE' }, [pending], DANA_SLACK, true, 'allowed'],
    ['a group member who is named by the approval ahead too', { userId: 'U02BOB' }, [pending, bobOnly], DANA_SLACK, true, 'allowed'],
    ['an approver the approval ahead does not name', { userId: 'U01ALICE' }, [pending, bobOnly], DANA_SLACK, true, 'PromotionNotAllowedError step 3: not one of the approvers of that approval step'],
    ['the starter (four-eyes)', { userId: 'U03DANA' }, [pending], DANA_SLACK, true, 'PromotionNotAllowedError step 1: whoever started the release may not approve it (four-eyes)'],
    ['the starter with four-eyes off', { userId: 'U03DANA' }, [pending], DANA_SLACK, false, 'allowed'],
    ['someone who is no approver', { userId: 'U09MALLORY' }, [pending], DANA_SLACK, true, 'PromotionNotAllowedError step 1: not one of the approvers of that approval step'],
    ['anyone when nobody knows who started it', { userId: 'U01ALICE' }, [pending], undefined, true, 'PromotionNotAllowedError step 1: nobody knows who started this release, so four-eyes asks 2 different approvers: approve instead'],
    ['an approver when nobody knows the starter and four-eyes is off', { userId: 'U01ALICE' }, [pending], undefined, false, 'allowed'],
    ['an IAM principal of the role', { principalArn: `${ROLE}/alice` }, [pending], DANA_IAM, true, 'allowed'],
    ['the starter through IAM', { principalArn: `${ROLE}/dana` }, [pending], DANA_IAM, true, 'PromotionNotAllowedError step 1: whoever started the release may not approve it (four-eyes)'],
    ['an IAM principal past an approval that names Slack users only', { principalArn: `${ROLE}/alice` }, [pending, bobOnly], DANA_IAM, true, 'PromotionNotAllowedError step 3: not one of the approvers of that approval step'],
    ['anyone when no approval is passed (a bake with none ahead)', { userId: 'U09MALLORY' }, [], undefined, true, 'allowed'],
  ])('%s: %s', async (_what, decider, passes, startedBy, fourEyes, expected) => {
    expect(await refusal(decider, passes, startedBy, fourEyes)).toEqual(expected);
  });

  it('keeps the policy\'s own refusal as the cause, and fails closed when Slack cannot answer', async () => {
    const caught = await authorizeFullPromotion(directory, { releaseId: RELEASE_ID, passes: [pending], userId: 'U09MALLORY', startedBy: DANA_SLACK, fourEyes: true }).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(PromotionNotAllowedError);
    expect((caught as Error).cause).toMatchObject({ name: 'NotAnApproverError' });
    const down: ApproverDirectory = { ...directory, groupMembers: () => Promise.reject(new SlackApiError('usergroups.users.list', 'timeout')) };
    await expect(authorizeFullPromotion(down, { releaseId: RELEASE_ID, passes: [pending], userId: 'U02BOB', startedBy: DANA_SLACK, fourEyes: true })).rejects.toMatchObject({ name: 'SlackApiError' });
  });
});

describe('approval steps ahead', () => {
  const plan = PlanSchema.parse({
    steps: [
      { type: 'traffic', weight: 10 },
      { type: 'approval', approvers: { users: ['U01ALICE'] } },
      { type: 'traffic', weight: 50 },
      { type: 'approval', approvers: { users: ['U02BOB'] } },
      { type: 'traffic', weight: 100 },
    ],
  });
  it.each([
    [0, [1, 3]],
    [1, [3]],
    [2, [3]],
    [3, []],
    [4, []],
  ])('after step %i: approval steps %j', (index, expected) => {
    expect(approvalStepsAfter(plan, index).map((a) => a.index)).toEqual(expected);
  });
});
