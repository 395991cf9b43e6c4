/**
 * Releases and their lifecycle: a start that creates the record and takes
 * the lock in one transaction, status changes audited in the same
 * transaction, the end that releases the lock, and the listings.
 */
import { LockSchema, ReleaseSchema, type Lock, type Release, type ReleaseRef } from '../domain/release.js';
import { isLegalTransition, isTerminalStatus, type ReleaseStatus, type TerminalStatus } from '../domain/status.js';
import { MAX_REASON_LENGTH } from '../domain/text.js';
import {
  IllegalTransitionError,
  InvalidInputError,
  LockNotOwnedError,
  ReleaseInProgressError,
  ReleaseNotFoundError,
  StaleStatusError,
} from '../errors.js';
import type { Page, ReleaseLocks, Releases } from '../ports.js';
import { parseInput } from '../validation.js';
import {
  FinishInputSchema,
  ListInputSchema,
  ListReleasesInputSchema,
  ReleaseRefInputSchema,
  StartReleaseInputSchema,
  TransitionInputSchema,
  type FinishInput,
  type ListRecentInput,
  type ListReleasesInput,
  type StartReleaseInput,
  type TransitionInput,
} from './inputs.js';
import {
  eventItems,
  GSI_PK,
  GSI_SK,
  lockKey,
  PK,
  RECENT_RELEASES_PARTITION,
  RELEASE_SK_PREFIX,
  releaseKey,
  servicePartition,
  SK,
} from './items.js';
import { LEDGER_TABLE } from './table.js';
import { RETRY, type LedgerTable, type TransactItem } from './table-layer.js';

/** Releases on the ledger table; the lock is read through `locks`. */
export class ReleaseStore implements Releases {
  public constructor(
    private readonly table: LedgerTable,
    private readonly locks: Pick<ReleaseLocks, 'getLock'>,
  ) {}

