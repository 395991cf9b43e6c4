/**
 * Approvals as each service's configuration says: its channel, and whether
 * four-eyes holds (on unless the service turns it off), through the real
 * endpoint on a local server, the way functions/handlers/approval.ts and
 * approval-endpoint.ts wire them (`approvalChannel`, `fourEyesFor`).
 */
import { describe, expect, it } from 'vitest';
import type { RollgateConfigInput } from '../../functions/config.js';
import { SAMPLE_SLACK } from '../../local/sample-config.js';
import { flowConfig } from '../flow/flow-fixture.js';
import { ALICE, DANA, click, expectStillWaiting, releaseAwaitingApproval, type HarnessOptions } from './approval-harness.js';

/** The sample configuration with checkout's `approvals` replaced. */
function configWith(approvals: { slackChannel?: string; fourEyes?: boolean }): RollgateConfigInput {
  const config = flowConfig();
  const checkout = config.services[0];
  if (checkout === undefined) throw new Error('no checkout in the sample');
  checkout.approvals = approvals;
  return config;
}

/** A release awaiting approval under `config` (the local endpoint takes four-eyes from it, as the Lambda does). */
function harness(config: RollgateConfigInput, options: HarnessOptions = {}) {
  return releaseAwaitingApproval({ ...options, runtime: { config } });
}

const pageOf = async (url: string) => (await fetch(url, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130' } })).text();

describe('approvals per service', () => {
  it("refuses the author's approval by default (the service says nothing about four-eyes), and lets another approver decide", async () => {
    const h = await harness(configWith({}));
    expect(await click(h, 'approve', DANA)).toMatchObject({ status: 200, outcome: 'self-approval' });
    expect(await pageOf(await h.server.personalLink(h.approvalId, DANA))).not.toContain('value="approve"');
    await expectStillWaiting(h);
    expect(await click(h, 'approve', ALICE)).toMatchObject({ status: 200, outcome: 'approved' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
  });

  it('lets the author approve their own release when the service turns four-eyes off, and records it', async () => {
    const h = await harness(configWith({ fourEyes: false }));
    expect(await pageOf(await h.server.personalLink(h.approvalId, DANA))).toContain('value="approve"');
    expect(await click(h, 'approve', DANA)).toMatchObject({ status: 200, outcome: 'approved' });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: DANA, via: 'slack' });
  });

  it("posts the request in the service's own channel", async () => {
    const h = await harness(configWith({ slackChannel: 'C0CHECKOUT1' }));
    expect(h.message.channel).toBe('C0CHECKOUT1');
    expect(await h.approval()).toMatchObject({ slackMessage: { channel: 'C0CHECKOUT1' } });
    h.execution.abort();
  });

  it('posts the request in the default channel when the service names none', async () => {
    const h = await harness(configWith({}));
    expect(h.message.channel).toBe(SAMPLE_SLACK.channel);
    h.execution.abort();
  });
});
