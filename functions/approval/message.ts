/**
 * The Slack message of an approval (Block Kit) and the facts it shows. While
 * the approval is open the message has Approve, Reject and "Open in browser"
 * buttons; once it is decided or has expired, chat.update replaces it with the
 * outcome and no buttons. Button values carry the opaque approval id only,
 * never the task token.
 * https://api.slack.com/reference/block-kit/blocks
 */
import { PlanSchema } from '../domain/plan.js';
import type { Approval, Release } from '../ledger/records.js';
import type { SlackBlock } from '../adapters/slack/web-api.js';
import type { ApprovalRequest } from '../ports.js';
import { approversRequired } from './policy.js';

export const ACTION_APPROVE = 'rollgate_approve';
export const ACTION_REJECT = 'rollgate_reject';
export const ACTION_OPEN_PAGE = 'rollgate_open_page';
export const ACTIONS_BLOCK_ID = 'rollgate_approval';

/** What an approval message and the approval page show: the request, plus what the endpoint looks up. */
export interface ApprovalFacts extends ApprovalRequest {
  readonly stepCount: number | undefined;
  /** Alarms of the service in ALARM when the request was made; `undefined` when not checked. */
  readonly alarmsInAlarm: readonly string[] | undefined;
  readonly approvers: { readonly users: readonly string[]; readonly groups: readonly string[] };
  /** Distinct approvers an approval takes: more than one when four-eyes holds and nobody knows who started the release. */
  readonly approversRequired: number;
  /** Who approved so far, while more approvers are needed. */
  readonly endorsedBy: readonly string[];
}

/** Where an approval stands. */
export type ApprovalState =
  | { readonly kind: 'open' }
  | { readonly kind: 'decided'; readonly outcome: 'APPROVED' | 'REJECTED'; readonly by: string; readonly at: string; readonly via: string | undefined }
  | { readonly kind: 'expired'; readonly at: string; readonly reason: string };

/** The state an approval record is in. A decision that came after the task closed shows as expired. */
export function stateOf(approval: Pick<Approval, 'decision' | 'expired'>): ApprovalState {
  if (approval.expired !== undefined) return { kind: 'expired', at: approval.expired.at, reason: approval.expired.reason };
  if (approval.decision !== undefined) {
    const { outcome, by, at, via } = approval.decision;
    return { kind: 'decided', outcome, by, at, via };
  }
  return { kind: 'open' };
}

/** The facts of an approval, from its ledger records; `fourEyes` is the service's (on unless it turns it off). */
export function factsOf(
  approval: Omit<Approval, 'taskToken'>,
  release: Release | undefined,
  alarmsInAlarm?: readonly string[],
  fourEyes = true,
): ApprovalFacts {
  const plan = PlanSchema.safeParse(release?.plan);
  return {
    approvalId: approval.approvalId,
    service: approval.service,
    environment: approval.environment,
    version: release?.version ?? 'unknown',
    previousVersion: release?.previousVersion,
    commit: release?.trigger.commit,
    author: release?.trigger.author,
    stepIndex: approval.stepIndex,
    stepCount: plan.success ? plan.data.steps.length : undefined,
    weights: release?.weights,
    alarmsInAlarm,
    expiresAt: approval.expiresAt,
    approvers: approval.approvers,
    approversRequired: approversRequired(release?.trigger.startedBy, fourEyes),
    endorsedBy: (approval.endorsements ?? []).map((e) => e.by),
  };
}

/** Slack mrkdwn: `&`, `<` and `>` are control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A date Slack renders in each reader's time zone, with the ISO time as fallback. */
function slackDate(iso: string): string {
  return `<!date^${String(Math.floor(Date.parse(iso) / 1000))}^{date_short_pretty} {time}|${iso}>`;
}

function field(label: string, value: string): SlackBlock {
  return { type: 'mrkdwn', text: `*${label}*\n${value}` };
}

/** A user id or group id as a Slack mention. */
function mentionUser(id: string): string {
  return /^[UW][A-Z0-9]+$/.test(id) ? `<@${id}>` : escapeMrkdwn(id);
}

function mentionGroup(id: string): string {
  return /^S[A-Z0-9]+$/.test(id) ? `<!subteam^${id}>` : escapeMrkdwn(id);
}

