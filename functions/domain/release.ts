/**
 * A release as the ledger records it: what is released where, who started it
 * and why, the plan it follows, where it is (status, step, weights, the wait
 * it is on), and the per-service+environment lock it holds while it runs.
 * The one place the release record's shape is defined: the ledger validates
 * every item it reads and writes against these schemas.
 */
import * as z from 'zod';
import { STARTER_KINDS } from './identity.js';
import { ActorSchema, MAX_PRINCIPAL_LENGTH, NameSchema, ReleaseIdSchema, TextSchema, VersionSchema } from './fields.js';
import { FleetRefSchema } from './fleet.js';
import { PlanSchema } from './plan.js';
import { RELEASE_STATUSES, TERMINAL_STATUSES } from './status.js';
import { MAX_REASON_LENGTH } from './text.js';
import { ROLLBACK_CAUSES } from './verdict.js';
import { WeightsSchema } from './weights.js';

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

export const StepSchema = z.strictObject({
  index: z.number().int().min(0),
  name: TextSchema(128),
});
export type Step = z.infer<typeof StepSchema>;

/** The current step's name once Retire has claimed a release (the ledger's `claimRetirement`). */
export const RETIRE_STEP = 'retire';
/** The step Finalize records once it has put all traffic on the new fleet, before making it the primary. */
export const PROMOTE_STEP = 'promote';

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
  by: ActorSchema,
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
  /** The release plan as preflight resolved it (the service's, or the caller's within its floor). */
  plan: PlanSchema.optional(),
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
   * the remaining plan steps are skipped and the next ShiftTraffic hands over to
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

/** The per-service+environment lock: one release at a time, held under a lease. */
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
