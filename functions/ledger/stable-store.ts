/**
 * The stable version of each service+environment. Only the release holding
 * the lock may record itself stable (or put back what it replaced), and
 * onboarding only while no release runs: the lock is checked in the same
 * transaction as the write.
 */
import { LockSchema, type ReleaseRef } from '../domain/release.js';
import { StableSchema, stableVersionOf, type Stable } from '../domain/stable.js';
import { LockNotOwnedError } from '../errors.js';
import type { StableVersions } from '../ports.js';
import { parseInput } from '../validation.js';
import { ReleaseRefInputSchema, ServiceEnvInputSchema, SetStableInputSchema, type SetStableInput } from './inputs.js';
import { lockKey, PK, stableKey } from './items.js';
import { RETRY, type LedgerTable } from './table-layer.js';

/** Stable versions on the ledger table. */
export class StableStore implements StableVersions {
  public constructor(private readonly table: LedgerTable) {}

  public async getStable(raw: { service: string; environment: string }): Promise<Stable | undefined> {
    const input = parseInput(ServiceEnvInputSchema, { service: raw.service, environment: raw.environment }, 'getStable');
    return this.table.get(StableSchema, stableKey(input));
  }

  public async setStable(raw: SetStableInput): Promise<Stable> {
    const input = parseInput(SetStableInputSchema, raw, 'setStable');
    return this.table.withConflictRetry('setStable', async () => {
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
        updatedAt: this.table.now().toISOString(),
        ...(previous === undefined ? {} : { previous }),
      };
      return this.putStable(input, stable, current);
    });
  }

  public async revertStable(raw: ReleaseRef): Promise<Stable | undefined> {
    const input = parseInput(ReleaseRefInputSchema, raw, 'revertStable');
    return this.table.withConflictRetry('revertStable', async () => {
      const current = await this.getStable(input);
      if (current?.releaseId !== input.releaseId || current.previous === undefined) return current;
      const stable: Stable = { service: input.service, environment: input.environment, ...stableVersionOf(current.previous), updatedAt: this.table.now().toISOString() };
      return this.putStable(input, stable, current);
    });
  }

  /** Writes the stable item if the lock allows it and nobody changed the item since it was read. */
  private async putStable(
    input: { service: string; environment: string; releaseId?: string | undefined },
    stable: Stable,
    read: Stable | undefined,
  ): Promise<Stable | typeof RETRY> {
    const cancellation = await this.table.transact([
      {
        ConditionCheck: {
          Key: lockKey(input),
          ...(input.releaseId === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
            : { ConditionExpression: 'releaseId = :me', ExpressionAttributeValues: { ':me': input.releaseId } }),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      {
        Put: {
          Item: { ...stableKey(input), ...stable },
          ...(read === undefined
            ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': PK } }
            : { ConditionExpression: 'updatedAt = :read', ExpressionAttributeValues: { ':read': read.updatedAt } }),
        },
      },
    ]);
    if (cancellation === undefined) return stable;
    if (cancellation.codes[0] === 'ConditionalCheckFailed') {
      const holder = cancellation.items[0] === undefined ? undefined : this.table.parse(LockSchema, cancellation.items[0]);
      throw new LockNotOwnedError(input.releaseId ?? 'onboarding', holder?.releaseId);
    }
    return RETRY; // the stable item changed under us, or a conflict: look again
  }
}
