/**
 * What the ledger stores: releases, their audit events, the per-service lock,
 * the stable version, and approvals. Schemas validate what callers hand in and
 * what comes back from the table, so a malformed item fails loudly with the
 * field that is wrong instead of travelling on.
 */
import { z } from 'zod';
import { STARTER_KINDS } from '../domain/identity.js';
import { RELEASE_STATUSES, TERMINAL_STATUSES } from '../domain/status.js';
import { MAX_REASON_LENGTH } from '../domain/text.js';
import { ROLLBACK_CAUSES } from '../domain/verdict.js';

/** Service and environment names end up inside keys, so `#` and spaces are out. */
export const NameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must be 1-63 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
  );

export const ReleaseIdSchema = z.ulid('must be a ULID');

/** Free text that lands in the audit log: bounded, no control characters. */
const TextSchema = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/, 'must not contain control characters');

export const VersionSchema = TextSchema(256);
/**
 * Who acted: a Slack user id or an IAM principal ARN, which with a user's path
 * can be far longer than 256 characters (IAM allows ARNs up to 2048).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
export const MAX_PRINCIPAL_LENGTH = 2048;
export const ActorSchema = TextSchema(MAX_PRINCIPAL_LENGTH);
export const ReasonSchema = TextSchema(MAX_REASON_LENGTH);

export const ReleaseStatusSchema = z.enum(RELEASE_STATUSES);
export const TerminalStatusSchema = z.enum(TERMINAL_STATUSES);
export const RollbackCauseSchema = z.enum(ROLLBACK_CAUSES);

/**
 * Who started the release, as the caller of StartExecution verified it: a
 * Slack user id, an IAM principal ARN, a CodeBuild build's initiator. The
 * four-eyes check compares this, never `author` (see functions/domain/identity.ts).
 */
export const StartedBySchema = z.strictObject({
  kind: z.enum(STARTER_KINDS),
  id: TextSchema(MAX_PRINCIPAL_LENGTH),
});

