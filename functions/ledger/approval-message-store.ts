/**
 * The Slack message that asks for each approval, and the sweeper's list of
 * approvals it still has work on (one partition, soonest expiry first): an
 * approval is listed from its creation (./approval-store.ts) until its
 * message shows the outcome.
 */
import { OpenApprovalMessageSchema, type Approval, type OpenApprovalMessage } from '../domain/approval.js';
import { ApprovalNotFoundError } from '../errors.js';
import type { ApprovalMessages, Approvals } from '../ports.js';
import { parseInput } from '../validation.js';
import {
  ApprovalIdSchema,
  ListOpenApprovalMessagesInputSchema,
  RecordApprovalMessageInputSchema,
  type ListOpenApprovalMessagesInput,
  type RecordApprovalMessageInput,
} from './inputs.js';
import { approvalKey, OPEN_APPROVAL_MESSAGES_PK, openApprovalMessageItem, openApprovalMessageKey, PK } from './items.js';
import { RETRY, type LedgerTable } from './table-layer.js';

/** Approval messages on the ledger table; approvals are read through `approvals`. */
export class ApprovalMessageStore implements ApprovalMessages {
  public constructor(
    private readonly table: LedgerTable,
    private readonly approvals: Pick<Approvals, 'getApproval'>,
  ) {}

  public async recordApprovalMessage(raw: RecordApprovalMessageInput): Promise<Approval> {
    const input = parseInput(RecordApprovalMessageInputSchema, raw, 'recordApprovalMessage');
    return this.table.withConflictRetry('recordApprovalMessage', async () => {
      const approval = await this.approvals.getApproval(input.approvalId);
      if (approval === undefined) throw new ApprovalNotFoundError(input.approvalId);
      if (approval.slackMessage !== undefined) return approval;
      const slackMessage = { channel: input.channel, ts: input.ts };
      const cancellation = await this.table.transact([
        {
          Update: {
            Key: approvalKey(input.approvalId),
            UpdateExpression: 'SET slackMessage = :message',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(slackMessage)',
            ExpressionAttributeNames: { '#pk': PK },
            ExpressionAttributeValues: { ':message': slackMessage },
          },
        },
        { Put: { Item: openApprovalMessageItem(approval) } },
      ]);
      if (cancellation === undefined) return { ...approval, slackMessage };
      // Recorded concurrently (or the approval vanished): look again.
      return RETRY;
    });
  }

  public async listOpenApprovalMessages(raw: ListOpenApprovalMessagesInput = {}): Promise<OpenApprovalMessage[]> {
    const input = parseInput(ListOpenApprovalMessagesInputSchema, raw, 'listOpenApprovalMessages');
    return this.table.query(OpenApprovalMessageSchema, {
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': PK },
      ExpressionAttributeValues: { ':pk': OPEN_APPROVAL_MESSAGES_PK },
      ConsistentRead: true,
      Limit: input.limit,
    });
  }

  public async closeApprovalMessage(approval: { approvalId: string; expiresAt: string }): Promise<void> {
    const approvalId = parseInput(ApprovalIdSchema, approval.approvalId, 'closeApprovalMessage');
    await this.table.delete({ Key: openApprovalMessageKey({ approvalId, expiresAt: approval.expiresAt }) });
  }
}
