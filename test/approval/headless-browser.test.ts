/**
 * A real browser (the Chromium test/find-chromium.ts finds, driven by
 * playwright-core) opens the personal approval link, sees the confirmation
 * page, clicks Approve, and the release goes on. Loopback only.
 */
import { describe, expect, it } from 'vitest';
import { ALICE, hasButtons, releaseAwaitingApproval } from './approval-harness.js';
import { until } from '../flow/flow-fixture.js';
import { launchHeadlessChromium } from '../headless-chromium.js';

describe('the approval page in a real browser', () => {
  it('opens the confirmation page, clicks Approve, and the flow proceeds', { timeout: 60_000 }, async () => {
    const h = await releaseAwaitingApproval();
    const link = await h.server.personalLink(h.approvalId, ALICE);
    const { browser, close } = await launchHeadlessChromium();
    try {
      const page = await browser.newPage();
      const response = await page.goto(link);
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe('Approve checkout/prod v2?');
      expect(await page.textContent('body')).toContain('Previous version');
      // Looking at the page decided nothing.
      expect((await h.approval()).decision).toBeUndefined();

      await Promise.all([page.waitForURL(`**/approvals/${h.approvalId}`), page.click('button[value="approve"]')]);
      expect(await page.textContent('#outcome')).toContain(`Approved by ${ALICE}`);

      expect((await h.execution.result).status).toBe('SUCCEEDED');
      expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE, via: 'browser' });
      await until(() => (hasButtons(h.message) ? undefined : true));
    } finally {
      await close();
    }
  });
});
