/**
 * Slack down: a release that waits for an approval keeps waiting when its
 * request cannot be posted, instead of rolling back. The Approval step
 * records why in the audit log; the sweeper posts the request once Slack
 * answers again, and the decision resumes the flow as usual.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_APPROVE } from '../../functions/approval/message.js';
import { startLocalSlackApprovals, type LocalSlackApprovals } from '../../local/approval-server.js';
import { APPROVAL_PLAN, ALICE, DANAS_TRIGGER, click, hasButtons, type ApprovalHarness } from '../approval/approval-harness.js';
import { CHECKOUT, newRuntime, releaseInput, until } from './flow-fixture.js';

const open: LocalSlackApprovals[] = [];
afterEach(async () => {
  for (const approvals of open.splice(0)) await approvals.close();
});

describe('Slack down while a release asks for approval', () => {
  it('keeps the release waiting, records why, and the sweeper posts the request once Slack is back', async () => {
    let offset = 0;
    const approvals = await startLocalSlackApprovals({ users: [{ id: ALICE, name: 'alice' }], sweepIntervalMs: 0, endpoint: { now: () => new Date(Date.now() + offset) } });
    open.push(approvals);
    approvals.stub.failAll('chat.postMessage', 'service_unavailable');
    const runtime = await newRuntime({ notifier: approvals.notifier });
    const server = await approvals.serve({ ledger: runtime.ledger, callbacks: runtime.engine.callbacks, config: runtime.deps.config });
    const execution = runtime.startRelease(releaseInput('v2', { plan: APPROVAL_PLAN, trigger: DANAS_TRIGGER }));

    const release = await until(async () => {
      const r = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
      const events = r === undefined ? [] : await runtime.ledger.listEvents(r);
      return events.some((e) => e.type === 'APPROVAL_NOT_POSTED') ? r : undefined;
    });
    const notPosted = (await runtime.ledger.listEvents(release)).find((e) => e.type === 'APPROVAL_NOT_POSTED');
    expect(notPosted?.message).toMatch(/SlackApiError: Slack chat.postMessage failed: service_unavailable/);
    const approvalId = String(notPosted?.data?.approvalId);
    expect(approvals.stub.calls.filter((c) => c.method === 'chat.postMessage').length).toBeGreaterThan(0);
    expect(approvals.stub.messages).toEqual([]);

    // Still waiting: no rollback, no retry storm.
    const waiting = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
    expect(waiting).toMatchObject({ status: 'AWAITING_APPROVAL', waiting: { kind: 'APPROVAL', approvalId } });
    expect(execution.describe().status).toBe('RUNNING');
    expect(runtime.invocations.get('RollbackFunctionArn') ?? 0).toBe(0);

    // The sweeper leaves a young request to the Approval step (which may still be posting it).
    approvals.stub.restore('chat.postMessage');
    expect((await server.endpoint.sweep()).posted).toEqual([]);
    expect(approvals.stub.messages).toEqual([]);
    // While Slack is down a sweep posts nothing and fails nothing; once it is back, it posts.
    offset = 60_000;
    approvals.stub.failAll('chat.postMessage', 'service_unavailable');
    expect((await server.endpoint.sweep()).posted).toEqual([]);
    approvals.stub.restore('chat.postMessage');
    expect((await server.endpoint.sweep()).posted).toEqual([approvalId]);
    const message = await until(() => approvals.stub.messages[0]);
    expect(hasButtons(message)).toBe(true);
    expect(JSON.stringify(message.blocks)).toContain(`"value":"${approvalId}"`);
    expect(JSON.stringify(message.blocks)).toContain(ACTION_APPROVE);
    expect((await runtime.ledger.getApproval(approvalId))?.slackMessage).toEqual({ channel: message.channel, ts: message.ts });
    // Posted once: the next sweep leaves it alone.
    expect((await server.endpoint.sweep()).posted).toEqual([]);

    const h = { approvals, server, message, approvalId, nowSeconds: () => Math.floor((Date.now() + offset) / 1000) } as unknown as ApprovalHarness;
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 200, outcome: 'approved' });
    expect((await execution.result).status).toBe('SUCCEEDED');
  });

  it('lets an approver decide through the browser link while no message was ever posted', async () => {
    const approvals = await startLocalSlackApprovals({ users: [{ id: ALICE, name: 'alice' }], sweepIntervalMs: 0 });
    open.push(approvals);
    approvals.stub.failAll('chat.postMessage', 'service_unavailable');
    const runtime = await newRuntime({ notifier: approvals.notifier });
    const server = await approvals.serve({ ledger: runtime.ledger, callbacks: runtime.engine.callbacks, config: runtime.deps.config });
    const execution = runtime.startRelease(releaseInput('v2', { plan: APPROVAL_PLAN, trigger: DANAS_TRIGGER }));
    const approvalId = await until(async () => (await runtime.ledger.listReleases(CHECKOUT)).items[0]?.waiting?.approvalId);
    await until(async () => {
      const r = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
      return r !== undefined && (await runtime.ledger.listEvents(r)).some((e) => e.type === 'APPROVAL_NOT_POSTED') ? true : undefined;
    });

    const link = await server.personalLink(approvalId, ALICE);
    const page = await fetch(link, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130' } });
    const html = await page.text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const t = new URL(link).searchParams.get('t') ?? '';
    const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const decided = await fetch(new URL(`/approvals/${approvalId}`, server.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: server.baseUrl },
      body: new URLSearchParams({ t, csrf, decision: 'approve' }).toString(),
    });
    expect(decided.headers.get('x-rollgate-outcome')).toBe('approved');
    expect((await execution.result).status).toBe('SUCCEEDED');
    // Nothing left for the sweeper: no message to post for a decided approval.
    expect((await server.endpoint.sweep()).posted).toEqual([]);
    expect(await runtime.ledger.listOpenApprovalMessages()).toEqual([]);
  });
});
