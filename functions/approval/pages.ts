/**
 * The HTML of the browser approval page: server-rendered, no script, no
 * external resources, so the Content-Security-Policy can forbid everything
 * but inline styles and same-origin form posts.
 */
import type { ApprovalFacts, ApprovalState } from './message.js';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Headers of every page: no caching, no framing (a decision button must not be clickjacked), no referrer to other sites (links carry a token). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  // Not no-referrer: with it, browsers send `Origin: null` on the form's POST and the origin check could not tell.
  'referrer-policy': 'same-origin',
  'x-robots-tag': 'noindex, nofollow',
};

const STYLE =
  'body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1d1c1d}' +
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{font-weight:600}' +
  'button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem;border-radius:4px;border:1px solid #888;cursor:pointer}' +
  '.approve{background:#007a5a;color:#fff}.reject{background:#e01e5a;color:#fff}textarea{width:100%}';

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

export function messagePage(title: string, text: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`);
}

function details(facts: ApprovalFacts): string {
  const row = (label: string, value: string | undefined) => `<dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value ?? '—')}</dd>`;
  const step = facts.stepCount === undefined ? String(facts.stepIndex + 1) : `${String(facts.stepIndex + 1)} of ${String(facts.stepCount)}`;
  return (
    '<dl>' +
    row('Service', `${facts.service} / ${facts.environment}`) +
    row('New version', facts.version) +
    row('Previous version', facts.previousVersion) +
    row('Commit', facts.commit) +
    row('Author', facts.author) +
    row('Step', step) +
    row('Traffic', facts.weights === undefined ? undefined : `${String(facts.weights.canary)}% new / ${String(facts.weights.stable)}% stable`) +
    row('Decide by', facts.expiresAt) +
    '</dl>'
  );
}

/** The confirmation page: the release, and a form that posts the decision. Showing it changes nothing. */
export function confirmationPage(input: {
  facts: ApprovalFacts;
  userId: string;
  action: string;
  linkToken: string;
  csrf: string;
  canApprove: boolean;
}): string {
  const { facts } = input;
  const title = `Approve ${facts.service}/${facts.environment} ${facts.version}?`;
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>${details(facts)}` +
      `<p>You are deciding as Slack user <code>${escapeHtml(input.userId)}</code>; your decision is recorded under that name.</p>` +
      (input.canApprove ? '' : '<p><strong>You authored this release, so you cannot approve it (four-eyes). You may reject it.</strong></p>') +
      `<form method="post" action="${escapeHtml(input.action)}">${hidden('t', input.linkToken)}${hidden('csrf', input.csrf)}` +
      '<p><label for="comment">Comment (optional)</label><br><textarea id="comment" name="comment" rows="2" maxlength="500"></textarea></p>' +
      (input.canApprove ? '<button type="submit" name="decision" value="approve" class="approve">Approve</button>' : '') +
      '<button type="submit" name="decision" value="reject" class="reject">Reject</button></form>',
  );
}

/** The page of an approval that is no longer open. */
export function outcomePage(facts: ApprovalFacts, state: Exclude<ApprovalState, { kind: 'open' }>): string {
  const title =
    state.kind === 'decided'
      ? `${state.outcome === 'APPROVED' ? 'Approved' : 'Rejected'}: ${facts.service}/${facts.environment} ${facts.version}`
      : `No longer open: ${facts.service}/${facts.environment} ${facts.version}`;
  const line =
    state.kind === 'decided'
      ? `${state.outcome === 'APPROVED' ? 'Approved' : 'Rejected'} by ${state.by} at ${state.at}${state.via === undefined ? '' : ` (via ${state.via})`}.`
      : `Closed at ${state.at}: ${state.reason}.`;
  return page(title, `<h1>${escapeHtml(title)}</h1><p id="outcome">${escapeHtml(line)}</p>${details(facts)}`);
}
