/**
 * An interim approval channel that only logs: the approval request's fields
 * (never the task token, which an {@link ApprovalRequest} does not carry) go
 * to the function's log, where an operator finds the approval id to decide.
 *
 * The Slack notifier of the approval endpoint work (functions/approval/)
 * replaces this in functions/handlers/approval.ts; until then approvals are
 * decided through the ledger's approval id.
 */
import type { ApprovalRequest, Notifier } from '../ports.js';

/** Where the request is written: a Powertools logger, or anything with its `info`. */
export interface ApprovalLog {
  info(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Logs approval requests instead of sending them. Slack replaces it. */
export class LogNotifier implements Notifier {
  public constructor(private readonly log: ApprovalLog) {}

  public requestApproval(request: ApprovalRequest): Promise<void> {
    this.log.info('approval requested', {
      approvalId: request.approvalId,
      service: request.service,
      environment: request.environment,
      version: request.version,
      previousVersion: request.previousVersion,
      commit: request.commit,
      author: request.author,
      stepIndex: request.stepIndex,
      weights: request.weights,
      expiresAt: request.expiresAt,
    });
    return Promise.resolve();
  }
}