  public async startRelease(raw: StartReleaseInput): Promise<Release> {
    const input = parseInput(StartReleaseInputSchema, raw, 'startRelease');
    const releaseId = input.releaseId ?? this.table.newId();
    const startEventId = this.table.newId();

    return this.table.withConflictRetry('startRelease', async () => {
      const now = this.table.now();
      const at = now.toISOString();

      let previousHolder: Lock | undefined;
      if (input.takeover !== undefined) {
        const lock = await this.locks.getLock(input);
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
            Item: { ...releaseKey(release), [GSI_PK]: RECENT_RELEASES_PARTITION, [GSI_SK]: releaseId, ...release },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': PK },
          },
        },
        {
          Put: {
            Item: { ...lockKey(input), ...lock, leaseExpiresAtMs: Date.parse(lock.leaseExpiresAt) },
            ...(previousHolder === undefined
              ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
              : {
                  ConditionExpression: 'releaseId = :holder AND leaseExpiresAtMs < :now',
                  ExpressionAttributeValues: { ':holder': previousHolder.releaseId, ':now': now.getTime() },
                }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...eventItems({
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
          ...eventItems({
            releaseId,
            eventId: `lock-takeover:${previousHolder.releaseId}`,
            at,
            type: 'LOCK_TAKEN_OVER',
            actor: takeover.actor,
            message: `took the lock over from ${previousHolder.releaseId} (lease expired ${previousHolder.leaseExpiresAt}): ${takeover.reason}`,
            data: { from: previousHolder.releaseId, leaseExpiredAt: previousHolder.leaseExpiresAt },
          }),
          ...eventItems({
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

      const cancellation = await this.table.transact(items);
      if (cancellation === undefined) return release;

      const [releaseCode, lockCode] = cancellation.codes;
      if (lockCode === 'ConditionalCheckFailed') {
        const holder = cancellation.items[1] === undefined ? undefined : this.table.parse(LockSchema, cancellation.items[1]);
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

  public async transition(raw: TransitionInput): Promise<Release> {
    const input = parseInput(TransitionInputSchema, raw, 'transition');
    if (!isLegalTransition(input.from, input.to) || isTerminalStatus(input.to)) {
      throw new IllegalTransitionError(input.from, input.to);
    }
    const eventId = this.table.newId();
    return this.table.withConflictRetry('transition', async () => {
      const at = this.table.now().toISOString();
      const cancellation = await this.table.transact([
        statusUpdate(
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
        ...eventItems({
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

  public async finishRelease(raw: FinishInput): Promise<Release> {
    const input = parseInput(FinishInputSchema, raw, 'finishRelease');
    if (!isLegalTransition(input.from, input.status)) throw new IllegalTransitionError(input.from, input.status);
    const eventId = this.table.newId();

    return this.table.withConflictRetry('finishRelease', async () => {
      const at = this.table.now().toISOString();
      const lockItem = lockRelease(input.releaseId, lockKey(input), await this.locks.getLock(input));
      const cancellation = await this.table.transact([
        statusUpdate(
          input,
          input.from,
          input.status,
          at,
          'SET #status = :to, updatedAt = :at, finishedAt = :at, outcome = :outcome, reason = :reason REMOVE waiting',
          { ':outcome': input.outcome, ':reason': input.reason },
        ),
        lockItem,
        ...eventItems({
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

  public async getRelease(raw: ReleaseRef): Promise<Release | undefined> {
    const input = parseInput(ReleaseRefInputSchema, raw, 'getRelease');
    return this.table.get(ReleaseSchema, releaseKey(input));
  }

  public async getActiveRelease(raw: { service: string; environment: string }): Promise<Release | undefined> {
    const lock = await this.locks.getLock(raw);
    return lock === undefined ? undefined : this.getRelease(lock);
  }

  public async listReleases(raw: ListReleasesInput): Promise<Page<Release>> {
    const input = parseInput(ListReleasesInputSchema, raw, 'listReleases');
    const pk = servicePartition(input.service, input.environment);
    return this.table.queryPage(
      ReleaseSchema,
      {
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :rel)',
        ExpressionAttributeNames: { '#pk': PK, '#sk': SK },
        ExpressionAttributeValues: { ':pk': pk, ':rel': RELEASE_SK_PREFIX },
        ScanIndexForward: false,
      },
      input,
      (key) => key[PK] === pk && key[SK]?.startsWith(RELEASE_SK_PREFIX) === true && Object.keys(key).length === 2,
    );
  }

  public async listRecentReleases(raw: ListRecentInput = {}): Promise<Page<Release>> {
    const input = parseInput(ListInputSchema, raw, 'listRecentReleases');
    return this.table.queryPage(
      ReleaseSchema,
      {
        IndexName: LEDGER_TABLE.recentReleasesIndex.indexName,
        KeyConditionExpression: '#gpk = :gpk',
        ExpressionAttributeNames: { '#gpk': GSI_PK },
        ExpressionAttributeValues: { ':gpk': RECENT_RELEASES_PARTITION },
        ScanIndexForward: false,
      },
      input,
      (key) =>
        key[GSI_PK] === RECENT_RELEASES_PARTITION &&
        key[GSI_SK] !== undefined &&
        key[PK]?.startsWith('SVC#') === true &&
        key[SK] === `${RELEASE_SK_PREFIX}${key[GSI_SK]}` &&
        Object.keys(key).length === 4,
    );
  }

  private async requireRelease(ref: ReleaseRef): Promise<Release> {
    const release = await this.getRelease(ref);
    if (release === undefined) throw new ReleaseNotFoundError(ref.releaseId);
    return release;
  }

  private staleStatus(ref: ReleaseRef, expected: ReleaseStatus, old: Record<string, unknown> | undefined): Error {
    if (old === undefined) return new ReleaseNotFoundError(ref.releaseId);
    return new StaleStatusError(ref.releaseId, expected, this.table.parse(ReleaseSchema, old).status);
  }
}

/**
 * How finishing a release treats the lock: deleted if the release holds it,
 * checked absent if nobody does, checked unchanged if another release took
 * it over from this one (closed without touching the new holder's lock).
 *
 * @throws LockNotOwnedError another release holds it and did not take it over from this one
 */
function lockRelease(releaseId: string, key: Record<string, string>, lock: Lock | undefined): TransactItem {
  if (lock === undefined) {
    return { ConditionCheck: { Key: key, ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } } };
  }
  if (lock.releaseId === releaseId) {
    return { Delete: { Key: key, ConditionExpression: 'releaseId = :me', ExpressionAttributeValues: { ':me': releaseId } } };
  }
  if (lock.takenOverFrom?.releaseId === releaseId) {
    return { ConditionCheck: { Key: key, ConditionExpression: 'releaseId = :holder', ExpressionAttributeValues: { ':holder': lock.releaseId } } };
  }
  throw new LockNotOwnedError(releaseId, lock.releaseId);
}

/** The conditional status change shared by transition and finish. */
function statusUpdate(
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
      Key: releaseKey(ref),
      UpdateExpression: updateExpression,
      // The legality of from -> to was checked before; this makes sure `from` is still the truth.
      ConditionExpression: `attribute_exists(#pk) AND #status = :from${extraCondition === undefined ? '' : ` ${extraCondition}`}`,
      ExpressionAttributeNames: { '#pk': PK, '#status': 'status', ...(extraCondition === undefined ? {} : { '#stepName': 'name' }) },
      ExpressionAttributeValues: { ':from': from, ':to': to, ':at': at, ...values },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
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
