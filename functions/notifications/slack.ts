/**
 * ReleaseEvents on Slack: each notification is one short Block Kit message in
 * the service's channel (its `approvals.slackChannel`, else `slack.channel`).
 * No Slack configured → nothing is posted; the EventBridge events still go out.
 * The message is built from the notification's detail only, which never holds
 * a task token.
 */
import type { SlackApi, SlackBlock } from '../adapters/slack/web-api.js';
import { BLOCK_KIT_LIMITS, fitMrkdwn, fitPlainText } from '../approval/message.js';
import type { RollgateConfig } from '../config.js';
import { notificationSummary, type Notification, type NotificationType } from '../domain/notifications.js';
import type { ReleaseEvents } from '../ports.js';

/** The channel a service's notifications go to, or undefined without Slack (or for a service no longer onboarded). */
export function notificationChannel(config: RollgateConfig, service: string, environment: string): string | undefined {
  if (config.slack === undefined) return undefined;
  const onboarded = config.services.find((s) => s.service === service && s.environment === environment);
  return onboarded?.approvals.slackChannel ?? config.slack.channel;
}

const MARK: Readonly<Record<NotificationType, string>> = {
  'Release Started': ':rocket:',
  'Release Promoted': ':white_check_mark:',
  'Release Succeeded': ':tada:',
  'Release Rolled Back': ':rewind:',
  'Release Failed': ':x:',
  'Release Aborted': ':octagonal_sign:',
};

/** The message of one notification: the summary line, then the release id and outcome in small print. */
export function notificationMessage(notification: Notification): { text: string; blocks: SlackBlock[] } {
  const { detail } = notification;
  const summary = notificationSummary(notification);
  const facts = [`release ${detail.releaseId}`, `status ${detail.status}`, ...(detail.outcome === null ? [] : [`outcome ${detail.outcome}`])].join(' · ');
  return {
    text: fitPlainText(summary, BLOCK_KIT_LIMITS.fallbackText),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${MARK[notification.type]} ${fitMrkdwn(summary, BLOCK_KIT_LIMITS.sectionText - MARK[notification.type].length - 1)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: fitMrkdwn(facts, BLOCK_KIT_LIMITS.context) }] },
    ],
  };
}

/** Posts release notifications to the service's Slack channel. */
export class SlackReleaseEvents implements ReleaseEvents {
  public constructor(
    private readonly slack: SlackApi,
    private readonly config: RollgateConfig,
  ) {}

  public async publish(notifications: readonly Notification[]): Promise<void> {
    for (const notification of notifications) {
      const channel = notificationChannel(this.config, notification.detail.service, notification.detail.environment);
      if (channel === undefined) continue;
      await this.slack.postMessage({ channel, ...notificationMessage(notification) });
    }
  }
}
