/**
 * The demo's approvals, through the real approval path in every mode: the
 * Approval step's Slack notifier posts the request to the local Slack Web API
 * stand-in (local/slack-stub.ts), the approval endpoint (the same
 * ApprovalEndpoint the Lambda Function URL runs, local/approval-server.ts)
 * serves on loopback, and the demo prints the approver's personal link.
 *
 * Then, by default, the approver answers as the scenario says, over HTTP as
 * Slack or a browser would (local/demo/approver.ts): a signed click on the
 * message's button, or the approval page's form with a comment. With
 * `--interactive` nobody answers for you: the release waits for a click on
 * the printed link in a browser.
 */
import type { RollgateConfig } from '../../functions/config.js';
import type { Callbacks, Ledger, Notifier } from '../../functions/ports.js';
import { SLACK_INTERACTIVITY_PATH } from '../../functions/approval/endpoint.js';
import { startLocalSlackApprovals, type LocalApprovalServer, type LocalSlackApprovals } from '../approval-server.js';
import type { LocalNotifierContext } from '../runtime.js';
import type { StubMessage } from '../slack-stub.js';
import { clickInSlack, decideOnPage, type EndpointAnswer } from './approver.js';
import { APPROVER, DEMO_CONFIG, type Scenario } from './scenarios.js';
import type { DemoTerminal } from './terminal.js';

/** The Slack workspace of the demo (the configuration's); the endpoint refuses clicks from any other. */
export const DEMO_TEAM = DEMO_CONFIG.slack?.teamId ?? 'T0ROLLGATE';
/** How long the Slack notifier may take to post the request once the release waits on it. */
const POSTED_WITHIN_MS = 10_000;

/** Answers one approval request of a release. */
export interface ApprovalDriver {
  /** The release waits on `approvalId`; resolves once the driver did its part (decided, or showed the link). */
  handle(release: { readonly version: string }, approvalId: string, scenario: Scenario): Promise<void>;
  close(): Promise<void>;
}

export interface DemoApprovalsOptions {
  /** Wait for a human's click in a browser instead of answering automatically. */
  readonly interactive: boolean;
  readonly say: (line: string) => void;
  /** The automatic approver's pause before deciding, as a person reading the message would. @default 300 */
  readonly pauseMs?: number;
}

/** The local Slack side and approval endpoint of the demo, and who answers. */
export class DemoApprovals implements ApprovalDriver {
  private server: LocalApprovalServer | undefined;
  private ledger: Ledger | undefined;
  private terminal: DemoTerminal | undefined;

  private constructor(
    private readonly slack: LocalSlackApprovals,
    private readonly options: DemoApprovalsOptions,
  ) {}

  /** Starts the local Slack stand-in; {@link serve} starts the endpoint once the runtime exists. */
  public static async start(options: DemoApprovalsOptions): Promise<DemoApprovals> {
    const slack = await startLocalSlackApprovals({
      users: [{ id: APPROVER, name: 'alice', realName: 'Alice Approver' }],
      endpoint: { slackTeamId: DEMO_TEAM },
    });
    return new DemoApprovals(slack, options);
  }

  /** For LocalRuntimeOptions.notifier: approval requests are posted to the local Slack stand-in. */
  public get notifier(): (context: LocalNotifierContext) => Notifier {
    return this.slack.notifier;
  }

  /**
   * Starts the approval endpoint on loopback for the runtime's ledger and
   * engine callbacks; `terminal` is where an approver types `rollgate approve`.
   */
  public async serve(deps: { ledger: Ledger; callbacks: Callbacks; config: RollgateConfig; terminal?: DemoTerminal }): Promise<string> {
    this.server = await this.slack.serve(deps);
    this.ledger = deps.ledger;
    this.terminal = deps.terminal;
    return this.server.baseUrl;
  }

  public async handle(release: { readonly version: string }, approvalId: string, scenario: Scenario): Promise<void> {
    const { server, ledger } = this;
    const { say } = this.options;
    if (server === undefined || ledger === undefined) throw new Error('the approval endpoint is not served yet');
    const message = await this.postedMessage(ledger, approvalId);
    say(`   Slack ${message.channel} (local stand-in): "${message.text}" [Approve] [Reject] [Open in browser]`);
    const link = await server.personalLink(approvalId, APPROVER);
    if (this.options.interactive) {
      say(`\n   >>> ${release.version} waits for your approval. Open this link in a browser to approve or reject it as ${APPROVER}:\n   >>> ${link}\n`);
      return;
    }
    say(`   approval link for ${APPROVER}: ${link}`);
    await new Promise((resolve) => setTimeout(resolve, this.options.pauseMs ?? 300));
    const { approver } = scenario;
    const verb = approver.decision === 'APPROVED' ? 'approves' : 'rejects';
    if (approver.via === 'cli') {
      if (this.terminal === undefined) throw new Error('no terminal to run rollgate approve on');
      say(`   alice ${verb} from her terminal, with her own credentials (automatic; --interactive waits for you)`);
      await this.terminal.run([approver.decision === 'APPROVED' ? 'approve' : 'reject', approvalId, ...(approver.comment === undefined ? [] : ['--comment', approver.comment])], { as: 'approver' });
      return;
    }
    let answer: EndpointAnswer;
    if (approver.via === 'slack') {
      say(`   ${APPROVER} ${verb} with a click in Slack: a signed block_actions POST to the endpoint (automatic; --interactive waits for you)`);
      answer = await clickInSlack({
        url: server.url(SLACK_INTERACTIVITY_PATH),
        signingSecret: this.slack.secrets.signingSecret,
        teamId: DEMO_TEAM,
        userId: APPROVER,
        channel: message.channel,
        messageTs: message.ts,
        approvalId,
        decision: approver.decision,
      });
    } else {
      const comment = approver.comment === undefined ? '' : ` with the comment "${approver.comment}"`;
      say(`   ${APPROVER} ${verb} on the approval page${comment}: GET the link, POST its form (automatic; --interactive waits for you)`);
      answer = await decideOnPage({ link, decision: approver.decision, ...(approver.comment === undefined ? {} : { comment: approver.comment }) });
    }
    const updated = this.slack.stub.message(message.channel, message.ts);
    const shown = updated !== undefined && updated.history.length > 1 ? `; Slack message now "${updated.text}", no buttons` : '';
    say(`   approval endpoint answered ${String(answer.status)} ${answer.outcome}${shown}`);
  }

  /** The approver's personal link to an approval's page. */
  public linkFor(approvalId: string): Promise<string> {
    if (this.server === undefined) throw new Error('the approval endpoint is not served yet');
    return this.server.personalLink(approvalId, APPROVER);
  }

  /** Errors of the endpoint's sweeper runs; the demo counts them as failures. */
  public get errors(): readonly unknown[] {
    return this.server?.sweepErrors ?? [];
  }

  public close(): Promise<void> {
    return this.slack.close();
  }

  /** The request as posted in Slack: the ledger records its channel and ts right after the post. */
  private async postedMessage(ledger: Ledger, approvalId: string): Promise<StubMessage> {
    const deadline = Date.now() + POSTED_WITHIN_MS;
    for (;;) {
      const ref = (await ledger.getApproval(approvalId))?.slackMessage;
      const message = ref === undefined ? undefined : this.slack.stub.message(ref.channel, ref.ts);
      if (message !== undefined) return message;
      if (Date.now() > deadline) throw new Error(`approval ${approvalId} was not posted to Slack within ${String(POSTED_WITHIN_MS)} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
