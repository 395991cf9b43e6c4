/**
 * The approval sweeper as a Lambda handler for an EventBridge schedule
 * (every minute): approvals that timed out, or whose release stopped waiting
 * (rolled back by an alarm, aborted), are marked expired and their Slack
 * message says so, without buttons; message updates that failed are retried.
 * It takes no new decision, but it sends the flow a recorded decision whose
 * delivery failed, so it needs the Step Functions callbacks too.
 */
import type { ScheduledEvent } from 'aws-lambda';
import type { SlackApi } from '../adapters/slack/web-api.js';
import type { Callbacks, Ledger, Notifier } from '../ports.js';
import { sweepApprovalMessages, type ApprovalLog, type SweepResult } from './decisions.js';

/** Runs one sweep; the scheduled event, if given, is not read. */
export type ApprovalSweepHandler = (event?: ScheduledEvent) => Promise<SweepResult>;

export interface ApprovalSweeperOptions {
  readonly ledger: Ledger;
  readonly slack: SlackApi;
  /** Sends recorded decisions whose delivery failed (SendTaskSuccess / SendTaskFailure). */
  readonly callbacks: Callbacks;
  /** Posts approval requests Slack did not take when the Approval step asked. @default none posted */
  readonly notifier?: Notifier;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** @default no logging */
  readonly log?: ApprovalLog;
}

/** A handler that runs one sweep per scheduled event; the event's content does not matter. */
export function createApprovalSweepHandler(options: ApprovalSweeperOptions): ApprovalSweepHandler {
  const deps = {
    ledger: options.ledger,
    slack: options.slack,
    callbacks: options.callbacks,
    ...(options.notifier === undefined ? {} : { notifier: options.notifier }),
    now: options.now ?? (() => new Date()),
    log: options.log ?? (() => undefined),
  };
  return () => sweepApprovalMessages(deps);
}
