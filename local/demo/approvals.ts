/**
 * Who answers the demo's approval requests. By default the approver answers
 * automatically after a short human pause, the way the scenario says; with
 * `--interactive` (local/demo/interactive.ts) the demo prints the approval
 * link of the local approval endpoint and the decision comes from a browser.
 */
import type { Release } from '../../functions/ledger/records.js';
import type { LocalRuntime } from '../runtime.js';
import { APPROVER, type Scenario } from './scenarios.js';

/** Answers one approval request of a release. */
export interface ApprovalDriver {
  /** The release waits on `approvalId`; resolves once the driver did its part (decided, or showed the link). */
  handle(release: Release, approvalId: string, scenario: Scenario): Promise<void>;
  close(): Promise<void>;
}

/** Decides as the scenario says, after `pauseMs`, as the approver would in Slack. */
export class AutomaticApprovals implements ApprovalDriver {
  public constructor(
    private readonly runtime: LocalRuntime,
    private readonly say: (line: string) => void,
    private readonly pauseMs = 300,
  ) {}

  public async handle(_release: Release, approvalId: string, scenario: Scenario): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    const comment = scenario.decision === 'APPROVED' ? 'canary metrics look good' : 'error budget is spent';
    this.say(`   approval ${approvalId}: ${scenario.decision === 'APPROVED' ? 'approved' : 'rejected'} by ${APPROVER} (automatic; --interactive waits for a click)`);
    await this.runtime.decide(approvalId, scenario.decision, APPROVER, comment);
  }

  public close(): Promise<void> {
    return Promise.resolve();
  }
}
