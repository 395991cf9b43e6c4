/**
 * The release ledger: the durable record of every release, its audit log, the
 * per-service+environment lock, the stable version, and pending approvals, in
 * one DynamoDB table (layout in ../../ARCHITECTURE: "The ledger").
 *
 * Every write that could race is conditional, and every refusal is a named
 * error from ../errors.ts. Item layout:
 *
 *   release   pk=SVC#<service>#<env>  sk=REL#<releaseId>     gsi1pk=RELEASE gsi1sk=<releaseId>
 *   lock      pk=SVC#<service>#<env>  sk=LOCK
 *   stable    pk=SVC#<service>#<env>  sk=STABLE
 *   event     pk=REL#<releaseId>      sk=EVT#<at>#<eventId>
 *   event id  pk=REL#<releaseId>      sk=EID#<eventId>         (dedup marker)
 *   approval  pk=APR#<approvalId>     sk=APPROVAL             ttl=<epoch s>
 *   open msg  pk=APPROVALS#OPEN       sk=<expiresAt>#<approvalId> ttl=<epoch s>  (Slack message still has buttons)
 *
 * Release ids are ULIDs, so sorting by sort key is sorting by start time.
 * All releases share one partition of the recent-releases index: releases are
 * started at human rates (far below the 1,000 writes/s a partition takes), and
 * one partition gives a single newest-first order across services.
 */
import { randomBytes } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { monotonicFactory } from 'ulid';
import { z } from 'zod';
import {
  ACTIVE_STATUSES,
  isLegalTransition,
  isTerminalStatus,
  type ReleaseStatus,
  type TerminalStatus,
} from '../domain/status.js';
import {
  AlreadyDecidedError,
  AlreadyEndorsedError,
  ApprovalExpiredError,
  ApprovalNotFoundError,
  CorruptRecordError,
  IllegalTransitionError,
  InvalidCursorError,
  InvalidInputError,
  LedgerConflictError,
  LockNotOwnedError,
  ReleaseInProgressError,
  ReleaseNotActiveError,
  ReleaseNotFoundError,
  StaleStatusError,
  WaitTokenMismatchError,
} from '../errors.js';
import { MAX_REASON_LENGTH } from '../domain/text.js';
import { parseInput } from '../validation.js';
import {
  ActorSchema,
  ApprovalSchema,
  ApproversSchema,
  DecisionSchema,
  FleetRefSchema,
  LockSchema,
  OpenApprovalMessageSchema,
  PromoteFullSchema,
  SlackMessageRefSchema,
  NameSchema,
  ReasonSchema,
  ReleaseEventSchema,
  ReleaseIdSchema,
  ReleaseRefShape,
  ReleaseSchema,
  ReleaseStatusSchema,
  RollbackCauseSchema,
  StableSchema,
  StepSchema,
  TerminalStatusSchema,
  TriggerSchema,
  VersionSchema,
  WaitSchema,
  WeightsSchema,
  type Approval,
  type Decision,
  type Endorsement,
  type Lock,
  type OpenApprovalMessage,
  type Page,
  type Release,
  type ReleaseEvent,
  type ReleaseRef,
  type Stable,
} from './records.js';
import { LEDGER_TABLE } from './table.js';

const PK = LEDGER_TABLE.partitionKey.name;
const SK = LEDGER_TABLE.sortKey.name;
const GSI_PK = LEDGER_TABLE.recentReleasesIndex.partitionKey.name;
const GSI_SK = LEDGER_TABLE.recentReleasesIndex.sortKey.name;
const TTL = LEDGER_TABLE.timeToLiveAttribute;

const RECENT_RELEASES_PARTITION = 'RELEASE';
const LOCK_SK = 'LOCK';
const STABLE_SK = 'STABLE';
const APPROVAL_SK = 'APPROVAL';
/** Approval items stay this long after expiry (for the record), then TTL removes them. */
const APPROVAL_RETENTION_SECONDS = 30 * 24 * 3600;
const DEFAULT_LEASE_SECONDS = 3600;
const DEFAULT_PAGE_SIZE = 25;
const MAX_PAGE_SIZE = 100;

const serviceKey = (service: string, environment: string) => `SVC#${service}#${environment}`;
const releaseSk = (releaseId: string) => `REL#${releaseId}`;
const eventsKey = (releaseId: string) => `REL#${releaseId}`;
const approvalKey = (approvalId: string) => `APR#${approvalId}`;
/** One partition lists the approvals whose Slack message still has buttons: approvals happen at human rates. */
const OPEN_APPROVAL_MESSAGES_PK = 'APPROVALS#OPEN';
const openApprovalMessageSk = (expiresAt: string, approvalId: string) => `${expiresAt}#${approvalId}`;

/** Options of a {@link Ledger}. */
export interface LedgerOptions {
  /** A DocumentClient built once at module scope by the caller. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * How often a transaction cancelled by a conflicting concurrent write is
   * tried in all before {@link LedgerConflictError}.
   * @default 5
   */
  readonly maxTransactionAttempts?: number;
}

const StartReleaseInput = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  version: VersionSchema,
  previousVersion: VersionSchema.optional(),
  trigger: TriggerSchema,
  plan: z.unknown().optional(),
  /** The service configuration the release is frozen on (Release.serviceConfig). */
  serviceConfig: z.record(z.string(), z.unknown()).optional(),
  configRevision: z.number().int().min(0).optional(),
  executionArn: z.string().min(1).max(2048).optional(),
  stableFleet: FleetRefSchema.optional(),
  canaryTargetGroup: z.string().min(1).max(2048).optional(),
  /** Pass the same id on a retry to make the start idempotent. */
  releaseId: ReleaseIdSchema.optional(),
  leaseSeconds: z.number().int().min(60).max(30 * 24 * 3600).default(DEFAULT_LEASE_SECONDS),
  /** Take over a lock whose lease has expired; recorded on both releases. */
  takeover: z.strictObject({ actor: ActorSchema, reason: ReasonSchema }).optional(),
});
export type StartReleaseInput = z.input<typeof StartReleaseInput>;

const TransitionInput = z
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
     * (see {@link Ledger.claimRetirement}), in the same conditional write.
     */
    unlessStep: z.string().min(1).max(128).optional(),
  })
  .refine((t) => (t.to === 'ROLLING_BACK') === (t.cause !== undefined), {
    message: 'a cause is required with ROLLING_BACK and only there',
    path: ['cause'],
  });
export type TransitionInput = z.input<typeof TransitionInput>;

const FinishInput = z.object({
  ...ReleaseRefShape,
  from: ReleaseStatusSchema,
  status: TerminalStatusSchema,
  outcome: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be an UPPER_SNAKE_CASE outcome code'),
  reason: ReasonSchema,
  actor: ActorSchema.optional(),
});
export type FinishInput = z.input<typeof FinishInput>;

