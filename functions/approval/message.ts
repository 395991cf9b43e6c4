/**
 * The Slack message of an approval (Block Kit) and the facts it shows. While
 * the approval is open the message has Approve, Reject, "Promote now"
 * (approve and skip the rest of the plan), Abort and "Open in browser"
 * buttons; once it is decided or has expired, chat.update replaces it with the
 * outcome and no buttons. Button values carry the opaque approval id only,
 * never the task token.
 * https://api.slack.com/reference/block-kit/blocks
 */
import { cutBetweenGraphemes } from '../domain/text.js';
import type { Approval } from '../domain/approval.js';
import type { Release } from '../domain/release.js';
import type { SlackBlock } from '../adapters/slack/web-api.js';
import type { ApprovalRequest } from '../ports.js';
import { approversRequired } from './policy.js';

export const ACTION_APPROVE = 'rollgate_approve';
export const ACTION_REJECT = 'rollgate_reject';
export const ACTION_OPEN_PAGE = 'rollgate_open_page';
/** "Promote now": approve and skip every remaining plan step (functions/approval/promotion.ts). */
export const ACTION_PROMOTE_NOW = 'rollgate_promote_now';
/** "Abort": abort the release, traffic back to stable (functions/steps/control.ts). */
export const ACTION_ABORT = 'rollgate_abort';
/** Every button of an open approval message; Block Kit takes up to 25 elements in an actions block. */
export const APPROVAL_ACTIONS = [ACTION_APPROVE, ACTION_REJECT, ACTION_PROMOTE_NOW, ACTION_ABORT, ACTION_OPEN_PAGE] as const;
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
  | { readonly kind: 'decided'; readonly outcome: 'APPROVED' | 'REJECTED'; readonly by: string; readonly at: string; readonly via: string | undefined; readonly comment?: string }
  | { readonly kind: 'expired'; readonly at: string; readonly reason: string };

/** The state an approval record is in. A decision that came after the task closed shows as expired. */
export function stateOf(approval: Pick<Approval, 'decision' | 'expired'>): ApprovalState {
  if (approval.expired !== undefined) return { kind: 'expired', at: approval.expired.at, reason: approval.expired.reason };
  if (approval.decision !== undefined) {
    const { outcome, by, at, via, comment } = approval.decision;
    return { kind: 'decided', outcome, by, at, via, ...(comment === undefined ? {} : { comment }) };
  }
  return { kind: 'open' };
}

/** The facts of an approval, from its ledger records; `fourEyes` is the service's (on unless it turns it off). */
/** The approval request of an approval, as the Approval step made it, from the ledger. */
export function approvalRequestOf(approval: Omit<Approval, 'taskToken'>, release: Release | undefined): ApprovalRequest {
  return {
    approvalId: approval.approvalId,
    service: approval.service,
    environment: approval.environment,
    version: release?.version ?? 'unknown',
    previousVersion: release?.previousVersion,
    commit: release?.trigger.commit,
    author: release?.trigger.author,
    stepIndex: approval.stepIndex,
    weights: release?.weights,
    expiresAt: approval.expiresAt,
  };
}

export function factsOf(
  approval: Omit<Approval, 'taskToken'>,
  release: Release | undefined,
  alarmsInAlarm?: readonly string[],
  fourEyes = true,
): ApprovalFacts {
  return {
    ...approvalRequestOf(approval, release),
    stepCount: release?.plan?.steps.length,
    alarmsInAlarm,
    approvers: approval.approvers,
    approversRequired: approversRequired(release?.trigger.startedBy, fourEyes),
    endorsedBy: (approval.endorsements ?? []).map((e) => e.by),
  };
}

/** Slack mrkdwn: `&`, `<` and `>` are control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Block Kit's limits on what rollgate's messages hold, in characters as
 * JavaScript counts them (UTF-16 units, never fewer than Slack's count),
 * after escaping. A message over any of them is refused whole (invalid_blocks).
 * https://api.slack.com/reference/block-kit/blocks#header
 * https://api.slack.com/reference/block-kit/blocks#section
 * https://api.slack.com/reference/block-kit/composition-objects#confirm
 */
export const BLOCK_KIT_LIMITS = { header: 150, sectionText: 3000, field: 2000, context: 3000, confirmText: 300, buttonValue: 2000, fallbackText: 3000 } as const;

/**
 * `raw` in at most `max` characters counted once escaped, cut between
 * graphemes (an emoji, a flag, a letter with its accents stay whole) and
 * ending in `…` when cut; escaped for mrkdwn when `escape`, else as is
 * (plain_text, which Slack counts escaped too).
 */
