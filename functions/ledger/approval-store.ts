/**
 * Approvals: one item per approval under an opaque random id (the task token
 * it resumes never leaves the backend). A decision lands once, in the same
 * transaction as its audit event; delivery to the flow and expiry are
 * recorded on the same item. Who may decide is the caller's policy
 * (functions/approval/policy.ts), not the store's.
 */
import { randomBytes } from 'node:crypto';
import { ApprovalSchema, type Approval, type Decision, type Endorsement } from '../domain/approval.js';
import { AlreadyDecidedError, AlreadyEndorsedError, ApprovalExpiredError, ApprovalNotFoundError, InvalidInputError } from '../errors.js';
import type { Approvals } from '../ports.js';
import { parseInput } from '../validation.js';
import {
  ApprovalIdSchema,
  CreateApprovalInputSchema,
  DecideInputSchema,
  MarkApprovalExpiredInputSchema,
  ReplaceApprovalTokenInputSchema,
  type CreateApprovalInput,
  type DecideInput,
  type MarkApprovalExpiredInput,
  type ReplaceApprovalTokenInput,
} from './inputs.js';
import { approvalKey, approvalTtl, eventItems, openApprovalMessageItem, PK } from './items.js';
import { RETRY, type LedgerTable } from './table-layer.js';

/** Approvals on the ledger table. */
export class ApprovalStore implements Approvals {
  public constructor(private readonly table: LedgerTable) {}

  public async createApproval(raw: CreateApprovalInput): Promise<Approval> {
    const input = parseInput(CreateApprovalInputSchema, raw, 'createApproval');
    const now = this.table.now();
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
    const items = [
      {
        Put: {
          Item: { ...approvalKey(approval.approvalId), ...approval, expiresAtMs: expires.getTime(), ...approvalTtl(expires.getTime()) },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        },
      },
      // On the sweeper's list from the start, so a request Slack never took is posted later.
      { Put: { Item: openApprovalMessageItem(approval) } },
    ];
    return this.table.withConflictRetry('createApproval', async () => ((await this.table.transact(items)) === undefined ? approval : RETRY));
  }

  public async getApproval(approvalId: string): Promise<Approval | undefined> {
    const id = parseInput(ApprovalIdSchema, approvalId, 'getApproval');
    return this.table.get(ApprovalSchema, approvalKey(id));
  }

  public async decideApproval(raw: DecideInput): Promise<Approval> {
    const input = parseInput(DecideInputSchema, raw, 'decideApproval');
    return this.table.withConflictRetry('decideApproval', async () => {
      const approval = await this.getApproval(input.approvalId);
      if (approval === undefined) throw new ApprovalNotFoundError(input.approvalId);
      if (approval.decision !== undefined) throw new AlreadyDecidedError(input.approvalId, approval.decision);
      const endorsements = approval.endorsements ?? [];
      const approving = input.outcome === 'APPROVED';
      if (approving && endorsements.some((e) => e.by === input.by)) throw new AlreadyEndorsedError(input.approvalId, input.by);
      const now = this.table.now();
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
        ...(input.action === undefined ? {} : { action: input.action }),
        ...(approving && endorsements.length > 0 ? { endorsedBy: endorsements.map((e) => e.by) } : {}),
      };
      const step = `step ${approval.stepIndex}`;
      const cancellation = await this.table.transact([
        {
          Update: {
            Key: approvalKey(input.approvalId),
            UpdateExpression: endorsing ? 'SET endorsements = :endorsements' : 'SET decision = :decision',
            ConditionExpression: condition,
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ...values, ...(endorsing ? { ':endorsements': [...endorsements, endorsement] } : { ':decision': decision }) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        ...eventItems(
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
        const current = this.table.parse(ApprovalSchema, old);
        if (current.decision !== undefined) throw new AlreadyDecidedError(input.approvalId, current.decision);
        if (current.taskToken !== approval.taskToken) return RETRY;
        if ((current.endorsements ?? []).length !== endorsements.length) return RETRY;
        throw new ApprovalExpiredError(input.approvalId, current.expiresAt);
      }
      return RETRY;
    });
  }

  public async markApprovalDelivered(approvalId: string): Promise<Approval> {
    const id = parseInput(ApprovalIdSchema, approvalId, 'markApprovalDelivered');
    return this.table.withConflictRetry('markApprovalDelivered', async () => {
      const approval = await this.getApproval(id);
      if (approval === undefined) throw new ApprovalNotFoundError(id);
      if (approval.deliveredAt !== undefined) return approval;
      if (approval.decision === undefined) throw new InvalidInputError('markApprovalDelivered', 'decision', `approval ${id} has no decision to deliver`);
      const deliveredAt = this.table.now().toISOString();
      const retracted = approval.expired?.decisionUndelivered === true;
      // Only a retraction is audited: it follows an APPROVAL_EXPIRED event that no longer holds.
      const cancellation = await this.table.transact([
        {
          Update: {
            Key: approvalKey(id),
            UpdateExpression: retracted ? 'SET deliveredAt = :at REMOVE expired' : 'SET deliveredAt = :at',
            ConditionExpression: retracted
              ? 'attribute_exists(decision) AND attribute_not_exists(deliveredAt) AND expired.decisionUndelivered = :true'
              : 'attribute_exists(decision) AND attribute_not_exists(deliveredAt) AND attribute_not_exists(expired)',
            ExpressionAttributeValues: { ':at': deliveredAt, ...(retracted ? { ':true': true } : {}) },
          },
        },
        ...(retracted
          ? eventItems({
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

  public async replaceApprovalToken(raw: ReplaceApprovalTokenInput): Promise<Approval | undefined> {
    const input = parseInput(ReplaceApprovalTokenInputSchema, raw, 'replaceApprovalToken');
    const outcome = await this.table.update({
      Key: approvalKey(input.approvalId),
      UpdateExpression: 'SET taskToken = :token',
      ConditionExpression:
        'attribute_exists(#pk) AND attribute_not_exists(decision) AND attribute_not_exists(expired) AND taskToken = :previous AND expiresAtMs > :now',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':token': input.taskToken, ':previous': input.previousTaskToken, ':now': this.table.now().getTime() },
      ReturnValues: 'ALL_NEW',
    });
    return outcome.written ? this.table.parse(ApprovalSchema, outcome.item ?? {}) : undefined;
  }

  public async markApprovalExpired(raw: MarkApprovalExpiredInput): Promise<Approval> {
    const input = parseInput(MarkApprovalExpiredInputSchema, raw, 'markApprovalExpired');
    return this.table.withConflictRetry('markApprovalExpired', async () => {
      const approval = await this.getApproval(input.approvalId);
      if (approval === undefined) throw new ApprovalNotFoundError(input.approvalId);
      if (approval.expired !== undefined) return approval;
      // A decision that was delivered did reach the flow: nothing to expire.
      if (approval.deliveredAt !== undefined) return approval;
      const undelivered = approval.decision !== undefined;
      const expired = { at: this.table.now().toISOString(), reason: input.reason, ...(undelivered ? { decisionUndelivered: true } : {}) };
      const cancellation = await this.table.transact([
        {
          Update: {
            Key: approvalKey(input.approvalId),
            UpdateExpression: 'SET expired = :expired',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(expired) AND attribute_not_exists(deliveredAt)',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':expired': expired },
          },
        },
        ...eventItems({
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
}
