/**
 * Approvals as the ledger keeps them: who may decide a step, the decision
 * (once), the endorsements toward a quorum, the Slack message that asks, and
 * why an approval stopped deciding anything. The policy of who may decide is
 * functions/approval/policy.ts; these are the values it reads.
 */
import * as z from 'zod';
import { MAX_PRINCIPAL_LENGTH, ReleaseIdSchema, NameSchema, TextSchema } from './fields.js';

/**
 * An IAM principal allowed to approve through the control API: the exact ARN
 * the caller is seen as (`requestContext.authorizer.iam.userArn`), or a prefix
 * ending in `*`, e.g. `arn:aws:sts::123456789012:assumed-role/ReleaseManagers/*`
 * for every session of that role (what an assumed role's callers are seen as).
 * `*` is allowed only as the last character, after a `/`, so a pattern never
 * reaches past a role into another one.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
 */
export const PrincipalPatternSchema = z
  .string()
  .max(MAX_PRINCIPAL_LENGTH)
  .regex(
    /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/-]+(\/\*)?$/,
    'must be an IAM or STS principal ARN, optionally ending in "/*" for every session of an assumed role',
  );

export const ApproversSchema = z
  .strictObject({
    users: z.array(TextSchema(128)).max(100).default([]),
    groups: z.array(TextSchema(128)).max(20).default([]),
    /** IAM principals who may decide through the control API (see {@link PrincipalPatternSchema}). */
    principals: z.array(PrincipalPatternSchema).max(50).optional(),
  })
  .refine((a) => a.users.length + a.groups.length + (a.principals?.length ?? 0) > 0, {
    message: 'name at least one approver user, group or principal',
  });
export type Approvers = z.infer<typeof ApproversSchema>;

export const DecisionSchema = z.object({
  outcome: z.enum(['APPROVED', 'REJECTED']),
  by: z.string(),
  at: z.string(),
  comment: z.string().optional(),
  via: z.string().optional(),
  /**
   * What the decision does beyond approving or rejecting the step: `abort`
   * (Abort: the rejection stops the release, ABORTED) or `promote-full`
   * (Promote now: the approval skips the steps left). Recorded with the
   * decision, so whoever delivers it later (the sweeper, after a failed send)
   * does the same.
   */
  action: z.enum(['abort', 'promote-full']).optional(),
  /** The approvers whose approvals came before `by`'s, when the policy asked for more than one. */
  endorsedBy: z.array(z.string()).optional(),
});
export type Decision = z.infer<typeof DecisionSchema>;

/** One approval toward a decision that needs several distinct approvers (an unknown author under four-eyes). */
export const EndorsementSchema = z.object({
  by: z.string(),
  at: z.string(),
  via: z.string().optional(),
});
export type Endorsement = z.infer<typeof EndorsementSchema>;

/** Where a Slack message is: its channel id and its `ts` (Slack's message id within the channel). */
export const SlackMessageRefSchema = z.strictObject({
  channel: z.string().regex(/^[A-Z0-9]{1,32}$/, 'must be a Slack channel id'),
  ts: z.string().regex(/^\d{1,12}\.\d{1,8}$/, 'must be a Slack message ts'),
});
export type SlackMessageRef = z.infer<typeof SlackMessageRefSchema>;

export const ApprovalExpirySchema = z.object({
  at: z.string(),
  reason: z.string(),
  /**
   * The approval carries a decision that never reached the flow (its task
   * token was dead when it was sent): the release did not take it.
   */
  decisionUndelivered: z.boolean().optional(),
});
export type ApprovalExpiry = z.infer<typeof ApprovalExpirySchema>;

/** An approval whose Slack message still shows buttons: the sweeper updates it once the approval ends. */
export const OpenApprovalMessageSchema = z.object({
  approvalId: z.string(),
  expiresAt: z.string(),
});
export type OpenApprovalMessage = z.infer<typeof OpenApprovalMessageSchema>;

export const ApprovalSchema = z.object({
  approvalId: z.string(),
  releaseId: ReleaseIdSchema,
  service: NameSchema,
  environment: NameSchema,
  stepIndex: z.number().int().min(0),
  /** Step Functions task token; stays in the backend, never logged or sent out. */
  taskToken: z.string(),
  approvers: ApproversSchema,
  createdAt: z.string(),
  expiresAt: z.string(),
  decision: DecisionSchema.optional(),
  /**
   * When the decision reached the flow (SendTaskSuccess / SendTaskFailure
   * answered). A decision without it is recorded but not delivered yet: the
   * same outcome clicked again, or the sweeper, sends it again.
   */
  deliveredAt: z.string().optional(),
  /** Approvals so far, while the policy wants more distinct approvers than have approved. */
  endorsements: z.array(EndorsementSchema).optional(),
  /** The Slack message that asks for the decision (chat.postMessage's channel and ts), once posted. */
  slackMessage: SlackMessageRefSchema.optional(),
  /**
   * Set when the approval stopped deciding anything: it timed out, or the
   * release stopped waiting on it (rolled back, aborted, its task closed). A
   * decision recorded before this was set, but whose task was already closed,
   * had no effect on the release.
   */
  expired: ApprovalExpirySchema.optional(),
});
export type Approval = z.infer<typeof ApprovalSchema>;
