/**
 * What callers may hand the ledger: one schema per write or listing, checked
 * before anything touches the table, so a bad request fails with the field
 * that is wrong (InvalidInputError) and never as a half-written item. The
 * values they are made of are the domain's (functions/domain/); these say
 * which of them each ledger call takes.
 */
import * as z from 'zod';
import { ApproversSchema, DecisionSchema, SlackMessageRefSchema } from '../domain/approval.js';
import { ActorSchema, NameSchema, ReasonSchema, ReleaseIdSchema, VersionSchema } from '../domain/fields.js';
import { FleetRefSchema } from '../domain/fleet.js';
import { PlanSchema } from '../domain/plan.js';
import { ReleaseEventSchema } from '../domain/release-event.js';
import {
  PromoteFullSchema,
  ReleaseRefShape,
  ReleaseSchema,
  ReleaseStatusSchema,
  RollbackCauseSchema,
  StepSchema,
  TerminalStatusSchema,
  TriggerSchema,
  WaitSchema,
} from '../domain/release.js';
import { WeightsSchema } from '../domain/weights.js';

const DEFAULT_LEASE_SECONDS = 3600;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

export const StartReleaseInputSchema = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  version: VersionSchema,
  previousVersion: VersionSchema.optional(),
  trigger: TriggerSchema,
  plan: PlanSchema.optional(),
  /** The service configuration the release is frozen on, and its revision. */
  serviceConfig: ReleaseSchema.shape.serviceConfig,
  configRevision: ReleaseSchema.shape.configRevision,
  executionArn: z.string().min(1).max(2048).optional(),
  stableFleet: FleetRefSchema.optional(),
  canaryTargetGroup: z.string().min(1).max(2048).optional(),
  /** Pass the same id on a retry to make the start idempotent. */
  releaseId: ReleaseIdSchema.optional(),
  leaseSeconds: z.number().int().min(60).max(30 * 24 * 3600).default(DEFAULT_LEASE_SECONDS),
  /** Take over a lock whose lease has expired; recorded on both releases. */
  takeover: z.strictObject({ actor: ActorSchema, reason: ReasonSchema }).optional(),
});
export type StartReleaseInput = z.input<typeof StartReleaseInputSchema>;

export const TransitionInputSchema = z
  .object({
    ...ReleaseRefShape,
    from: ReleaseStatusSchema,
    to: ReleaseStatusSchema,
    actor: ActorSchema.optional(),
    reason: ReasonSchema.optional(),
    /** Why the release rolls back: required with `to: ROLLING_BACK`, refused otherwise. */
    cause: RollbackCauseSchema.optional(),
    /**
     * Refuse (as a stale status) if the release's current step has this name:
     * a rollback after promotion is refused once Retire has claimed the release
     * (see the ledger's `claimRetirement`), in the same conditional write.
     */
    unlessStep: z.string().min(1).max(128).optional(),
  })
  .refine((t) => (t.to === 'ROLLING_BACK') === (t.cause !== undefined), {
    message: 'a cause is required with ROLLING_BACK and only there',
    path: ['cause'],
  });
export type TransitionInput = z.input<typeof TransitionInputSchema>;

export const FinishInputSchema = z.object({
  ...ReleaseRefShape,
  from: ReleaseStatusSchema,
  status: TerminalStatusSchema,
  outcome: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be an UPPER_SNAKE_CASE outcome code'),
  reason: ReasonSchema,
  actor: ActorSchema.optional(),
});
export type FinishInput = z.input<typeof FinishInputSchema>;

export const AppendEventInputSchema = z.strictObject({
  releaseId: ReleaseIdSchema,
  /** Same id twice → stored once. Defaults to a fresh ULID. */
  eventId: z
    .string()
    .regex(/^[A-Za-z0-9._:@/-]{1,200}$/, 'must be 1-200 characters of letters, digits and ._:@/-')
    .optional(),
  type: ReleaseEventSchema.shape.type,
  actor: ActorSchema.optional(),
  message: ReasonSchema.optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});
export type AppendEventInput = z.input<typeof AppendEventInputSchema>;

export const ProgressInputSchema = z.object({ ...ReleaseRefShape, step: StepSchema, weights: WeightsSchema });
export type ProgressInput = z.input<typeof ProgressInputSchema>;

