/**
 * The approval channel on Slack: posts the approval's Block Kit message with
 * chat.postMessage and records where it went (channel and ts) on the
 * approval, so the decision, the timeout and the sweeper can update it later.
 *
 * A retried approval step asks again for the same approval: an approval whose
 * message is already recorded is not posted twice.
 */
import { findService, type RollgateConfig } from '../config.js';
import type { AlarmSource, ApprovalRequest, Ledger, Notifier } from '../ports.js';
import type { SlackApi } from '../adapters/slack/web-api.js';
import { ApprovalNotFoundError, errorName } from '../errors.js';
import { factsOf, openMessage } from './message.js';
import type { ApprovalLog, FourEyesPolicy } from './decisions.js';

export interface SlackApprovalNotifierOptions {
  readonly slack: SlackApi;
  readonly ledger: Ledger;
  /** The channel id to post in, fixed or per service+environment. */
  readonly channel: string | ((request: ApprovalRequest) => string);
  /** Show the service's alarm states in the message. @default not shown */
  readonly alarms?: { readonly source: AlarmSource; readonly config: RollgateConfig };
  /** Whether four-eyes holds, per approval (it says in the message when an approval takes two approvers). @default on */
  readonly fourEyes?: FourEyesPolicy;
  /** @default no logging */
  readonly log?: ApprovalLog;
}

/** {@link Notifier} on Slack. */
export class SlackApprovalNotifier implements Notifier {
  public constructor(private readonly options: SlackApprovalNotifierOptions) {}

  public async requestApproval(request: ApprovalRequest): Promise<void> {
    const { ledger, slack } = this.options;
    const approval = await ledger.getApproval(request.approvalId);
    if (approval === undefined) throw new ApprovalNotFoundError(request.approvalId);
    if (approval.slackMessage !== undefined) return;
    const release = await ledger.getRelease(approval);
    const message = openMessage(factsOf(approval, release, await this.alarmsInAlarm(request), this.options.fourEyes?.(approval) ?? true));
    const channel = typeof this.options.channel === 'string' ? this.options.channel : this.options.channel(request);
    const posted = await slack.postMessage({ channel, ...message });
    await ledger.recordApprovalMessage({ approvalId: approval.approvalId, channel: posted.channel, ts: posted.ts });
    this.options.log?.({ level: 'info', message: 'approval requested in Slack', approvalId: approval.approvalId });
  }

  /** The service's alarms in ALARM now; `undefined` (shown as "not checked") when unknown. */
  private async alarmsInAlarm(request: ApprovalRequest): Promise<readonly string[] | undefined> {
    const alarms = this.options.alarms;
    if (alarms === undefined) return undefined;
    try {
      const service = findService(alarms.config, request.service, request.environment);
      return await alarms.source.alarmsInAlarm(service.alarms);
    } catch (error) {
      // The request goes out without the alarm line rather than not at all.
      this.options.log?.({ level: 'warn', message: 'alarm states not shown', approvalId: request.approvalId, error: errorName(error) });
      return undefined;
    }
  }
}
