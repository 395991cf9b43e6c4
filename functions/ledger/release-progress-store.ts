/**
 * What an active release records as it goes, each in one conditional write
 * on its record: the step and weights in force, its new fleet, the wait it
 * is on, a full promotion asked for, and Retire's claim.
 */
import { ACTIVE_STATUSES, type ReleaseStatus } from '../domain/status.js';
import { ReleaseSchema, RETIRE_STEP, type Release, type ReleaseRef } from '../domain/release.js';
import { ReleaseNotActiveError, ReleaseNotFoundError, WaitTokenMismatchError } from '../errors.js';
import type { ReleaseProgress } from '../ports.js';
import { parseInput } from '../validation.js';
import {
  ClaimRetirementInputSchema,
  ClearWaitInputSchema,
  MarkPromoteFullInputSchema,
  ProgressInputSchema,
  RecordFleetInputSchema,
  RecordWaitInputSchema,
  type ClaimRetirementInput,
  type ClearWaitInput,
  type MarkPromoteFullInput,
  type ProgressInput,
  type RecordFleetInput,
  type RecordWaitInput,
} from './inputs.js';
import { PK, releaseKey } from './items.js';
import type { LedgerTable } from './table-layer.js';

/** Release progress on the ledger table. */
export class ReleaseProgressStore implements ReleaseProgress {
  public constructor(private readonly table: LedgerTable) {}

  public async recordProgress(raw: ProgressInput): Promise<Release> {
    const input = parseInput(ProgressInputSchema, raw, 'recordProgress');
    return this.updateActiveRelease(input, 'SET currentStep = :step, weights = :weights, updatedAt = :at', {
      ':step': input.step,
      ':weights': input.weights,
    });
  }

  public async claimRetirement(raw: ClaimRetirementInput): Promise<Release> {
    const input = parseInput(ClaimRetirementInputSchema, raw, 'claimRetirement');
    return this.updateActiveRelease(input, 'SET currentStep = :step, updatedAt = :at', { ':step': { index: input.stepIndex, name: RETIRE_STEP } }, ['FINALIZING']);
  }

  public async markPromoteFull(raw: MarkPromoteFullInput): Promise<Release> {
    const input = parseInput(MarkPromoteFullInputSchema, raw, 'markPromoteFull');
    const promoteFull = { ...input.promoteFull, at: this.table.now().toISOString() };
    return this.updateActiveRelease(input, 'SET promoteFull = :promoteFull, updatedAt = :at', { ':promoteFull': promoteFull }, ['SHIFTING', 'AWAITING_APPROVAL']);
  }

  public async recordFleet(raw: RecordFleetInput): Promise<Release> {
    const input = parseInput(RecordFleetInputSchema, raw, 'recordFleet');
    return this.updateActiveRelease(input, 'SET newFleet = :fleet, updatedAt = :at', { ':fleet': input.fleet });
  }

  public async recordWait(raw: RecordWaitInput): Promise<Release> {
    const input = parseInput(RecordWaitInputSchema, raw, 'recordWait');
    const wait = { ...input.wait, since: this.table.now().toISOString() };
    return this.updateActiveRelease(input, 'SET waiting = :wait, updatedAt = :at', { ':wait': wait });
  }

  public async clearWait(raw: ClearWaitInput): Promise<Release> {
    const input = parseInput(ClearWaitInputSchema, raw, 'clearWait');
    const outcome = await this.table.update({
      Key: releaseKey(input),
      UpdateExpression: 'REMOVE waiting SET updatedAt = :at',
      ConditionExpression: 'attribute_exists(#pk) AND (attribute_not_exists(waiting) OR waiting.taskToken = :token)',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':token': input.taskToken, ':at': this.table.now().toISOString() },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (outcome.written) return this.table.parse(ReleaseSchema, outcome.item);
    if (outcome.current === undefined) throw new ReleaseNotFoundError(input.releaseId);
    throw new WaitTokenMismatchError(input.releaseId);
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
    const outcome = await this.table.update({
      Key: releaseKey(ref),
      UpdateExpression: updateExpression,
      ConditionExpression: `attribute_exists(#pk) AND #status IN (${statuses.map((_, i) => `:active${i}`).join(', ')})`,
      ExpressionAttributeNames: { '#pk': PK, '#status': 'status' },
      ExpressionAttributeValues: {
        ...Object.fromEntries(statuses.map((s, i) => [`:active${i}`, s])),
        ':at': this.table.now().toISOString(),
        ...values,
      },
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    if (outcome.written) return this.table.parse(ReleaseSchema, outcome.item);
    if (outcome.current === undefined) throw new ReleaseNotFoundError(ref.releaseId);
    throw new ReleaseNotActiveError(ref.releaseId, this.table.parse(ReleaseSchema, outcome.current).status);
  }
}