function fit(raw: string, max: number, escape: boolean): string {
  const whole = escapeMrkdwn(raw);
  if (whole.length <= max) return escape ? whole : raw;
  return cutBetweenGraphemes(raw, max, escape ? escapeMrkdwn : (g) => g, (g) => escapeMrkdwn(g).length);
}

/** `raw` as mrkdwn in at most `max` characters (see {@link fit}). */
export function fitMrkdwn(raw: string, max: number): string {
  return fit(raw, max, true);
}

/** `raw` as plain_text in at most `max` characters counted once escaped (see {@link fit}). */
export function fitPlainText(raw: string, max: number): string {
  return fit(raw, max, false);
}

/** Rendered items joined by `, ` in at most `max` characters: as many as fit whole, then `and N more`. */
function fitList(items: readonly string[], max: number): string {
  let out = '';
  for (const [i, item] of items.entries()) {
    const next = out === '' ? item : `${out}, ${item}`;
    const rest = items.length - i - 1;
    const more = rest === 0 ? '' : ` and ${String(rest)} more`;
    if (next.length + more.length > max) return out === '' ? `${String(items.length)} in all` : `${out} and ${String(items.length - i)} more`;
    out = next;
  }
  return out;
}

/** A date Slack renders in each reader's time zone, with the ISO time as fallback. */
function slackDate(iso: string): string {
  return `<!date^${String(Math.floor(Date.parse(iso) / 1000))}^{date_short_pretty} {time}|${fitMrkdwn(iso, 40)}>`;
}

function field(label: string, value: string): SlackBlock {
  return { type: 'mrkdwn', text: `*${label}*\n${value}` };
}

/** A user id or group id as a Slack mention. */
function mentionUser(id: string): string {
  return /^[UW][A-Z0-9]{1,40}$/.test(id) ? `<@${id}>` : fitMrkdwn(id, 200);
}

function mentionGroup(id: string): string {
  return /^S[A-Z0-9]{1,40}$/.test(id) ? `<!subteam^${id}>` : fitMrkdwn(id, 200);
}

/** Each field's value stays under this, leaving room for its label within {@link BLOCK_KIT_LIMITS.field}. */
const FIELD_VALUE = 1900;

function detailBlocks(facts: ApprovalFacts): SlackBlock[] {
  const text = (value: string | undefined, max = FIELD_VALUE) => (value === undefined ? '—' : fitMrkdwn(value, max));
  const step = facts.stepCount === undefined ? String(facts.stepIndex + 1) : `${String(facts.stepIndex + 1)} of ${String(facts.stepCount)}`;
  const traffic = facts.weights === undefined ? '—' : `${String(facts.weights.canary)}% new / ${String(facts.weights.stable)}% stable`;
  const alarms =
    facts.alarmsInAlarm === undefined
      ? 'not checked'
      : facts.alarmsInAlarm.length === 0
        ? 'all OK'
        : `:rotating_light: in ALARM: ${fitList(facts.alarmsInAlarm.map((a) => fitMrkdwn(a, 300)), FIELD_VALUE - 30)}`;
  const fields: SlackBlock[] = [
    field('Service', `${text(facts.service, 900)} / ${text(facts.environment, 900)}`),
    field('Version', `${text(facts.version, 900)} (was ${text(facts.previousVersion, 900)})`),
    field('Commit', facts.commit === undefined ? '—' : `\`${text(facts.commit)}\``),
    field('Author', text(facts.author)),
    field('Step', step),
    field('Traffic', traffic),
    field('Alarms', alarms),
    field('Decide by', slackDate(facts.expiresAt)),
  ];
  const id = fitMrkdwn(facts.approvalId, 100);
  const approvers = fitList([...facts.approvers.users.map(mentionUser), ...facts.approvers.groups.map(mentionGroup)], BLOCK_KIT_LIMITS.context - 150);
  const quorum: SlackBlock[] =
    facts.approversRequired > 1
      ? [
          {
            type: 'context',
            elements: [
              {
                type: 'mrkdwn',
                text:
                  `:busts_in_silhouette: Nobody knows who started this release, so it takes ${facts.approversRequired === 2 ? 'two' : String(facts.approversRequired)} different approvers (four-eyes).` +
                  (facts.endorsedBy.length === 0 ? '' : ` Approved so far by ${fitList(facts.endorsedBy.map(mentionUser), BLOCK_KIT_LIMITS.context - 200)}.`),
              },
            ],
          },
        ]
      : [];
  return [
    { type: 'section', fields },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `Approvers: ${approvers} · approval \`${id}\`` }] },
    ...quorum,
  ];
}