const AppendEventInput = z.strictObject({
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
export type AppendEventInput = z.input<typeof AppendEventInput>;

const ProgressInput = z.object({ ...ReleaseRefShape, step: StepSchema, weights: WeightsSchema });
export type ProgressInput = z.input<typeof ProgressInput>;

const ClaimRetirementInput = z.object({ ...ReleaseRefShape, stepIndex: z.number().int().min(0) });

/** The current step's name once Retire has claimed a release (see {@link Ledger.claimRetirement}). */
export const RETIRE_STEP = 'retire';
/** The step Finalize records once it has put all traffic on the new fleet, before making it the primary. */
export const PROMOTE_STEP = 'promote';

const MarkPromoteFullInput = z.object({ ...ReleaseRefShape, promoteFull: PromoteFullSchema.omit({ at: true }) });
export type MarkPromoteFullInput = z.input<typeof MarkPromoteFullInput>;

const RecordFleetInput = z.object({ ...ReleaseRefShape, fleet: FleetRefSchema });
export type RecordFleetInput = z.input<typeof RecordFleetInput>;

const RecordWaitInput = z.object({
  ...ReleaseRefShape,
  wait: WaitSchema.omit({ since: true }),
});
export type RecordWaitInput = z.input<typeof RecordWaitInput>;

const ClearWaitInput = z.object({ ...ReleaseRefShape, taskToken: WaitSchema.shape.taskToken });
export type ClearWaitInput = z.input<typeof ClearWaitInput>;

const LockInput = z.object(ReleaseRefShape);
const RenewLeaseInput = z.object({
  ...ReleaseRefShape,
  leaseSeconds: StartReleaseInput.shape.leaseSeconds,
});
export type RenewLeaseInput = z.input<typeof RenewLeaseInput>;

const ServiceEnvInput = z.strictObject({ service: NameSchema, environment: NameSchema });

const SetStableInput = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  version: VersionSchema,
  fleet: FleetRefSchema,
  /** The lock-holding release that makes this version stable; omit at onboarding (no release may be running). */
  releaseId: ReleaseIdSchema.optional(),
});
export type SetStableInput = z.input<typeof SetStableInput>;

const ListInput = z.strictObject({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(4096).optional(),
});
const ListReleasesInput = ListInput.extend({ service: NameSchema, environment: NameSchema });
export type ListReleasesInput = z.input<typeof ListReleasesInput>;
export type ListRecentInput = z.input<typeof ListInput>;

