/**
 * The per-service+environment lock: one release at a time, held under a
 * lease the running release renews. Taking it is part of starting a release
 * (./release-store.ts), giving it back part of finishing one.
 */
import { LockSchema, type Lock, type ReleaseRef } from '../domain/release.js';
import { LockNotOwnedError } from '../errors.js';
import type { ReleaseLocks } from '../ports.js';
import { parseInput } from '../validation.js';
import { ReleaseRefInputSchema, RenewLeaseInputSchema, ServiceEnvInputSchema, type RenewLeaseInput } from './inputs.js';
import { lockKey, PK } from './items.js';
import type { LedgerTable, Refused } from './table-layer.js';

/** The lock on the ledger table. */
export class LockStore implements ReleaseLocks {
  public constructor(private readonly table: LedgerTable) {}

  public async getLock(raw: { service: string; environment: string }): Promise<Lock | undefined> {
    const input = parseInput(ServiceEnvInputSchema, { service: raw.service, environment: raw.environment }, 'getLock');
    return this.table.get(LockSchema, lockKey(input));
  }

  public async renewLease(raw: RenewLeaseInput): Promise<Lock> {
    const input = parseInput(RenewLeaseInputSchema, raw, 'renewLease');
    const expires = new Date(this.table.now().getTime() + input.leaseSeconds * 1000);
    const outcome = await this.table.update({
      Key: lockKey(input),
      UpdateExpression: 'SET leaseExpiresAt = :iso, leaseExpiresAtMs = :ms',
      ConditionExpression: 'releaseId = :me',
      ExpressionAttributeValues: { ':iso': expires.toISOString(), ':ms': expires.getTime(), ':me': input.releaseId },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (!outcome.written) throw this.notOwned(outcome, input.releaseId);
    return this.table.parse(LockSchema, outcome.item);
  }

  public async releaseLock(raw: ReleaseRef): Promise<void> {
    const input = parseInput(ReleaseRefInputSchema, raw, 'releaseLock');
    const outcome = await this.table.delete({
      Key: lockKey(input),
      ConditionExpression: 'attribute_not_exists(#pk) OR releaseId = :me',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':me': input.releaseId },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (!outcome.written) throw this.notOwned(outcome, input.releaseId);
  }

  private notOwned(outcome: Refused, releaseId: string): LockNotOwnedError {
    const holder = outcome.current === undefined ? undefined : this.table.parse(LockSchema, outcome.current);
    return new LockNotOwnedError(releaseId, holder?.releaseId);
  }
}
