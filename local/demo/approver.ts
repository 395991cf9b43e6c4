/**
 * The demo's automatic approver. It decides over real HTTP, the way Slack and
 * a browser reach the approval endpoint in AWS, so the demo goes through the
 * real approval path (signature, workspace, allow-list, four-eyes, CSRF):
 *
 * - a button click in Slack is a `block_actions` payload, form-encoded, that
 *   Slack signs with the app's signing secret (v0: HMAC-SHA256 of
 *   `v0:<timestamp>:<body>`) and posts to the interactivity URL;
 *   https://api.slack.com/interactivity/handling#payloads
 *   https://api.slack.com/authentication/verifying-requests-from-slack
 * - a decision on the approval page is the page's GET (the personal link: it
 *   sets the CSRF cookie and holds the form's tokens), then the form's POST.
 */
import { ACTION_APPROVE, ACTION_REJECT } from '../../functions/approval/message.js';
import { slackSignature } from '../../functions/approval/slack-signature.js';
import { blockActionsBody } from '../slack-stub.js';

/** The approval endpoint did not take the automatic approver's decision; the message says what it answered. */
export class DecisionNotTakenError extends Error {
  public override readonly name = 'DecisionNotTakenError';
}

export type Decision = 'APPROVED' | 'REJECTED';

export interface SlackClick {
  /** The interactivity URL, e.g. `http://127.0.0.1:40124/slack/interactivity`. */
  readonly url: string;
  readonly signingSecret: string;
  /** The workspace the click comes from. */
  readonly teamId: string;
  /** Who clicks (a Slack user id). */
  readonly userId: string;
  /** The approval message the buttons are on. */
  readonly channel: string;
  readonly messageTs: string;
  readonly approvalId: string;
  readonly decision: Decision;
}

/** What the endpoint answered: its status and `x-rollgate-outcome`. */
export interface EndpointAnswer {
  readonly status: number;
  readonly outcome: string;
}

/**
 * Clicks Approve or Reject as Slack delivers it: signed, over HTTP.
 *
 * @throws DecisionNotTakenError unless the endpoint answers 200 with the decision taken.
 */
export async function clickInSlack(click: SlackClick): Promise<EndpointAnswer> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const body = blockActionsBody(
    {
      teamId: click.teamId,
      userId: click.userId,
      channel: click.channel,
      messageTs: click.messageTs,
      actionId: click.decision === 'APPROVED' ? ACTION_APPROVE : ACTION_REJECT,
      value: click.approvalId,
    },
    Number(timestamp),
  );
  const response = await fetch(click.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature({ signingSecret: click.signingSecret, timestamp, rawBody: body }),
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
    body,
  });
  await response.arrayBuffer();
  return taken(response, click.decision);
}

export interface PageDecision {
  /** The personal approval link (`/approvals/<id>?t=<token>`). */
  readonly link: string;
  readonly decision: Decision;
  readonly comment?: string;
}

/**
 * Opens the approval page and submits its form, as a browser does: the CSRF
 * cookie the page sets goes back with the POST, from the page's origin.
 *
 * @throws DecisionNotTakenError when the page does not show the form, or the POST is not taken.
 */
export async function decideOnPage(input: PageDecision): Promise<EndpointAnswer> {
  const headers = { 'user-agent': 'rollgate-demo-approver' };
  const page = await fetch(input.link, { headers });
  const html = await page.text();
  const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
  const hidden = (name: string) => new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html)?.[1];
  const token = hidden('t');
  const csrf = hidden('csrf');
  const cookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .filter((c) => c !== '')
    .join('; ');
  if (page.status !== 200 || action === undefined || token === undefined || csrf === undefined) {
    throw new DecisionNotTakenError(`the approval page answered ${String(page.status)} (${page.headers.get('x-rollgate-outcome') ?? 'no outcome'}) without its form`);
  }
  const origin = new URL(input.link).origin;
  const form = new URLSearchParams({
    t: unescapeHtml(token),
    csrf: unescapeHtml(csrf),
    decision: input.decision === 'APPROVED' ? 'approve' : 'reject',
    ...(input.comment === undefined ? {} : { comment: input.comment }),
  });
  const response = await fetch(new URL(unescapeHtml(action), origin), {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded', origin, 'sec-fetch-site': 'same-origin', cookie },
    body: form.toString(),
  });
  await response.arrayBuffer();
  return taken(response, input.decision);
}

function taken(response: Response, decision: Decision): EndpointAnswer {
  const answer = { status: response.status, outcome: response.headers.get('x-rollgate-outcome') ?? 'none' };
  const wanted = decision === 'APPROVED' ? 'approved' : 'rejected';
  if (answer.status !== 200 || answer.outcome !== wanted) {
    throw new DecisionNotTakenError(`the approval endpoint answered ${String(answer.status)} (${answer.outcome}), not 200 (${wanted})`);
  }
  return answer;
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