/** What started the release. */
export const TriggerSchema = z.strictObject({
  source: TextSchema(64),
  commit: TextSchema(128).optional(),
  buildId: TextSchema(256).optional(),
  /** Free text for display (a commit author, a name): never compared by the four-eyes check. */
  author: TextSchema(MAX_PRINCIPAL_LENGTH).optional(),
  startedBy: StartedBySchema.optional(),
  /** Why it was started by hand (the control API's `reason`), shown in the audit log. */
  reason: TextSchema(MAX_REASON_LENGTH).optional(),
  /** Set by a rollback to a version (trigger source `rollback`): the version it rolls back from, and why. */
  rollback: z.strictObject({ from: VersionSchema, reason: TextSchema(MAX_REASON_LENGTH) }).optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

/** An immutable fleet: an ECS task set or an EC2 Auto Scaling group, behind a target group. */
export const FleetRefSchema = z.strictObject({
  kind: z.enum(['ecs-task-set', 'auto-scaling-group']),
  id: TextSchema(512),
  targetGroup: TextSchema(512),
});
export type FleetRef = z.infer<typeof FleetRefSchema>;

/** Traffic split in percent; the two always add up to 100. */
export const WeightsSchema = z
  .strictObject({
    stable: z.number().int().min(0).max(100),
    canary: z.number().int().min(0).max(100),
  })
  .refine((w) => w.stable + w.canary === 100, { message: 'stable + canary must be 100' });
export type Weights = z.infer<typeof WeightsSchema>;

export const StepSchema = z.strictObject({
  index: z.number().int().min(0),
  name: TextSchema(128),
});
export type Step = z.infer<typeof StepSchema>;

/** The callback task a release is waiting on: a bake or an approval. */
export const WaitSchema = z.strictObject({
  kind: z.enum(['BAKE', 'APPROVAL']),
  /** Step Functions task token; stays in the backend, never logged or sent out. */
  taskToken: z.string().min(1).max(8192),
  stepIndex: z.number().int().min(0),
  since: z.string(),
  timeoutAt: z.string(),
  approvalId: z.string().optional(),
});
export type Wait = z.infer<typeof WaitSchema>;

/** A full promotion asked for: by whom (verified: Slack user id or IAM principal ARN), via which entry point, at which plan step. */
export const PromoteFullSchema = z.strictObject({
  by: TextSchema(MAX_PRINCIPAL_LENGTH),
  via: z.enum(['slack', 'browser', 'api', 'local']),
  at: z.string(),
  stepIndex: z.number().int().min(0),
});
export type PromoteFull = z.infer<typeof PromoteFullSchema>;

/** The audit event a full promotion records (with the verified actor). */
export const PROMOTE_FULL_EVENT = 'PROMOTE_FULL';

export const ReleaseSchema = z.object({
  releaseId: ReleaseIdSchema,
  service: NameSchema,
  environment: NameSchema,
  version: VersionSchema,
  previousVersion: VersionSchema.optional(),
  trigger: TriggerSchema,
  /** The release plan as the flow resolved it (typed by the flow, opaque here). */
  plan: z.unknown().optional(),
  /**
   * The service's configuration as preflight read it (a ServiceConfig of
   * functions/config.ts): what the release runs on to its end, whatever is
   * published meanwhile. Opaque here, validated where it is read
   * (functions/steps/step.ts `serviceOf`). Absent on releases started before
   * configuration became data.
   */
  serviceConfig: z.record(z.string(), z.unknown()).optional(),
  /** The configuration revision that service configuration was read at. */
  configRevision: z.number().int().min(0).optional(),
  executionArn: z.string().optional(),
  /** The fleet that took traffic when the release started, and the idle target group the new fleet goes behind. */
  stableFleet: FleetRefSchema.optional(),
  canaryTargetGroup: z.string().optional(),
  /** The new fleet, once created: what a rollback or the reconciler removes. */
  newFleet: FleetRefSchema.optional(),
  status: ReleaseStatusSchema,
  /** Why the last status change happened (e.g. the alarm that started a rollback). */
  statusReason: z.string().optional(),
  /** Set with ROLLING_BACK: what decided the rollback. */
  rollbackCause: RollbackCauseSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  currentStep: StepSchema.optional(),
  weights: WeightsSchema.optional(),
  waiting: WaitSchema.optional(),
  /**
   * Set by "Promote now" (functions/approval/promotion.ts `promoteFully`):
   * the remaining plan steps are skipped and the next Advance hands over to
   * Finalize. Who asked (verified), how, and at which plan step.
   */
  promoteFull: PromoteFullSchema.optional(),
  outcome: z.string().optional(),
  reason: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type Release = z.infer<typeof ReleaseSchema>;

/** Identifies one release: releases live under their service+environment. */
export interface ReleaseRef {
  readonly service: string;
  readonly environment: string;
  readonly releaseId: string;
}

export const ReleaseRefShape = {
  service: NameSchema,
  environment: NameSchema,
  releaseId: ReleaseIdSchema,
};

export const ReleaseEventSchema = z.object({
  eventId: z.string().min(1).max(256),
  releaseId: ReleaseIdSchema,
  at: z.string(),
  type: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be an UPPER_SNAKE_CASE event type'),
  actor: z.string().optional(),
  message: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type ReleaseEvent = z.infer<typeof ReleaseEventSchema>;

export const LockSchema = z.object({
  service: NameSchema,
  environment: NameSchema,
  releaseId: ReleaseIdSchema,
  acquiredAt: z.string(),
  leaseExpiresAt: z.string(),
  takenOverFrom: z
    .object({ releaseId: ReleaseIdSchema, by: z.string(), reason: z.string(), at: z.string() })
    .optional(),
});
export type Lock = z.infer<typeof LockSchema>;

const StableVersionShape = {
  version: VersionSchema,
  fleet: FleetRefSchema,
  /** The release that made this version stable; absent when set at onboarding. */
  releaseId: ReleaseIdSchema.optional(),
};

export const StableSchema = z.object({
  service: NameSchema,
  environment: NameSchema,
  ...StableVersionShape,
  updatedAt: z.string(),
  /** What was stable before, so a release rolled back after it was recorded stable can put it back. */
  previous: z.object(StableVersionShape).optional(),
});
export type Stable = z.infer<typeof StableSchema>;

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

/** One page of a listing; pass `cursor` back to get the next page. */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}
