/**
 * `npm start -- --interactive` as a person uses it: the demo waits at the
 * approval, prints the approval link, and a real browser (Debian's chromium,
 * driven by playwright-core; installed by .ci/run) opens it and clicks
 * Approve. Loopback only. Checks how the release ended, never timings.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchHeadlessChromium, type HeadlessChromium } from '../headless-chromium.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LINK = /https?:\/\/127\.0\.0\.1:\d+\/approvals\/[A-Za-z0-9_-]+\?t=\S+/;

interface RunningDemo {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the exit code once it ended. */
  readonly exited: Promise<number | null>;
}

function startDemo(args: readonly string[]): RunningDemo {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/demo.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      resolve(code);
    });
  });
  return { child, output: () => output, exited };
}

/** Resolves with what `find` returns once it returns something; rejects if the demo exits first. */
async function waitFor<T>(demo: RunningDemo, find: () => T | undefined): Promise<T> {
  const state = { ended: false };
  void demo.exited.then(() => (state.ended = true));
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (state.ended) throw new Error(`the demo exited before it printed the approval link:\n${demo.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Ctrl-C (the demo then stops its DynamoDB Local and servers), then SIGKILL if it does not end. */
async function stop(demo: RunningDemo): Promise<void> {
  if (demo.child.exitCode !== null || demo.child.signalCode !== null) return;
  demo.child.kill('SIGINT');
  const killer = setTimeout(() => demo.child.kill('SIGKILL'), 20_000);
  await demo.exited.catch(() => undefined);
  clearTimeout(killer);
}

describe('npm start -- --interactive', () => {
  it('prints the approval link, and Approve clicked in a real browser ships the release', { timeout: 150_000 }, async () => {
    let chromium: HeadlessChromium | undefined;
    let demo: RunningDemo | undefined;
    try {
      // The browser starts first: its start-up takes the CPU for a moment, which must not fall in the release's bakes.
      chromium = await launchHeadlessChromium();
      const page = await chromium.browser.newPage();
      const running = startDemo(['--interactive', '--scenario', 'good']);
      demo = running;
      const link = await waitFor(running, () => LINK.exec(running.output())?.[0]);
      // While it waits, the status line points at the link and counts down the (longer, interactive) time limit.
      expect(running.output()).toContain('time limit 900 s (--time-limit <seconds>)');
      await waitFor(running, () => /waiting for you: open the approval link above \(time limit in \d+ s\) \| .*AWAITING_APPROVAL/.exec(running.output())?.[0]);

      const response = await page.goto(link);
      expect(response?.status()).toBe(200);
      expect(await page.title()).toBe('Approve checkout/prod v2?');
      const [decided] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button[value="approve"]')]);
      expect(decided.headers()['x-rollgate-outcome'], `${await decided.text()}\n${running.output().slice(-3000)}`).toBe('approved');
      expect(await page.textContent('body')).toContain('Approved by U01ALICE');

      const code = await running.exited;
      expect(code, running.output().slice(-3000)).toBe(0);
      // The summary row of the release: scenario, version, status/outcome, as expected.
      expect(running.output()).toMatch(/^\s+good\s+v2\s+SUCCEEDED\/PROMOTED\s+yes\s/m);
      expect(running.output()).toContain('every release ended the way its scenario expects');
    } finally {
      await chromium?.close();
      if (demo !== undefined) await stop(demo);
    }
  });
});
