/**
 * A decision recorded in the ledger always reaches the flow: when resuming
 * the task token fails after the decision landed, a re-click of the same
 * outcome (Slack or the page) and the sweeper deliver it again; when the
 * token is dead, the approval says the decision never reached the flow.
 */
import { describe, expect, it } from 'vitest';
import { CloudProviderUnavailableError, TaskAlreadyClosedError } from '../../functions/errors.js';
import type { Callbacks } from '../../functions/ports.js';
import { decide } from '../../functions/approval/decisions.js';
import { stateOf } from '../../functions/approval/message.js';
import { until } from '../flow/flow-fixture.js';
import { ALICE, BOB, click, hasButtons, releaseAwaitingApproval, type ApprovalHarness } from './approval-harness.js';

/** The engine's callbacks, with the next `times` SendTaskSuccess/SendTaskFailure calls failing like a throttled Step Functions API. */
function failing(times: number, make: () => Error = () => new CloudProviderUnavailableError('states', 'SendTaskSuccess', 'ThrottlingException', 'Rate exceeded')) {
  let left = times;
  const calls: string[] = [];
  const wrap = (engine: Callbacks): Callbacks => ({
    async success(token, output) {
      calls.push('success');
      if (left-- > 0) throw make();
      await engine.success(token, output);
    },
    async failure(token, error, cause) {
      calls.push('failure');
      if (left-- > 0) throw make();
      await engine.failure(token, error, cause);
    },
  });
  return { wrap, calls };
}

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130';

/** Opens the personal link of `userId` and submits its form. */
async function submitPage(h: ApprovalHarness, userId: string, decision: 'approve' | 'reject') {
  const link = await h.server.personalLink(h.approvalId, userId);
  const page = await fetch(link, { headers: { 'user-agent': BROWSER } });
  const body = await page.text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '';
  const token = /name="t" value="([^"]+)"/.exec(body)?.[1] ?? '';
  const response = await fetch(h.server.url(`/approvals/${h.approvalId}`), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      cookie: (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
      origin: h.server.baseUrl,
      'sec-fetch-site': 'same-origin',
      'user-agent': BROWSER,
    },
    body: new URLSearchParams({ t: token.replace(/&amp;/g, '&'), csrf, decision }).toString(),
  });
  return { status: response.status, outcome: response.headers.get('x-rollgate-outcome') };
}

describe('a recorded decision reaches the flow', () => {
  it('the approval page shows its form again for an undelivered decision, and submitting the same outcome delivers it', async () => {
    const h = await releaseAwaitingApproval({ callbacks: failing(1).wrap });
    expect(await submitPage(h, ALICE, 'approve')).toMatchObject({ status: 500 });
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE, via: 'browser' });
    expect(await submitPage(h, BOB, 'reject')).toMatchObject({ status: 409, outcome: 'already-decided' });
    expect(await submitPage(h, ALICE, 'approve')).toMatchObject({ status: 200, outcome: 'approved' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
    expect((await h.approval()).deliveredAt).toBeDefined();
  });

  it('a re-click of the same outcome delivers a decision whose SendTaskSuccess failed once, and the release is promoted', async () => {
    const sfn = failing(1);
    const h = await releaseAwaitingApproval({ callbacks: sfn.wrap });
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 500 });
    const undelivered = await h.approval();
    expect(undelivered.decision).toMatchObject({ outcome: 'APPROVED', by: ALICE });
    expect(undelivered.deliveredAt).toBeUndefined();
    // The buttons stay while the decision has not reached the flow, so a re-click can deliver it.
    expect(hasButtons(h.message)).toBe(true);

    // Another approver clicking Reject does not turn an approval into a rejection.
    expect(await click(h, 'reject', BOB)).toMatchObject({ status: 200, outcome: 'already-decided' });
    expect(await click(h, 'approve', BOB)).toMatchObject({ status: 200, outcome: 'approved' });
    const result = await h.execution.result;
    expect(result.status).toBe('SUCCEEDED');
    const delivered = await h.approval();
    expect(delivered.decision).toMatchObject({ outcome: 'APPROVED', by: ALICE }); // the first decision, unchanged
    expect(delivered.deliveredAt).toBeDefined();
    expect(delivered.expired).toBeUndefined();
    expect((await h.release()).status).toBe('SUCCEEDED');
    await until(() => (hasButtons(h.message) ? undefined : true));
    // Delivered once: a click now is "already decided".
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 200, outcome: 'already-decided' });
  });

  it('the sweeper delivers a decision whose delivery failed, and a rejection rolls the release back', async () => {
    const sfn = failing(1);
    const h = await releaseAwaitingApproval({ callbacks: sfn.wrap });
    expect(await click(h, 'reject', BOB)).toMatchObject({ status: 500 });
    expect((await h.approval()).deliveredAt).toBeUndefined();
    // A click in flight delivers its own decision: the sweeper leaves young ones alone.
    expect((await h.server.endpoint.sweep()).delivered).toEqual([]);
    h.shiftClock(60_000);
    expect((await h.server.endpoint.sweep()).delivered).toEqual([h.approvalId]);
    const result = await h.execution.result;
    expect(result.status).toBe('FAILED');
    expect((await h.release()).status).toBe('ROLLED_BACK');
    expect((await h.approval()).deliveredAt).toBeDefined();
    expect(sfn.calls).toEqual(['failure', 'failure']);
  });

  it('a dead task token marks the approval as never delivered, and the ledger does not show it as decided', async () => {
    const h = await releaseAwaitingApproval({ callbacks: failing(Infinity, () => new TaskAlreadyClosedError('TaskTimedOut: Task Timed Out')).wrap });
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 200, outcome: 'no-longer-waiting' });
    const approval = await h.approval();
    expect(approval.deliveredAt).toBeUndefined();
    expect(approval.expired).toMatchObject({ decisionUndelivered: true });
    expect(stateOf(approval).kind).toBe('expired');
    // A re-click does not pretend either.
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 200, outcome: 'no-longer-waiting' });
    h.execution.abort();
  });

  it('the local runtime decides through the same path: it re-delivers the same outcome after a failed delivery, and refuses the other outcome', async () => {
    const sfn = failing(1);
    const h = await releaseAwaitingApproval();
    const deps = { ...h.runtime.decisionDeps, callbacks: sfn.wrap(h.runtime.engine.callbacks) };
    const input = { approvalId: h.approvalId, outcome: 'APPROVED' as const, userId: ALICE, via: 'local' as const };
    await expect(decide(deps, input)).rejects.toBeInstanceOf(CloudProviderUnavailableError);
    await expect(decide(deps, { ...input, outcome: 'REJECTED' })).rejects.toMatchObject({ name: 'AlreadyDecidedError' });
    expect(await decide(deps, input)).toMatchObject({ decision: { outcome: 'APPROVED', by: ALICE, via: 'local' } });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
    expect((await h.approval()).deliveredAt).toBeDefined();
  });
});