function title(facts: ApprovalFacts): string {
  return `${facts.service}/${facts.environment} ${facts.version}`;
}

/** The message asking for a decision: details and the buttons (Approve, Reject, Promote now, Abort, Open in browser). */
export function openMessage(facts: ApprovalFacts): { text: string; blocks: SlackBlock[] } {
  const at = `* at step ${String(facts.stepIndex + 1)}.`;
  const confirm = (verb: string) => ({
    title: { type: 'plain_text', text: `${verb} this release?` },
    text: { type: 'mrkdwn', text: `${verb} *${fitMrkdwn(title(facts), BLOCK_KIT_LIMITS.confirmText - verb.length - 2 - at.length)}${at}` },
    confirm: { type: 'plain_text', text: verb },
    deny: { type: 'plain_text', text: 'Cancel' },
  });
  const value = fitPlainText(facts.approvalId, BLOCK_KIT_LIMITS.buttonValue);
  const rest = facts.stepCount === undefined ? 'every remaining step' : `the remaining ${String(Math.max(0, facts.stepCount - facts.stepIndex - 1))} step(s)`;
  const skip = ` and skip ${rest}, straight to 100%?`;
  const promoteConfirm = {
    title: { type: 'plain_text', text: 'Promote this release now?' },
    text: { type: 'mrkdwn', text: `Approve *${fitMrkdwn(title(facts), BLOCK_KIT_LIMITS.confirmText - 'Approve **'.length - skip.length)}*${skip}` },
    confirm: { type: 'plain_text', text: 'Promote now' },
    deny: { type: 'plain_text', text: 'Cancel' },
  };
  return {
    text: fitMrkdwn(`Approval needed: ${title(facts)}`, BLOCK_KIT_LIMITS.fallbackText),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: fitPlainText(`Approval needed: ${title(facts)}`, BLOCK_KIT_LIMITS.header) } },
      ...detailBlocks(facts),
      {
        type: 'actions',
        block_id: ACTIONS_BLOCK_ID,
        elements: [
          { type: 'button', action_id: ACTION_APPROVE, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value, confirm: confirm('Approve') },
          { type: 'button', action_id: ACTION_REJECT, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value, confirm: confirm('Reject') },
          { type: 'button', action_id: ACTION_PROMOTE_NOW, text: { type: 'plain_text', text: 'Promote now' }, value, confirm: promoteConfirm },
          { type: 'button', action_id: ACTION_ABORT, style: 'danger', text: { type: 'plain_text', text: 'Abort' }, value, confirm: confirm('Abort') },
          { type: 'button', action_id: ACTION_OPEN_PAGE, text: { type: 'plain_text', text: 'Open in browser' }, value },
        ],
      },
    ],
  };
}

/** The message once the approval is decided or expired: the outcome, no buttons. */
export function closedMessage(facts: ApprovalFacts, state: Exclude<ApprovalState, { kind: 'open' }>): { text: string; blocks: SlackBlock[] } {
  const outcome =
    state.kind === 'decided'
      ? `${state.outcome === 'APPROVED' ? ':white_check_mark: Approved' : ':x: Rejected'} by ${mentionUser(state.by)} ${slackDate(state.at)}${state.via === undefined ? '' : ` (via ${fitMrkdwn(state.via, 100)})`}` +
        // The comment says what else the decision did ("aborted by …") or why.
        (state.comment === undefined ? '' : `: ${fitMrkdwn(state.comment, 600)}`)
      : `:hourglass: No longer open since ${slackDate(state.at)}: ${fitMrkdwn(state.reason, BLOCK_KIT_LIMITS.sectionText - 150)}`;
  const headline =
    state.kind === 'decided' ? `${state.outcome === 'APPROVED' ? 'Approved' : 'Rejected'}: ${title(facts)}` : `Approval closed: ${title(facts)}`;
  return {
    text: fitMrkdwn(`${headline} — ${state.kind === 'decided' ? `${state.outcome.toLowerCase()} by ${state.by}` : state.reason}`, BLOCK_KIT_LIMITS.fallbackText),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: fitPlainText(headline, BLOCK_KIT_LIMITS.header) } },
      ...detailBlocks(facts),
      { type: 'section', text: { type: 'mrkdwn', text: outcome } },
    ],
  };
}
