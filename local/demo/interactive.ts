/**
 * `--interactive`: approvals go through the local approval endpoint
 * (local/approval-server.ts, the same ApprovalEndpoint the Lambda Function
 * URL runs) and the local Slack stand-in. The demo prints the approver's
 * personal link; opening it in a browser shows the confirmation page, and
 * the decision made there resumes the release.
 */
import type { Release } from '../../functions/ledger/records.js';
import type { Callbacks, Notifier } from '../../functions/ports.js';
import type { Ledger } from '../../functions/ledger/ledger.js';
import { startLocalSlackApprovals, type LocalApprovalServer, type LocalSlackApprovals } from '../approval-server.js';
import type { LocalNotifierContext } from '../runtime.js';
import type { ApprovalDriver } from './approvals.js';
import { APPROVER } from './scenarios.js';

export class InteractiveApprovals implements ApprovalDriver {
  private server: LocalApprovalServer | undefined;

  private constructor(
    private readonly approvals: LocalSlackApprovals,
    private readonly say: (line: string) => void,
  ) {}

  /** Starts the local Slack stand-in; {@link serve} starts the endpoint once the runtime exists. */
  public static async start(say: (line: string) => void): Promise<InteractiveApprovals> {
    const approvals = await startLocalSlackApprovals({ users: [{ id: APPROVER, name: 'alice', realName: 'Alice Approver' }] });
    return new InteractiveApprovals(approvals, say);
  }

  /** For LocalRuntimeOptions.notifier: approval requests are posted to the local Slack stand-in. */
  public get notifier(): (context: LocalNotifierContext) => Notifier {
    return this.approvals.notifier;
  }

  public async serve(deps: { ledger: Ledger; callbacks: Callbacks }): Promise<void> {
    this.server = await this.approvals.serve(deps);
    this.say(`approval endpoint on ${this.server.baseUrl}`);
  }

  public async handle(release: Release, approvalId: string): Promise<void> {
    if (this.server === undefined) throw new Error('the approval endpoint is not served yet');
    const link = await this.server.personalLink(approvalId, APPROVER);
    this.say(`\n   >>> ${release.version} waits for your approval. Open this link in a browser to approve or reject it as ${APPROVER}:\n   >>> ${link}\n`);
  }

  public close(): Promise<void> {
    return this.approvals.close();
  }
}
