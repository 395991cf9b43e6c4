/**
 * An approval channel that only logs: the approval request's fields (never
 * the task token, which an {@link ApprovalRequest} does not carry) go to a
 * log, where an operator finds the approval id to decide.
 *
 * No function uses it any more: the Approval function asks in Slack
 * (functions/approval/slack-notifier.ts, wired in functions/handlers/approval.ts).
 * It stays only while a test still covers it, and can go with that test.
 */
import type { ApprovalRequest, Notifier } from '../ports.js';

/** Where the request is written: a Powertools logger, or anything with its `info`. */
export interface ApprovalLog {
  info(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Logs approval requests instead of sending them. */
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