export const ClaimRetirementInputSchema = z.object({ ...ReleaseRefShape, stepIndex: z.number().int().min(0) });
export type ClaimRetirementInput = z.input<typeof ClaimRetirementInputSchema>;


export const MarkPromoteFullInputSchema = z.object({ ...ReleaseRefShape, promoteFull: PromoteFullSchema.omit({ at: true }) });
export type MarkPromoteFullInput = z.input<typeof MarkPromoteFullInputSchema>;

export const RecordFleetInputSchema = z.object({ ...ReleaseRefShape, fleet: FleetRefSchema });
export type RecordFleetInput = z.input<typeof RecordFleetInputSchema>;

export const RecordWaitInputSchema = z.object({
  ...ReleaseRefShape,
  wait: WaitSchema.omit({ since: true }),
});
export type RecordWaitInput = z.input<typeof RecordWaitInputSchema>;

export const ClearWaitInputSchema = z.object({ ...ReleaseRefShape, taskToken: WaitSchema.shape.taskToken });
export type ClearWaitInput = z.input<typeof ClearWaitInputSchema>;

/** One release by its key. */
export const ReleaseRefInputSchema = z.object(ReleaseRefShape);
export const RenewLeaseInputSchema = z.object({
  ...ReleaseRefShape,
  leaseSeconds: StartReleaseInputSchema.shape.leaseSeconds,
});
export type RenewLeaseInput = z.input<typeof RenewLeaseInputSchema>;

/** One service+environment. */
export const ServiceEnvInputSchema = z.strictObject({ service: NameSchema, environment: NameSchema });

export const SetStableInputSchema = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  version: VersionSchema,
  fleet: FleetRefSchema,
  /** The lock-holding release that makes this version stable; omit at onboarding (no release may be running). */
  releaseId: ReleaseIdSchema.optional(),
});
export type SetStableInput = z.input<typeof SetStableInputSchema>;

export const ListInputSchema = z.strictObject({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(4096).optional(),
});
export const ListReleasesInputSchema = ListInputSchema.extend({ service: NameSchema, environment: NameSchema });
export type ListReleasesInput = z.input<typeof ListReleasesInputSchema>;
export type ListRecentInput = z.input<typeof ListInputSchema>;

export const CreateApprovalInputSchema = z.object({
  ...ReleaseRefShape,
  stepIndex: z.number().int().min(0),
  taskToken: WaitSchema.shape.taskToken,
  approvers: ApproversSchema,
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 3600),
});
export type CreateApprovalInput = z.input<typeof CreateApprovalInputSchema>;

export const ApprovalIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'is not an approval id');
export const DecideInputSchema = z.strictObject({
  approvalId: ApprovalIdSchema,
  outcome: DecisionSchema.shape.outcome,
  by: ActorSchema,
  comment: ReasonSchema.optional(),
  via: z.string().max(64).optional(),
  action: DecisionSchema.shape.action,
  /** How many distinct approvers an approval needs (a rejection always takes one). @default 1 */
  quorum: z.number().int().min(1).max(5).default(1),
});
export type DecideInput = z.input<typeof DecideInputSchema>;

export const RecordApprovalMessageInputSchema = z.strictObject({
  approvalId: ApprovalIdSchema,
  channel: SlackMessageRefSchema.shape.channel,
  ts: SlackMessageRefSchema.shape.ts,
});
export type RecordApprovalMessageInput = z.input<typeof RecordApprovalMessageInputSchema>;

export const ReplaceApprovalTokenInputSchema = z.strictObject({
  approvalId: ApprovalIdSchema,
  /** The token the caller read on the approval: the swap happens only if it is still there. */
  previousTaskToken: WaitSchema.shape.taskToken,
  taskToken: WaitSchema.shape.taskToken,
});
export type ReplaceApprovalTokenInput = z.input<typeof ReplaceApprovalTokenInputSchema>;

export const MarkApprovalExpiredInputSchema = z.strictObject({
  approvalId: ApprovalIdSchema,
  reason: ReasonSchema,
});
export type MarkApprovalExpiredInput = z.input<typeof MarkApprovalExpiredInputSchema>;

export const ListOpenApprovalMessagesInputSchema = z.strictObject({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(MAX_PAGE_SIZE),
});
export type ListOpenApprovalMessagesInput = z.input<typeof ListOpenApprovalMessagesInputSchema>;
