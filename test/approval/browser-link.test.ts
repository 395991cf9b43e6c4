import { describe, expect, it } from 'vitest';
import { signApprovalLink } from '../../functions/approval/links.js';
import { ALICE, BOB, DANA, MALLORY, expectStillWaiting, hasButtons, releaseAwaitingApproval, type ApprovalHarness } from './approval-harness.js';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

async function get(url: string, userAgent = BROWSER) {
  const response = await fetch(url, { headers: { 'user-agent': userAgent }, redirect: 'manual' });
  return { status: response.status, outcome: response.headers.get('x-rollgate-outcome'), cookie: response.headers.get('set-cookie'), headers: response.headers, body: await response.text() };
}

/** Opens the page as a browser would, then posts its form with the cookie it set. */
async function openAndSubmit(h: ApprovalHarness, userId: string, decision: 'approve' | 'reject', change: { csrf?: string; cookie?: string; origin?: string; fetchSite?: string } = {}) {
  const link = await h.server.personalLink(h.approvalId, userId);
  const page = await get(link);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const token = /name="t" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const cookie = (page.cookie ?? '').split(';')[0] ?? '';
  const response = await fetch(h.server.url(`/approvals/${h.approvalId}`), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: change.cookie ?? cookie,
      origin: change.origin ?? h.server.baseUrl,
      'sec-fetch-site': change.fetchSite ?? 'same-origin',
      'user-agent': BROWSER,
    },
    body: new URLSearchParams({ t: token.replace(/&amp;/g, '&'), csrf: change.csrf ?? csrf, decision }).toString(),
    redirect: 'manual',
  });
  return { page, status: response.status, outcome: response.headers.get('x-rollgate-outcome'), body: await response.text() };
}

