/**
 * The approval sweeper as a Lambda handler for an EventBridge schedule
 * (every minute): approvals that timed out, or whose release stopped waiting
 * (rolled back by an alarm, aborted), are marked expired and their Slack
 * message says so, without buttons; message updates that failed are retried.
 */
import type { ScheduledEvent } from 'aws-lambda';
import type { ApprovalEndpoint } from './endpoint.js';
import type { SweepResult } from './decisions.js';

export type ApprovalSweepHandler = (event: ScheduledEvent) => Promise<SweepResult>;

export function createApprovalSweepHandler(endpoint: ApprovalEndpoint): ApprovalSweepHandler {
  return () => endpoint.sweep();
}