function detailBlocks(facts: ApprovalFacts): SlackBlock[] {
  const text = (value: string | undefined) => (value === undefined ? '—' : escapeMrkdwn(value));
  const step = facts.stepCount === undefined ? String(facts.stepIndex + 1) : `${String(facts.stepIndex + 1)} of ${String(facts.stepCount)}`;
  const traffic = facts.weights === undefined ? '—' : `${String(facts.weights.canary)}% new / ${String(facts.weights.stable)}% stable`;
  const alarms =
    facts.alarmsInAlarm === undefined
      ? 'not checked'
      : facts.alarmsInAlarm.length === 0
        ? 'all OK'
        : `:rotating_light: in ALARM: ${facts.alarmsInAlarm.map(escapeMrkdwn).join(', ')}`;
  const fields: SlackBlock[] = [
    field('Service', `${escapeMrkdwn(facts.service)} / ${escapeMrkdwn(facts.environment)}`),
    field('Version', `${text(facts.version)} (was ${text(facts.previousVersion)})`),
    field('Commit', facts.commit === undefined ? '—' : `\`${escapeMrkdwn(facts.commit)}\``),
    field('Author', text(facts.author)),
    field('Step', step),
    field('Traffic', traffic),
    field('Alarms', alarms),
    field('Decide by', slackDate(facts.expiresAt)),
  ];
  const approvers = [...facts.approvers.users.map(mentionUser), ...facts.approvers.groups.map(mentionGroup)].join(', ');
  const quorum =
    facts.approversRequired > 1
      ? [
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text:
                  `:busts_in_silhouette: Nobody knows who started this release, so it takes ${facts.approversRequired === 2 ? 'two' : String(facts.approversRequired)} different approvers (four-eyes).` +
                  (facts.endorsedBy.length === 0 ? '' : ` Approved so far by ${facts.endorsedBy.map(mentionUser).join(', ')}.`),
              },
            ],
          },
        ]
      : [];
  return [
    { type: 'section', fields },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Approvers: ${approvers} · approval \`${facts.approvalId}\`` }] },
    ...quorum,
  ];
}

function title(facts: ApprovalFacts): string {
  return `${facts.service}/${facts.environment} ${facts.version}`;
}

/** The message asking for a decision: details and the three buttons. */
export function openMessage(facts: ApprovalFacts): { text: string; blocks: SlackBlock[] } {
  const confirm = (verb: string) => ({
    title: { type: 'plain_text', text: `${verb} this release?` },
    text: { type: 'mrkdwn', text: `${verb} *${escapeMrkdwn(title(facts))}* at step ${String(facts.stepIndex + 1)}.` },
    confirm: { type: 'plain_text', text: verb },
    deny: { type: 'plain_text', text: 'Cancel' },
  });
  return {
    text: `Approval needed: ${title(facts)}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `Approval needed: ${title(facts)}`.slice(0, 150) } },
      ...detailBlocks(facts),
      {
        type: 'actions',
        block_id: ACTIONS_BLOCK_ID,
        elements: [
          { type: 'button', action_id: ACTION_APPROVE, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value: facts.approvalId, confirm: confirm('Approve') },
          { type: 'button', action_id: ACTION_REJECT, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: facts.approvalId, confirm: confirm('Reject') },
          { type: 'button', action_id: ACTION_OPEN_PAGE, text: { type: 'plain_text', text: 'Open in browser' }, value: facts.approvalId },
        ],
      },
    ],
  };
}

/** The message once the approval is decided or expired: the outcome, no buttons. */
export function closedMessage(facts: ApprovalFacts, state: Exclude<ApprovalState, { kind: 'open' }>): { text: string; blocks: SlackBlock[] } {
  const outcome =
    state.kind === 'decided'
      ? `${state.outcome === 'APPROVED' ? ':white_check_mark: Approved' : ':x: Rejected'} by ${mentionUser(state.by)} ${slackDate(state.at)}${state.via === undefined ? '' : ` (via ${escapeMrkdwn(state.via)})`}`
      : `:hourglass: No longer open since ${slackDate(state.at)}: ${escapeMrkdwn(state.reason)}`;
  const headline =
    state.kind === 'decided' ? `${state.outcome === 'APPROVED' ? 'Approved' : 'Rejected'}: ${title(facts)}` : `Approval closed: ${title(facts)}`;
  return {
    text: `${headline} — ${state.kind === 'decided' ? `${state.outcome.toLowerCase()} by ${state.by}` : state.reason}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: headline.slice(0, 150) } },
      ...detailBlocks(facts),
      { type: 'section', text: { type: 'mrkdwn', text: outcome } },
    ],
  };
}