const CreateApprovalInput = z.object({
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
export type CreateApprovalInput = z.input<typeof CreateApprovalInput>;

const ApprovalIdSchema = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'is not an approval id');
const DecideInput = z.strictObject({
  approvalId: ApprovalIdSchema,
  outcome: DecisionSchema.shape.outcome,
  by: ActorSchema,
  comment: ReasonSchema.optional(),
  via: z.string().max(64).optional(),
  /** How many distinct approvers an approval needs (a rejection always takes one). @default 1 */
  quorum: z.number().int().min(1).max(5).default(1),
});
export type DecideInput = z.input<typeof DecideInput>;

const RecordApprovalMessageInput = z.strictObject({
  approvalId: ApprovalIdSchema,
  channel: SlackMessageRefSchema.shape.channel,
  ts: SlackMessageRefSchema.shape.ts,
});
export type RecordApprovalMessageInput = z.input<typeof RecordApprovalMessageInput>;

const ReplaceApprovalTokenInput = z.strictObject({
  approvalId: ApprovalIdSchema,
  /** The token the caller read on the approval: the swap happens only if it is still there. */
  previousTaskToken: WaitSchema.shape.taskToken,
  taskToken: WaitSchema.shape.taskToken,
});
export type ReplaceApprovalTokenInput = z.input<typeof ReplaceApprovalTokenInput>;

const MarkApprovalExpiredInput = z.strictObject({
  approvalId: ApprovalIdSchema,
  reason: ReasonSchema,
});
export type MarkApprovalExpiredInput = z.input<typeof MarkApprovalExpiredInput>;

const ListOpenApprovalMessagesInput = z.strictObject({
  limit: z.number().int().min(1).max(MAX_PAGE_SIZE).default(MAX_PAGE_SIZE),
});
export type ListOpenApprovalMessagesInput = z.input<typeof ListOpenApprovalMessagesInput>;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A cancelled transaction: one reason per item, in order. */
interface Cancellation {
  readonly codes: readonly (string | undefined)[];
  readonly items: readonly (Record<string, unknown> | undefined)[];
}

/** The release ledger repository. Construct once per container; it is stateless. */
export class Ledger {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => Date;
  private readonly maxTransactionAttempts: number;
  private readonly ulid = monotonicFactory();

  public constructor(options: LedgerOptions) {
    this.client = options.client;
    this.tableName = parseInput(z.string().min(3).max(255), options.tableName, 'Ledger');
    this.now = options.now ?? (() => new Date());
    this.maxTransactionAttempts = options.maxTransactionAttempts ?? 5;
  }

  // ───────────────────────────── releases and the lock ─────────────────────────────

  /**
   * Creates the release record (status PENDING) and takes the
   * service+environment lock in one transaction.
   *
   * @throws ReleaseInProgressError another release holds the lock (also when its
   *   lease expired, unless `takeover` is given).
   */
  public async startRelease(raw: StartReleaseInput): Promise<Release> {
    const input = parseInput(StartReleaseInput, raw, 'startRelease');
    const releaseId = input.releaseId ?? this.ulid(this.now().getTime());
    const startEventId = this.ulid(this.now().getTime());

    return this.withConflictRetry('startRelease', async () => {
      const now = this.now();
      const at = now.toISOString();
      const pk = serviceKey(input.service, input.environment);

      let previousHolder: Lock | undefined;
      if (input.takeover !== undefined) {
        const lock = await this.getLock(input);
        if (lock?.releaseId === releaseId) return this.requireRelease({ ...input, releaseId });
        if (lock !== undefined && Date.parse(lock.leaseExpiresAt) > now.getTime()) {
          throw new ReleaseInProgressError(input.service, input.environment, lock.releaseId, lock.leaseExpiresAt, false);
        }
        previousHolder = lock;
      }

      const release: Release = {
        releaseId,
        service: input.service,
        environment: input.environment,
        version: input.version,
        previousVersion: input.previousVersion,
        trigger: input.trigger,
        plan: input.plan,
        serviceConfig: input.serviceConfig,
        configRevision: input.configRevision,
        executionArn: input.executionArn,
        stableFleet: input.stableFleet,
        canaryTargetGroup: input.canaryTargetGroup,
        status: 'PENDING',
        createdAt: at,
        updatedAt: at,
      };
      const lock: Lock = {
        service: input.service,
        environment: input.environment,
        releaseId,
        acquiredAt: at,
        leaseExpiresAt: new Date(now.getTime() + input.leaseSeconds * 1000).toISOString(),
        takenOverFrom:
          previousHolder === undefined || input.takeover === undefined
            ? undefined
            : { releaseId: previousHolder.releaseId, by: input.takeover.actor, reason: input.takeover.reason, at },
      };

      const items: TransactItem[] = [
        {
          Put: {
            TableName: this.tableName,
            Item: { [PK]: pk, [SK]: releaseSk(releaseId), [GSI_PK]: RECENT_RELEASES_PARTITION, [GSI_SK]: releaseId, ...release },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          },
        },
        {
          Put: {
            TableName: this.tableName,
            Item: { [PK]: pk, [SK]: LOCK_SK, ...lock, leaseExpiresAtMs: Date.parse(lock.leaseExpiresAt) },
            ...(previousHolder === undefined
              ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
              : {
                  ConditionExpression: 'releaseId = :holder AND leaseExpiresAtMs < :now',
                  ExpressionAttributeValues: { ':holder': previousHolder.releaseId, ':now': now.getTime() },
                }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...this.eventItems({
          releaseId,
          eventId: startEventId,
          at,
          type: 'RELEASE_STARTED',
          actor: input.trigger.author,
          message: `release of ${input.version} to ${input.service}/${input.environment} started${input.trigger.reason === undefined ? '' : `: ${input.trigger.reason}`}`.slice(0, MAX_REASON_LENGTH),
          data: { version: input.version, previousVersion: input.previousVersion, trigger: input.trigger },
        }),
      ];
      if (previousHolder !== undefined && input.takeover !== undefined) {
        const takeover = { actor: input.takeover.actor, reason: input.takeover.reason };
        items.push(
          ...this.eventItems({
            releaseId,
            eventId: `lock-takeover:${previousHolder.releaseId}`,
            at,
            type: 'LOCK_TAKEN_OVER',
            actor: takeover.actor,
            message: `took the lock over from ${previousHolder.releaseId} (lease expired ${previousHolder.leaseExpiresAt}): ${takeover.reason}`,
            data: { from: previousHolder.releaseId, leaseExpiredAt: previousHolder.leaseExpiresAt },
          }),
          ...this.eventItems({
            releaseId: previousHolder.releaseId,
            eventId: `lock-lost:${releaseId}`,
            at,
            type: 'LOCK_LOST',
            actor: takeover.actor,
            message: `lock taken over by ${releaseId} after the lease expired: ${takeover.reason}`,
            data: { to: releaseId },
          }),
        );
      }

      const cancellation = await this.transact(items);
      if (cancellation === undefined) return release;

      const [releaseCode, lockCode] = cancellation.codes;
      if (lockCode === 'ConditionalCheckFailed') {
        const holder = cancellation.items[1] === undefined ? undefined : this.parse(LockSchema, cancellation.items[1]);
        if (holder === undefined) return RETRY; // the lock vanished in between: try again
        if (holder.releaseId === releaseId) return this.requireRelease({ ...input, releaseId });
        if (previousHolder !== undefined) return RETRY; // someone else took or renewed it meanwhile: look again
        const expired = Date.parse(holder.leaseExpiresAt) <= now.getTime();
        throw new ReleaseInProgressError(input.service, input.environment, holder.releaseId, holder.leaseExpiresAt, expired);
      }
      if (releaseCode === 'ConditionalCheckFailed') {
        const existing = await this.requireRelease({ ...input, releaseId });
        if (existing.version === input.version) return existing;
        throw new InvalidInputError('startRelease', 'releaseId', `is already used by the release of ${existing.version}`);
      }
      return RETRY;
    });
  }

  /** Extends the lock's lease; only the holder may. */
  public async renewLease(raw: RenewLeaseInput): Promise<Lock> {
    const input = parseInput(RenewLeaseInput, raw, 'renewLease');
    const expires = new Date(this.now().getTime() + input.leaseSeconds * 1000);
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: serviceKey(input.service, input.environment), [SK]: LOCK_SK },
          UpdateExpression: 'SET leaseExpiresAt = :iso, leaseExpiresAtMs = :ms',
          ConditionExpression: 'releaseId = :me',
          ExpressionAttributeValues: { ':iso': expires.toISOString(), ':ms': expires.getTime(), ':me': input.releaseId },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return this.parse(LockSchema, out.Attributes);
    } catch (error) {
      throw this.lockNotOwned(error, input.releaseId);
    }
  }

  /** The lock of a service+environment, if a release holds it. */
  public async getLock(raw: { service: string; environment: string }): Promise<Lock | undefined> {
    const input = parseInput(ServiceEnvInput, { service: raw.service, environment: raw.environment }, 'getLock');
    return this.getItem(LockSchema, serviceKey(input.service, input.environment), LOCK_SK);
  }

  /**
   * Releases the lock. Only the holder may; releasing a lock nobody holds is a
   * no-op so that a retried step stays harmless.
   *
   * @throws LockNotOwnedError another release holds the lock.
   */
  public async releaseLock(raw: ReleaseRef): Promise<void> {
    const input = parseInput(LockInput, raw, 'releaseLock');
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { [PK]: serviceKey(input.service, input.environment), [SK]: LOCK_SK },
          ConditionExpression: 'attribute_not_exists(#pk) OR releaseId = :me',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':me': input.releaseId },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    } catch (error) {
      throw this.lockNotOwned(error, input.releaseId);
    }
  }

  /**
   * Moves a release from `from` to `to` (an active status) and records the
   * change in its audit log, in one transaction.
   *
   * @throws IllegalTransitionError `from -> to` is not a legal transition, or `to` is terminal (use {@link finishRelease}).
   * @throws StaleStatusError the release is no longer `from`.
   * @throws ReleaseNotFoundError
   */
  public async transition(raw: TransitionInput): Promise<Release> {
    const input = parseInput(TransitionInput, raw, 'transition');
    if (!isLegalTransition(input.from, input.to) || isTerminalStatus(input.to)) {
      throw new IllegalTransitionError(input.from, input.to);
    }
    const eventId = this.ulid(this.now().getTime());
    return this.withConflictRetry('transition', async () => {
      const at = this.now().toISOString();
      const cancellation = await this.transact([
        this.statusUpdate(
          input,
          input.from,
          input.to,
          at,
          transitionUpdate(input),
          {
            ...(input.reason === undefined ? {} : { ':reason': input.reason }),
            ...(input.cause === undefined ? {} : { ':cause': input.cause }),
            ...(input.unlessStep === undefined ? {} : { ':unlessStep': input.unlessStep }),
          },
          input.unlessStep === undefined ? undefined : 'AND (attribute_not_exists(currentStep) OR currentStep.#stepName <> :unlessStep)',
        ),
        ...this.eventItems({
          releaseId: input.releaseId,
          eventId,
          at,
          type: 'STATUS_CHANGED',
          actor: input.actor,
          message: `${input.from} -> ${input.to}${input.reason === undefined ? '' : `: ${input.reason}`}`,
          data: { from: input.from, to: input.to, ...(input.cause === undefined ? {} : { cause: input.cause }) },
        }),
      ]);
      if (cancellation === undefined) return this.requireRelease(input);
      if (cancellation.codes[0] === 'ConditionalCheckFailed') throw this.staleStatus(input, input.from, cancellation.items[0]);
      return RETRY;
    });
  }

  /**
   * Ends a release: sets the terminal status with its outcome and reason,
   * clears any wait, releases the lock, and records it — one transaction.
   * A release whose lock was taken over by another is closed without touching
   * the new holder's lock.
   *
   * @throws IllegalTransitionError `from -> status` is not legal.
   * @throws StaleStatusError the release is no longer `from`.
   * @throws LockNotOwnedError another release holds the lock and did not take it over from this one.
   */
  public async finishRelease(raw: FinishInput): Promise<Release> {
    const input = parseInput(FinishInput, raw, 'finishRelease');
    if (!isLegalTransition(input.from, input.status)) throw new IllegalTransitionError(input.from, input.status);
    const eventId = this.ulid(this.now().getTime());

    return this.withConflictRetry('finishRelease', async () => {
      const at = this.now().toISOString();
      const lockKey = { [PK]: serviceKey(input.service, input.environment), [SK]: LOCK_SK };
      const lock = await this.getLock(input);
      let lockItem: TransactItem;
      if (lock === undefined) {
        lockItem = {
          ConditionCheck: {
            TableName: this.tableName,
            Key: lockKey,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          },
        };
      } else if (lock.releaseId === input.releaseId) {
        lockItem = {
          Delete: {
            TableName: this.tableName,
            Key: lockKey,
            ConditionExpression: 'releaseId = :me',
            ExpressionAttributeValues: { ':me': input.releaseId },
          },
        };
      } else if (lock.takenOverFrom?.releaseId === input.releaseId) {
        lockItem = {
          ConditionCheck: {
            TableName: this.tableName,
            Key: lockKey,
            ConditionExpression: 'releaseId = :holder',
            ExpressionAttributeValues: { ':holder': lock.releaseId },
          },
        };
      } else {
        throw new LockNotOwnedError(input.releaseId, lock.releaseId);
      }

      const cancellation = await this.transact([
        this.statusUpdate(
          input,
          input.from,
          input.status,
          at,
          'SET #status = :to, updatedAt = :at, finishedAt = :at, outcome = :outcome, reason = :reason REMOVE waiting',
          { ':outcome': input.outcome, ':reason': input.reason },
        ),
        lockItem,
        ...this.eventItems({
          releaseId: input.releaseId,
          eventId,
          at,
          type: 'RELEASE_FINISHED',
          actor: input.actor,
          message: `${input.status} (${input.outcome}): ${input.reason}`,
          data: { from: input.from, status: input.status, outcome: input.outcome },
        }),
      ]);
      if (cancellation === undefined) return this.requireRelease(input);
      if (cancellation.codes[0] === 'ConditionalCheckFailed') throw this.staleStatus(input, input.from, cancellation.items[0]);
      return RETRY; // the lock changed under us, or a conflict: look again
    });
  }

  /** Records the step the release is on and the weights now in force. */
  public async recordProgress(raw: ProgressInput): Promise<Release> {
    const input = parseInput(ProgressInput, raw, 'recordProgress');
    return this.updateActiveRelease(input, 'SET currentStep = :step, weights = :weights, updatedAt = :at', {
      ':step': input.step,
      ':weights': input.weights,
    });
  }

  /**
   * Retire's claim, before it removes the old fleet: sets the current step to
   * `retire` while (and only while) the release is FINALIZING, in one
   * conditional write. A rollback after promotion is one conditional write on
   * the same item that refuses a claimed release (`unlessStep: 'retire'`), so
   * of the two exactly one wins: the old fleet is never retired under a
   * rollback that put traffic back on it. Idempotent for a retried Retire.
   *
   * @throws ReleaseNotActiveError the release is no longer FINALIZING (rolled back, or already closed)
   */
  public async claimRetirement(raw: ReleaseRef & { stepIndex: number }): Promise<Release> {
    const input = parseInput(ClaimRetirementInput, raw, 'claimRetirement');
    return this.updateActiveRelease(input, 'SET currentStep = :step, updatedAt = :at', { ':step': { index: input.stepIndex, name: RETIRE_STEP } }, ['FINALIZING']);
  }

  /**
   * Marks a release for full promotion (functions/approval/promotion.ts): its
   * next Advance skips the remaining plan steps and hands over to Finalize.
   * Only while it shifts or waits for an approval; marking it again keeps
   * the last request (a retried click).
   *
   * @throws ReleaseNotActiveError the release is no longer SHIFTING or AWAITING_APPROVAL
   */
  public async markPromoteFull(raw: MarkPromoteFullInput): Promise<Release> {
    const input = parseInput(MarkPromoteFullInput, raw, 'markPromoteFull');
    const promoteFull = { ...input.promoteFull, at: this.now().toISOString() };
    return this.updateActiveRelease(input, 'SET promoteFull = :promoteFull, updatedAt = :at', { ':promoteFull': promoteFull }, ['SHIFTING', 'AWAITING_APPROVAL']);
  }

  /** Records the release's new fleet once it exists, so a rollback or the reconciler can remove it. */
  public async recordFleet(raw: RecordFleetInput): Promise<Release> {
    const input = parseInput(RecordFleetInput, raw, 'recordFleet');
    return this.updateActiveRelease(input, 'SET newFleet = :fleet, updatedAt = :at', { ':fleet': input.fleet });
  }

  /** Records the task token of the bake or approval the release now waits on. */
  public async recordWait(raw: RecordWaitInput): Promise<Release> {
    const input = parseInput(RecordWaitInput, raw, 'recordWait');
    const wait = { ...input.wait, since: this.now().toISOString() };
    return this.updateActiveRelease(input, 'SET waiting = :wait, updatedAt = :at', { ':wait': wait });
  }

  /**
   * Clears the recorded wait if it is the given token's. Clearing when nothing
   * is recorded is a no-op (a retried step stays harmless).
   *
   * @throws WaitTokenMismatchError the release waits on another token.
   */
  public async clearWait(raw: ClearWaitInput): Promise<Release> {
    const input = parseInput(ClearWaitInput, raw, 'clearWait');
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.releaseKey(input),
          UpdateExpression: 'REMOVE waiting SET updatedAt = :at',
          ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(waiting) OR waiting.taskToken = :token)',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':token': input.taskToken, ':at': this.now().toISOString() },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return this.parse(ReleaseSchema, out.Attributes);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (error.Item === undefined) throw new ReleaseNotFoundError(input.releaseId);
      throw new WaitTokenMismatchError(input.releaseId);
    }
  }

  /** A release, or `undefined` if there is none with that id. */
  public async getRelease(raw: ReleaseRef): Promise<Release | undefined> {
    const input = parseInput(LockInput, raw, 'getRelease');
    return this.getItem(ReleaseSchema, serviceKey(input.service, input.environment), releaseSk(input.releaseId));
  }

  /** The release holding the service+environment lock, if any. */
  public async getActiveRelease(raw: { service: string; environment: string }): Promise<Release | undefined> {
    const lock = await this.getLock(raw);
    return lock === undefined ? undefined : this.getRelease(lock);
  }

  /** One service+environment's releases, newest first. */
  public async listReleases(raw: ListReleasesInput): Promise<Page<Release>> {
    const input = parseInput(ListReleasesInput, raw, 'listReleases');
    const pk = serviceKey(input.service, input.environment);
    return this.queryPage(
      {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :rel)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': pk, ':rel': 'REL#' },
      },
      input,
      (key) => key[PK] === pk && key[SK]?.startsWith('REL#') === true && Object.keys(key).length === 2,
    );
  }

  /** Releases across every service and environment, newest first. */
  public async listRecentReleases(raw: ListRecentInput = {}): Promise<Page<Release>> {
    const input = parseInput(ListInput, raw, 'listRecentReleases');
    return this.queryPage(
      {
        IndexName: LEDGER_TABLE.recentReleasesIndex.indexName,
        KeyConditionExpression: '#gpk = :gpk',
        ExpressionAttributeNames: { '#gpk': GSI_PK },
        ExpressionAttributeValues: { ':gpk': RECENT_RELEASES_PARTITION },
      },
      input,
      (key) =>
        key[GSI_PK] === RECENT_RELEASES_PARTITION &&
        key[GSI_SK] !== undefined &&
        key[PK]?.startsWith('SVC#') === true &&
        key[SK] === `REL#${key[GSI_SK]}` &&
        Object.keys(key).length === 4,
    );
  }

  // ───────────────────────────── audit log ─────────────────────────────

  /**
   * Appends an event to a release's audit log. The same event id twice is
   * stored once; `stored` tells which happened.
   */
  public async appendEvent(raw: AppendEventInput): Promise<{ stored: boolean; event: ReleaseEvent }> {
    const input = parseInput(AppendEventInput, raw, 'appendEvent');
    const event: ReleaseEvent = {
      ...input,
      eventId: input.eventId ?? this.ulid(this.now().getTime()),
      at: this.now().toISOString(),
    };
    return this.withConflictRetry('appendEvent', async () => {
      const cancellation = await this.transact(this.eventItems(event));
      if (cancellation === undefined) return { stored: true, event };
      if (cancellation.codes[0] === 'ConditionalCheckFailed') {
        const earlier = await this.getItem(z.object({ at: z.string() }), eventsKey(event.releaseId), `EID#${event.eventId}`);
        const stored = earlier === undefined ? undefined : await this.getItem(ReleaseEventSchema, eventsKey(event.releaseId), `EVT#${earlier.at}#${event.eventId}`);
        return { stored: false, event: stored ?? event };
      }
      return RETRY;
    });
  }

  /** A release's audit log, oldest first. */
  public async listEvents(raw: { releaseId: string }): Promise<ReleaseEvent[]> {
    const releaseId = parseInput(ReleaseIdSchema, raw.releaseId, 'listEvents');
    const events: ReleaseEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :evt)',
          ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
          ExpressionAttributeValues: { ':pk': eventsKey(releaseId), ':evt': 'EVT#' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) events.push(this.parse(ReleaseEventSchema, item));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return events;
  }

  // ───────────────────────────── stable version ─────────────────────────────

  /** The version and fleet taking traffic for a service+environment. */
  public async getStable(raw: { service: string; environment: string }): Promise<Stable | undefined> {
    const input = parseInput(ServiceEnvInput, { service: raw.service, environment: raw.environment }, 'getStable');
    return this.getItem(StableSchema, serviceKey(input.service, input.environment), STABLE_SK);
  }

  /**
   * Records the stable version and fleet. With `releaseId`, only the release
   * holding the lock may; without (onboarding), only while no release runs.
   *
   * @throws LockNotOwnedError
   */
  public async setStable(raw: SetStableInput): Promise<Stable> {
    const input = parseInput(SetStableInput, raw, 'setStable');
    return this.withConflictRetry('setStable', async () => {
      const current = await this.getStable(input);
      // A retried write by the same release keeps what it replaced the first time.
      const retried = input.releaseId !== undefined && current?.releaseId === input.releaseId;
      const previous = retried || current === undefined ? current?.previous : stableVersionOf(current);
      const stable: Stable = {
        service: input.service,
        environment: input.environment,
        version: input.version,
        fleet: input.fleet,
        releaseId: input.releaseId,
        updatedAt: this.now().toISOString(),
        ...(previous === undefined ? {} : { previous }),
      };
      return this.putStable(input, stable, current);
    });
  }

  /**
   * Puts back what was stable before `releaseId` recorded itself stable (a
   * release rolled back after Finalize). Only the lock holder may; a stable
   * record that is not this release's is left as it is.
   *
   * @returns the stable record now in force
   * @throws LockNotOwnedError
   */
  public async revertStable(raw: ReleaseRef): Promise<Stable | undefined> {
    const input = parseInput(LockInput, raw, 'revertStable');
    return this.withConflictRetry('revertStable', async () => {
      const current = await this.getStable(input);
      if (current?.releaseId !== input.releaseId || current.previous === undefined) return current;
      const stable: Stable = { service: input.service, environment: input.environment, ...stableVersionOf(current.previous), updatedAt: this.now().toISOString() };
      return this.putStable(input, stable, current);
    });
  }

  /** Writes the stable item if the lock allows it and nobody changed the item since it was read. */
  private async putStable(
    input: { service: string; environment: string; releaseId?: string | undefined },
    stable: Stable,
    read: Stable | undefined,
  ): Promise<Stable | typeof RETRY> {
    const pk = serviceKey(input.service, input.environment);
    const cancellation = await this.transact([
      {
        ConditionCheck: {
          TableName: this.tableName,
          Key: { [PK]: pk, [SK]: LOCK_SK },
          ...(input.releaseId === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
            : { ConditionExpression: 'releaseId = :me', ExpressionAttributeValues: { ':me': input.releaseId } }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { [PK]: pk, [SK]: STABLE_SK, ...stable },
          ...(read === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
            : { ConditionExpression: 'updatedAt = :read', ExpressionAttributeValues: { ':read': read.updatedAt } }),
        },
      },
    ]);
    if (cancellation === undefined) return stable;
    if (cancellation.codes[0] === 'ConditionalCheckFailed') {
      const holder = cancellation.items[0] === undefined ? undefined : this.parse(LockSchema, cancellation.items[0]);
      throw new LockNotOwnedError(input.releaseId ?? 'onboarding', holder?.releaseId);
    }
    return RETRY; // the stable item changed under us, or a conflict: look again
  }

  // ───────────────────────────── approvals ─────────────────────────────

  /**
   * Creates a pending approval with an opaque random id. The task token stays
   * in the ledger: only the id is ever shown to people.
   */
  public async createApproval(raw: CreateApprovalInput): Promise<Approval> {
    const input = parseInput(CreateApprovalInput, raw, 'createApproval');
    const now = this.now();
    const expires = new Date(now.getTime() + input.timeoutSeconds * 1000);
    const approval: Approval = {
      approvalId: randomBytes(24).toString('base64url'),
      releaseId: input.releaseId,
      service: input.service,
      environment: input.environment,
      stepIndex: input.stepIndex,
      taskToken: input.taskToken,
      approvers: input.approvers,
      createdAt: now.toISOString(),
      expiresAt: expires.toISOString(),
    };
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            [PK]: approvalKey(approval.approvalId),
            [SK]: APPROVAL_SK,
            ...approval,
            expiresAtMs: expires.getTime(),
            [TTL]: Math.ceil(expires.getTime() / 1000) + APPROVAL_RETENTION_SECONDS,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        },
      },
      // On the sweeper's list from the start, so a request Slack never took is posted later.
      { Put: { TableName: this.tableName, Item: this.openApprovalItem(approval) } },
    ];
    return this.withConflictRetry('createApproval', async () => ((await this.transact(items)) === undefined ? approval : RETRY));
  }

  /** An approval, or `undefined`. */
  public async getApproval(approvalId: string): Promise<Approval | undefined> {
    const id = parseInput(ApprovalIdSchema, approvalId, 'getApproval');
    return this.getItem(ApprovalSchema, approvalKey(id), APPROVAL_SK);
  }

  /**
   * Decides an approval, once, and records the decision in the release's
   * audit log in the same transaction. Whether `by` may decide is the caller's
   * policy; the ledger makes sure only one decision ever lands.
   *
   * @throws AlreadyDecidedError carrying the earlier decision.
   * @throws ApprovalExpiredError the approval expired undecided.
   * @throws ApprovalNotFoundError
   */
  public async decideApproval(raw: DecideInput): Promise<Approval> {
    const input = parseInput(DecideInput, raw, 'decideApproval');
    return this.withConflictRetry('decideApproval', async () => {
      const approval = await this.getApproval(input.approvalId);
      if (approval === undefined) throw new ApprovalNotFoundError(input.approvalId);
      if (approval.decision !== undefined) throw new AlreadyDecidedError(input.approvalId, approval.decision);
      const endorsements = approval.endorsements ?? [];
      const approving = input.outcome === 'APPROVED';
      if (approving && endorsements.some((e) => e.by === input.by)) throw new AlreadyEndorsedError(input.approvalId, input.by);
      const now = this.now();
      const at = now.toISOString();
      const endorsing = approving && endorsements.length + 1 < input.quorum;
      // The token read above is the one the caller resumes: a retried approval
      // step may have swapped it since (replaceApprovalToken). The count of
      // endorsements read above is the one this write builds on.
      const condition =
        'attribute_exists(#pk) AND attribute_not_exists(decision) AND expiresAtMs > :now AND taskToken = :token AND ' +
        (endorsements.length === 0 ? 'attribute_not_exists(endorsements)' : 'size(endorsements) = :count');
      const values = { ':now': now.getTime(), ':token': approval.taskToken, ...(endorsements.length === 0 ? {} : { ':count': endorsements.length }) };
      const endorsement: Endorsement = { by: input.by, at, via: input.via };
      const decision: Decision = {
        outcome: input.outcome,
        by: input.by,
        at,
        comment: input.comment,
        via: input.via,
        ...(approving && endorsements.length > 0 ? { endorsedBy: endorsements.map((e) => e.by) } : {}),
      };
      const step = `step ${approval.stepIndex}`;
      const cancellation = await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: { [PK]: approvalKey(input.approvalId), [SK]: APPROVAL_SK },
            UpdateExpression: endorsing ? 'SET endorsements = :endorsements' : 'SET decision = :decision',
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ...values, ...(endorsing ? { ':endorsements': [...endorsements, endorsement] } : { ':decision': decision }) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...this.eventItems(
          endorsing
            ? {
                releaseId: approval.releaseId,
                eventId: `approval-endorsed:${input.approvalId}:${String(endorsements.length + 1)}`,
                at,
                type: 'APPROVAL_ENDORSED',
                actor: input.by,
                message: `${step} approved by ${input.by}: ${String(endorsements.length + 1)} of the ${String(input.quorum)} distinct approvers it needs`,
                data: { approvalId: input.approvalId, stepIndex: approval.stepIndex, via: input.via },
              }
            : {
                releaseId: approval.releaseId,
                eventId: `approval-decided:${input.approvalId}`,
                at,
                type: approving ? 'APPROVAL_GRANTED' : 'APPROVAL_REJECTED',
                actor: input.by,
                message: `${step} ${input.outcome.toLowerCase()} by ${input.by}${decision.endorsedBy === undefined ? '' : ` after ${decision.endorsedBy.join(', ')}`}${input.comment === undefined ? '' : `: ${input.comment}`}`,
                data: { approvalId: input.approvalId, stepIndex: approval.stepIndex, via: input.via },
              },
        ),
      ]);
      if (cancellation === undefined) return endorsing ? { ...approval, endorsements: [...endorsements, endorsement] } : { ...approval, decision };
      if (cancellation.codes[0] === 'ConditionalCheckFailed') {
        const old = cancellation.items[0];
        if (old === undefined) throw new ApprovalNotFoundError(input.approvalId);
        const current = this.parse(ApprovalSchema, old);
        if (current.decision !== undefined) throw new AlreadyDecidedError(input.approvalId, current.decision);
        if (current.taskToken !== approval.taskToken) return RETRY;
        if ((current.endorsements ?? []).length !== endorsements.length) return RETRY;
        throw new ApprovalExpiredError(input.approvalId, current.expiresAt);
      }
      return RETRY;
    });
  }

  /**
   * Records that the approval's decision reached the flow (the task token was
   * answered) on the approval. Recording again returns the approval as it is. The flow's
   * answer is the truth: should a concurrent attempt have marked the decision
   * undelivered in between (its own send found the token already answered —
   * by this delivery), that mark is taken back.
   *
   * @throws ApprovalNotFoundError
   * @throws InvalidInputError the approval has no decision to deliver.
   */
  public async markApprovalDelivered(approvalId: string): Promise<Approval> {
    const id = parseInput(ApprovalIdSchema, approvalId, 'markApprovalDelivered');
    return this.withConflictRetry('markApprovalDelivered', async () => {
      const approval = await this.getApproval(id);
      if (approval === undefined) throw new ApprovalNotFoundError(id);
      if (approval.deliveredAt !== undefined) return approval;
      if (approval.decision === undefined) throw new InvalidInputError('markApprovalDelivered', 'decision', `approval ${id} has no decision to deliver`);
      const deliveredAt = this.now().toISOString();
      const retracted = approval.expired?.decisionUndelivered === true;
      // Only a retraction is audited: it follows an APPROVAL_EXPIRED event that no longer holds.
      const cancellation = await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: { [PK]: approvalKey(id), [SK]: APPROVAL_SK },
            UpdateExpression: retracted ? 'SET deliveredAt = :at REMOVE expired' : 'SET deliveredAt = :at',
            ConditionExpression: retracted
              ? 'attribute_exists(decision) AND attribute_not_exists(deliveredAt) AND expired.decisionUndelivered = :true'
              : 'attribute_exists(decision) AND attribute_not_exists(deliveredAt) AND attribute_not_exists(expired)',
            ExpressionAttributeValues: { ':at': deliveredAt, ...(retracted ? { ':true': true } : {}) },
          },
        },
        ...(retracted
          ? this.eventItems({
              releaseId: approval.releaseId,
              eventId: `approval-delivered:${id}`,
              at: deliveredAt,
              type: 'APPROVAL_DELIVERED',
              actor: approval.decision.by,
              message: `step ${approval.stepIndex} ${approval.decision.outcome.toLowerCase()}: the flow did take the decision after all; the expiry above no longer holds`,
              data: { approvalId: id, stepIndex: approval.stepIndex },
            })
          : []),
      ]);
      if (cancellation === undefined) {
        const delivered: Approval = { ...approval, deliveredAt };
        if (retracted) delete delivered.expired;
        return delivered;
      }
      return RETRY; // changed concurrently: the next look decides
    });
  }

  /**
   * Records the Slack message that asks for the decision, and lists the
   * approval among those whose message still has buttons (see
   * {@link listOpenApprovalMessages}), in one transaction. A message is
   * recorded once: recording again returns the approval with the first one.
   *
   * @throws ApprovalNotFoundError
   */
  public async recordApprovalMessage(raw: RecordApprovalMessageInput): Promise<Approval> {
    const input = parseInput(RecordApprovalMessageInput, raw, 'recordApprovalMessage');
    return this.withConflictRetry('recordApprovalMessage', async () => {
      const approval = await this.getApproval(input.approvalId);
      if (approval === undefined) throw new ApprovalNotFoundError(input.approvalId);
      if (approval.slackMessage !== undefined) return approval;
      const slackMessage = { channel: input.channel, ts: input.ts };
      const cancellation = await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: { [PK]: approvalKey(input.approvalId), [SK]: APPROVAL_SK },
            UpdateExpression: 'SET slackMessage = :message',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(slackMessage)',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':message': slackMessage },
          },
        },
        { Put: { TableName: this.tableName, Item: this.openApprovalItem(approval) } },
      ]);
      if (cancellation === undefined) return { ...approval, slackMessage };
      // Recorded concurrently (or the approval vanished): look again.
      return RETRY;
    });
  }

  /**
   * Points an undecided, unexpired approval at a new task token. Step
   * Functions gives a retried callback task a new token and the old one dies
   * with the failed attempt; the retried approval step keeps asking the same
   * approval (same id, same Slack message, same deadline) instead of opening
   * a second one.
   *
   * @returns the approval with the new token, or `undefined` when it can no
   *   longer take one (decided, expired, gone, or its token is no longer
   *   `previousTaskToken`): the caller opens a new approval.
   */
  public async replaceApprovalToken(raw: ReplaceApprovalTokenInput): Promise<Approval | undefined> {
    const input = parseInput(ReplaceApprovalTokenInput, raw, 'replaceApprovalToken');
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: approvalKey(input.approvalId), [SK]: APPROVAL_SK },
          UpdateExpression: 'SET taskToken = :token',
          ConditionExpression:
            'attribute_exists(#pk) AND attribute_not_exists(decision) AND attribute_not_exists(expired) AND taskToken = :previous AND expiresAtMs > :now',
          ExpressionAttributeNames: { '#pk': PK },
          ExpressionAttributeValues: { ':token': input.taskToken, ':previous': input.previousTaskToken, ':now': this.now().getTime() },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return this.parse(ApprovalSchema, out.Attributes ?? {});
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Marks an approval as no longer deciding anything: it timed out, or the
   * release stopped waiting on it. Recorded once, with an APPROVAL_EXPIRED
   * audit event in the same transaction; marking again returns the approval
   * as it is. An approval already decided can still be marked: its decision
   * arrived after the task had closed and changed nothing.
   *
   * @throws ApprovalNotFoundError
   */
  public async markApprovalExpired(raw: MarkApprovalExpiredInput): Promise<Approval> {
    const input = parseInput(MarkApprovalExpiredInput, raw, 'markApprovalExpired');
    return this.withConflictRetry('markApprovalExpired', async () => {
      const approval = await this.getApproval(input.approvalId);
      if (approval === undefined) throw new ApprovalNotFoundError(input.approvalId);
      if (approval.expired !== undefined) return approval;
      // A decision that was delivered did reach the flow: nothing to expire.
      if (approval.deliveredAt !== undefined) return approval;
      const undelivered = approval.decision !== undefined;
      const expired = { at: this.now().toISOString(), reason: input.reason, ...(undelivered ? { decisionUndelivered: true } : {}) };
      const cancellation = await this.transact([
        {
          Update: {
            TableName: this.tableName,
            Key: { [PK]: approvalKey(input.approvalId), [SK]: APPROVAL_SK },
            UpdateExpression: 'SET expired = :expired',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(expired) AND attribute_not_exists(deliveredAt)',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':expired': expired },
          },
        },
        ...this.eventItems({
          releaseId: approval.releaseId,
          eventId: `approval-expired:${input.approvalId}`,
          at: expired.at,
          type: 'APPROVAL_EXPIRED',
          message: `approval of step ${approval.stepIndex} expired: ${input.reason}`,
          data: { approvalId: input.approvalId, stepIndex: approval.stepIndex, decided: approval.decision !== undefined },
        }),
      ]);
      if (cancellation === undefined) return { ...approval, expired };
      return RETRY; // marked concurrently: the next look returns it
    });
  }

  /**
   * Approvals the sweeper still has work on, soonest expiry first: every
   * approval from its creation until its Slack message shows the outcome (or,
   * never posted, until it ends) — a request to post, a decision to deliver,
   * a message to update once decided, expired, or no longer mattering.
   */
  public async listOpenApprovalMessages(raw: ListOpenApprovalMessagesInput = {}): Promise<OpenApprovalMessage[]> {
    const input = parseInput(ListOpenApprovalMessagesInput, raw, 'listOpenApprovalMessages');
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': PK },
        ExpressionAttributeValues: { ':pk': OPEN_APPROVAL_MESSAGES_PK },
        ConsistentRead: true,
        Limit: input.limit,
      }),
    );
    return (out.Items ?? []).map((item) => this.parse(OpenApprovalMessageSchema, item));
  }

  /** Takes an approval off the open-message list once its Slack message shows the outcome; absent is success. */
  public async closeApprovalMessage(approval: { approvalId: string; expiresAt: string }): Promise<void> {
    const id = parseInput(ApprovalIdSchema, approval.approvalId, 'closeApprovalMessage');
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { [PK]: OPEN_APPROVAL_MESSAGES_PK, [SK]: openApprovalMessageSk(approval.expiresAt, id) },
      }),
    );
  }

  // ───────────────────────────── internals ─────────────────────────────

  /** An approval's entry on the sweeper's list (see {@link listOpenApprovalMessages}). */
  private openApprovalItem(approval: Pick<Approval, 'approvalId' | 'expiresAt'>): Record<string, unknown> {
    return {
      [PK]: OPEN_APPROVAL_MESSAGES_PK,
      [SK]: openApprovalMessageSk(approval.expiresAt, approval.approvalId),
      approvalId: approval.approvalId,
      expiresAt: approval.expiresAt,
      [TTL]: Math.ceil(Date.parse(approval.expiresAt) / 1000) + APPROVAL_RETENTION_SECONDS,
    };
  }

  private releaseKey(ref: ReleaseRef): Record<string, string> {
    return { [PK]: serviceKey(ref.service, ref.environment), [SK]: releaseSk(ref.releaseId) };
  }

  /** The conditional status change shared by transition and finish. */
  private statusUpdate(
    ref: ReleaseRef,
    from: ReleaseStatus,
    to: ReleaseStatus | TerminalStatus,
    at: string,
    updateExpression: string,
    values: Record<string, unknown>,
    extraCondition?: string,
  ): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: this.releaseKey(ref),
        UpdateExpression: updateExpression,
        // The legality of from -> to was checked before; this makes sure `from` is still the truth.
        ConditionExpression: `attribute_exists(#pk) AND #status = :from${extraCondition === undefined ? '' : ` ${extraCondition}`}`,
        ExpressionAttributeNames: { '#pk': PK, '#status': 'status', ...(extraCondition === undefined ? {} : { '#stepName': 'name' }) },
        ExpressionAttributeValues: { ':from': from, ':to': to, ':at': at, ...values },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
  }

  private staleStatus(ref: ReleaseRef, expected: ReleaseStatus, old: Record<string, unknown> | undefined): Error {
    if (old === undefined) return new ReleaseNotFoundError(ref.releaseId);
    return new StaleStatusError(ref.releaseId, expected, this.parse(ReleaseSchema, old).status);
  }

  private lockNotOwned(error: unknown, releaseId: string): unknown {
    if (!(error instanceof ConditionalCheckFailedException)) return error;
    const holder = error.Item === undefined ? undefined : this.parse(LockSchema, unmarshallItem(error.Item));
    return new LockNotOwnedError(releaseId, holder?.releaseId);
  }

  /**
   * One conditional update of a release in one of `statuses` (by default any
   * active one), returning it as written.
   *
   * @throws ReleaseNotActiveError it is in another status
   * @throws ReleaseNotFoundError
   */
  private async updateActiveRelease(
    ref: ReleaseRef,
    updateExpression: string,
    values: Record<string, unknown>,
    statuses: readonly ReleaseStatus[] = ACTIVE_STATUSES,
  ): Promise<Release> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.releaseKey(ref),
          UpdateExpression: updateExpression,
          ConditionExpression: `attribute_exists(#pk) AND #status IN (${statuses.map((_, i) => `:active${i}`).join(', ')})`,
          ExpressionAttributeNames: { '#pk': PK, '#status': 'status' },
          ExpressionAttributeValues: {
            ...Object.fromEntries(statuses.map((s, i) => [`:active${i}`, s])),
            ':at': this.now().toISOString(),
            ...values,
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return this.parse(ReleaseSchema, out.Attributes);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      if (error.Item === undefined) throw new ReleaseNotFoundError(ref.releaseId);
      const current = this.parse(ReleaseSchema, unmarshallItem(error.Item));
      throw new ReleaseNotActiveError(ref.releaseId, current.status);
    }
  }

  /** The two items of one audit event: the dedup marker (conditional) and the event. */
  private eventItems(event: ReleaseEvent): TransactItem[] {
    const pk = eventsKey(event.releaseId);
    return [
      {
        Put: {
          TableName: this.tableName,
          Item: { [PK]: pk, [SK]: `EID#${event.eventId}`, at: event.at },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        },
      },
      { Put: { TableName: this.tableName, Item: { [PK]: pk, [SK]: `EVT#${event.at}#${event.eventId}`, ...event } } },
    ];
  }

  /** Runs a transaction; returns `undefined` on success or the cancellation reasons. */
  private async transact(items: TransactItem[]): Promise<Cancellation | undefined> {
    try {
      await this.client.send(new TransactWriteCommand({ TransactItems: items }));
      return undefined;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      return {
        codes: items.map((_, i) => reasons[i]?.Code),
        items: items.map((_, i) => {
          const item = reasons[i]?.Item;
          return item === undefined ? undefined : unmarshallItem(item);
        }),
      };
    }
  }

  /**
   * Runs `attempt` until it returns something other than {@link RETRY}, with
   * jittered exponential backoff. `RETRY` means "a concurrent write got in the
   * way (TransactionConflict, or state changed between read and write): look
   * again". DynamoDB cancels a transaction with TransactionConflict when another
   * transaction or write touches one of its items at the same time.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-conflict-handling
   */
  private async withConflictRetry<T>(operation: string, attempt: () => Promise<T | typeof RETRY>): Promise<T> {
    for (let n = 1; n <= this.maxTransactionAttempts; n++) {
      const result = await attempt();
      if (result !== RETRY) return result;
      if (n < this.maxTransactionAttempts) await sleep(Math.random() * 25 * 2 ** n);
    }
    throw new LedgerConflictError(operation, this.maxTransactionAttempts);
  }

  private async requireRelease(ref: ReleaseRef): Promise<Release> {
    const release = await this.getRelease(ref);
    if (release === undefined) throw new ReleaseNotFoundError(ref.releaseId);
    return release;
  }

  private async getItem<S extends z.ZodType>(schema: S, pk: string, sk: string): Promise<z.output<S> | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { [PK]: pk, [SK]: sk }, ConsistentRead: true }),
    );
    return out.Item === undefined ? undefined : this.parse(schema, out.Item);
  }

  private async queryPage(
    query: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey' | 'ScanIndexForward'>,
    page: { limit: number; cursor?: string | undefined },
    isOwnKey: (key: Record<string, string | undefined>) => boolean,
  ): Promise<Page<Release>> {
    const startKey = page.cursor === undefined ? undefined : decodeCursor(page.cursor, isOwnKey);
    const out = await this.client.send(
      new QueryCommand({
        ...query,
        TableName: this.tableName,
        Limit: page.limit,
        ScanIndexForward: false,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      items: (out.Items ?? []).map((item) => this.parse(ReleaseSchema, item)),
      cursor: out.LastEvaluatedKey === undefined ? undefined : encodeCursor(out.LastEvaluatedKey),
    };
  }

  private parse<S extends z.ZodType>(schema: S, item: unknown): z.output<S> {
    const result = schema.safeParse(item);
    if (result.success) return result.data;
    const record = (item ?? {}) as Record<string, unknown>;
    const issue = result.error.issues[0];
    throw new CorruptRecordError(
      `${String(record[PK])} / ${String(record[SK])}`,
      `${issue?.path.map(String).join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
}

/** The version, fleet and release of a stable record, without its history. */
function stableVersionOf(stable: { version: string; fleet: Stable['fleet']; releaseId?: string | undefined }): NonNullable<Stable['previous']> {
  return { version: stable.version, fleet: stable.fleet, ...(stable.releaseId === undefined ? {} : { releaseId: stable.releaseId }) };
}

/** The update of a status change: the reason replaces the last one, the cause is set with ROLLING_BACK. */
function transitionUpdate(input: { reason?: string | undefined; cause?: string | undefined }): string {
  const set = ['#status = :to', 'updatedAt = :at'];
  const remove: string[] = [];
  if (input.reason === undefined) remove.push('statusReason');
  else set.push('statusReason = :reason');
  if (input.cause !== undefined) set.push('rollbackCause = :cause');
  return `SET ${set.join(', ')}${remove.length === 0 ? '' : ` REMOVE ${remove.join(', ')}`}`;
}

/** Returned by a transaction attempt to ask {@link Ledger.withConflictRetry} for another try. */
const RETRY: unique symbol = Symbol('retry');

function unmarshallItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return unmarshall(item);
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Cursors are opaque to callers but checked here: a cursor from another listing is refused. */
function decodeCursor(
  cursor: string,
  isOwnKey: (key: Record<string, string | undefined>) => boolean,
): Record<string, string> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor this ledger produced');
  }
  const parsed = z.record(z.string(), z.string()).safeParse(key);
  if (!parsed.success || !isOwnKey(parsed.data)) {
    throw new InvalidCursorError('it belongs to another listing or was altered');
  }
  return parsed.data;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
