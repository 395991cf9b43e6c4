/**
 * The Chromium test/find-chromium.ts finds (CHROMIUM_PATH, the PATH, the
 * macOS apps; .ci/run installs Debian's chromium when there is none), headless,
 * driven by playwright-core: the real browser of the approval page tests. With
 * no Chromium the launch fails, saying what to install. Each launch gets a
 * fresh profile (playwright passes it as --user-data-dir), removed on close.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { findChromium } from './find-chromium.js';

export interface HeadlessChromium {
  readonly browser: BrowserContext;
  /** Closes the browser and removes its profile. */
  readonly close: () => Promise<void>;
}

export async function launchHeadlessChromium(): Promise<HeadlessChromium> {
  const executablePath = findChromium();
  const profile = await mkdtemp(join(tmpdir(), 'rollgate-chromium-'));
  let browser: BrowserContext;
  try {
    browser = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      // No sandbox (CI runs as root); nothing that would reach the network on its own.
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  return {
    browser,
    close: async () => {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