describe('the browser approval link', () => {
  it('GET shows the confirmation page and changes nothing; a link-preview bot gets no details and no form', async () => {
    const h = await releaseAwaitingApproval();
    const link = await h.server.personalLink(h.approvalId, ALICE);
    const page = await get(link);
    expect(page).toMatchObject({ status: 200, outcome: 'page' });
    expect(page.body).toContain('checkout / prod');
    expect(page.body).toContain('value="approve"');
    expect(page.body).toContain(ALICE);
    expect(page.body).not.toContain((await h.approval()).taskToken);
    expect(page.cookie).toMatch(/^rollgate_csrf=[\w-]+; Path=\/approvals\/[\w-]+; HttpOnly; SameSite=Strict/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(page.headers.get('cache-control')).toBe('no-store');

    const preview = await get(link, 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)');
    expect(preview).toMatchObject({ status: 200, outcome: 'preview', cookie: null });
    expect(preview.body).not.toContain('checkout');
    expect(preview.body).not.toContain('<form');
    const head = await fetch(link, { method: 'HEAD', headers: { 'user-agent': BROWSER } });
    expect(head.status).toBe(200);

    await expectStillWaiting(h);
    const events = await h.runtime.ledger.listEvents(await h.release());
    await get(link);
    expect(await h.runtime.ledger.listEvents(await h.release())).toEqual(events);
    expect(hasButtons(h.message)).toBe(true);
    h.execution.abort();
  });

  it('refuses forged links with 403 and unknown approvals with 404', async () => {
    const h = await releaseAwaitingApproval();
    const link = new URL(await h.server.personalLink(h.approvalId, ALICE));
    const token = link.searchParams.get('t') ?? '';
    const forged = signApprovalLink('an attacker key that is long enough!!', { approvalId: h.approvalId, userId: ALICE, expiresAt: new Date(Date.now() + 3600_000) });
    const forUser = token.replace(/^v1\.[^.]+/, `v1.${Buffer.from(JSON.stringify({ a: h.approvalId, u: MALLORY, e: 9999999999 })).toString('base64url')}`);
    for (const t of [forged, forUser, '', 'v1.x.y', token.slice(0, -2)]) {
      expect(await get(h.server.url(`/approvals/${h.approvalId}?t=${encodeURIComponent(t)}`))).toMatchObject({ status: 403, outcome: 'bad-link' });
    }
    expect(await get(h.server.url(`/approvals/${h.approvalId}`))).toMatchObject({ status: 403 });
    // Another approval's id with this approval's token: the token is bound to its approval.
    expect(await get(h.server.url(`/approvals/${'A'.repeat(32)}?t=${encodeURIComponent(token)}`))).toMatchObject({ status: 403 });
    // A genuine token for an approval that does not exist.
    const ghost = signApprovalLink(h.approvals.secrets.linkSigningKey, { approvalId: 'B'.repeat(32), userId: ALICE, expiresAt: new Date(Date.now() + 3600_000) });
    expect(await get(h.server.url(`/approvals/${'B'.repeat(32)}?t=${encodeURIComponent(ghost)}`))).toMatchObject({ status: 404, outcome: 'not-found' });
    expect(await get(h.server.url('/approvals/short'))).toMatchObject({ status: 404 });
    expect(await get(h.server.url('/elsewhere'))).toMatchObject({ status: 404 });
    await expectStillWaiting(h);
    h.execution.abort();
  });

  it('POST decides only with the page cookie, its CSRF token and a same-origin request', async () => {
    const h = await releaseAwaitingApproval();
    expect(await openAndSubmit(h, ALICE, 'approve', { csrf: 'x'.repeat(43) })).toMatchObject({ status: 403, outcome: 'bad-csrf' });
    expect(await openAndSubmit(h, ALICE, 'approve', { cookie: 'rollgate_csrf=someone-elses-nonce-value' })).toMatchObject({ status: 403, outcome: 'bad-csrf' });
    expect(await openAndSubmit(h, ALICE, 'approve', { cookie: '' })).toMatchObject({ status: 403, outcome: 'bad-csrf' });
    expect(await openAndSubmit(h, ALICE, 'approve', { origin: 'https://evil.example' })).toMatchObject({ status: 403, outcome: 'cross-site' });
    expect(await openAndSubmit(h, ALICE, 'approve', { fetchSite: 'cross-site' })).toMatchObject({ status: 403, outcome: 'cross-site' });
    await expectStillWaiting(h);

    // Bob opens the page now and submits after Alice decided.
    const bobsLink = await h.server.personalLink(h.approvalId, BOB);
    const bobsPage = await get(bobsLink);
    const approved = await openAndSubmit(h, ALICE, 'approve');
    expect(approved).toMatchObject({ status: 200, outcome: 'approved' });
    expect(approved.body).toContain(`Approved by ${ALICE}`);
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE, via: 'browser' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');

    // Decided once: a second submission, and the page itself, say so.
    const late = await fetch(h.server.url(`/approvals/${h.approvalId}`), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: (bobsPage.cookie ?? '').split(';')[0] ?? '', origin: h.server.baseUrl },
      body: new URLSearchParams({ t: new URL(bobsLink).searchParams.get('t') ?? '', csrf: /name="csrf" value="([^"]+)"/.exec(bobsPage.body)?.[1] ?? '', decision: 'reject' }).toString(),
    });
    expect(late.status).toBe(409);
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE });
    expect(await get(await h.server.personalLink(h.approvalId, BOB))).toMatchObject({ status: 409, outcome: 'already-decided' });
  });

  it('applies the allow-list and four-eyes to the browser too', async () => {
    const h = await releaseAwaitingApproval();
    expect(await get(await h.server.personalLink(h.approvalId, MALLORY))).toMatchObject({ status: 403, outcome: 'not-an-approver' });
    const own = await openAndSubmit(h, DANA, 'approve');
    expect(own.page.body).toContain('four-eyes');
    expect(own.page.body).not.toContain('value="approve"');
    expect(own).toMatchObject({ status: 403, outcome: 'self-approval' });
    await expectStillWaiting(h);
    // The author may still stop their own release.
    expect(await openAndSubmit(h, DANA, 'reject')).toMatchObject({ status: 200, outcome: 'rejected' });
    expect((await h.execution.result).status).toBe('FAILED');
  });

  it('answers 410 once the approval has expired, on GET and POST', async () => {
    const h = await releaseAwaitingApproval();
    const link = await h.server.personalLink(h.approvalId, ALICE);
    const page = await get(link);
    h.shiftClock(3601_000);
    expect(await get(link)).toMatchObject({ status: 410 });
    expect((await h.approval()).expired).toBeUndefined(); // GET changes nothing
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const response = await fetch(h.server.url(`/approvals/${h.approvalId}`), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: (page.cookie ?? '').split(';')[0] ?? '', origin: h.server.baseUrl },
      body: new URLSearchParams({ t: new URL(link).searchParams.get('t') ?? '', csrf, decision: 'approve' }).toString(),
    });
    expect(response.status).toBe(410);
    expect((await h.approval()).decision).toBeUndefined();
    expect(h.execution.describe().status).toBe('RUNNING');
    h.execution.abort();
  });
});
