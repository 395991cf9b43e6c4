/**
 * test/find-chromium.ts on a made-up machine: temp directories of fake
 * executables as the PATH and the macOS apps, never the real ones.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChromiumNotFoundError, ChromiumPathError, findChromium, reportChromium } from './find-chromium.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'rollgate-find-chromium-'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A file at `dir/name` (dirs created), executable unless told otherwise. */
function fake(dir: string, name: string, options: { executable?: boolean } = {}): string {
  mkdirSync(join(root, dir), { recursive: true });
  const path = join(root, dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, options.executable === false ? 0o644 : 0o755);
  return path;
}

const pathOf = (...dirs: string[]): string => dirs.map((dir) => join(root, dir)).join(delimiter);
/** No macOS apps on the made-up machine unless a test puts some there. */
const NO_APPS: readonly string[] = [];

describe('findChromium', () => {
  it('takes CHROMIUM_PATH first, over a chromium on the PATH', () => {
    const chosen = fake('opt', 'my-chrome');
    fake('bin', 'chromium');
    expect(findChromium({ env: { CHROMIUM_PATH: chosen, PATH: pathOf('bin') }, appBinaries: NO_APPS })).toBe(chosen);
  });

  it('refuses a CHROMIUM_PATH that is not executable, naming CHROMIUM_PATH, rather than searching on', () => {
    const notExecutable = fake('opt', 'chrome', { executable: false });
    fake('bin', 'chromium');
    const find = () => findChromium({ env: { CHROMIUM_PATH: notExecutable, PATH: pathOf('bin') }, appBinaries: NO_APPS });
    expect(find).toThrow(ChromiumPathError);
    expect(find).toThrow(`CHROMIUM_PATH=${notExecutable} is not executable`);
  });

  it('refuses a CHROMIUM_PATH that does not exist or is a directory', () => {
    const missing = join(root, 'nowhere', 'chrome');
    expect(() => findChromium({ env: { CHROMIUM_PATH: missing }, appBinaries: NO_APPS })).toThrow(`CHROMIUM_PATH=${missing} does not exist`);
    expect(() => findChromium({ env: { CHROMIUM_PATH: root }, appBinaries: NO_APPS })).toThrow(`CHROMIUM_PATH=${root} is not a file`);
  });

  it('treats an empty CHROMIUM_PATH as unset', () => {
    const chromium = fake('bin', 'chromium');
    expect(findChromium({ env: { CHROMIUM_PATH: '', PATH: pathOf('bin') }, appBinaries: NO_APPS })).toBe(chromium);
  });

  it('tries chromium, chromium-browser, google-chrome, google-chrome-stable on the PATH, in that order, whichever PATH entry has it', () => {
    const env = { PATH: pathOf('first', 'second', 'third') };
    const stable = fake('first', 'google-chrome-stable');
    expect(findChromium({ env, appBinaries: NO_APPS })).toBe(stable);
    const chrome = fake('second', 'google-chrome');
    expect(findChromium({ env, appBinaries: NO_APPS })).toBe(chrome);
    const browser = fake('third', 'chromium-browser');
    expect(findChromium({ env, appBinaries: NO_APPS })).toBe(browser);
    const chromium = fake('third', 'chromium');
    expect(findChromium({ env, appBinaries: NO_APPS })).toBe(chromium);
  });

  it('takes the first PATH entry that has the command', () => {
    fake('later', 'chromium');
    const earlier = fake('earlier', 'chromium');
    expect(findChromium({ env: { PATH: pathOf('earlier', 'later') }, appBinaries: NO_APPS })).toBe(earlier);
  });

  it('skips a PATH match that is not executable or is a directory', () => {
    fake('first', 'chromium', { executable: false });
    mkdirSync(join(root, 'second', 'chromium'), { recursive: true });
    const chrome = fake('third', 'google-chrome');
    expect(findChromium({ env: { PATH: pathOf('first', 'second', 'third') }, appBinaries: NO_APPS })).toBe(chrome);
  });

  it('falls back to the macOS app binaries, in order, after the PATH', () => {
    const chromiumApp = join(root, 'Applications', 'Chromium.app', 'Contents', 'MacOS', 'Chromium');
    const chromeApp = fake(join('Applications', 'Google Chrome.app', 'Contents', 'MacOS'), 'Google Chrome');
    const appBinaries = [chromiumApp, chromeApp];
    expect(findChromium({ env: { PATH: pathOf('bin') }, appBinaries })).toBe(chromeApp);
    fake(join('Applications', 'Chromium.app', 'Contents', 'MacOS'), 'Chromium');
    expect(findChromium({ env: { PATH: pathOf('bin') }, appBinaries })).toBe(chromiumApp);
    const onPath = fake('bin', 'chromium');
    expect(findChromium({ env: { PATH: pathOf('bin') }, appBinaries })).toBe(onPath);
  });

  it('fails with one line saying what to install or set when there is no Chromium anywhere', () => {
    fake('bin', 'firefox');
    const find = () => findChromium({ env: { PATH: pathOf('bin') }, appBinaries: [join(root, 'Applications', 'Chromium.app', 'Contents', 'MacOS', 'Chromium')] });
    expect(find).toThrow(ChromiumNotFoundError);
    expect(find).toThrow(/^no Chromium found .*: install the Debian package chromium \(apt-get install chromium\), or set CHROMIUM_PATH to a Chromium or Chrome binary$/);
    expect(() => findChromium({ env: {}, appBinaries: NO_APPS })).toThrow(ChromiumNotFoundError);
  });
});

describe('reportChromium and tsx test/find-chromium.ts (what .ci/run asks)', () => {
  const report = (search: Parameters<typeof reportChromium>[0]) => {
    const out: string[] = [];
    const err: string[] = [];
    const status = reportChromium(search, { out: (line) => out.push(line), err: (line) => err.push(line) });
    return { status, out, err };
  };

  it('writes the path and exits 0, exits 1 with the install line when there is none, and 2 for a bad CHROMIUM_PATH', () => {
    const chromium = fake('bin', 'chromium');
    expect(report({ env: { PATH: pathOf('bin') }, appBinaries: NO_APPS })).toEqual({ status: 0, out: [chromium], err: [] });
    expect(report({ env: { PATH: pathOf('empty') }, appBinaries: NO_APPS })).toEqual({ status: 1, out: [], err: [new ChromiumNotFoundError().message] });
    const bad = join(root, 'bin');
    expect(report({ env: { CHROMIUM_PATH: bad }, appBinaries: NO_APPS })).toEqual({
      status: 2,
      out: [],
      err: [`CHROMIUM_PATH=${bad} is not a file: set CHROMIUM_PATH to a Chromium or Chrome binary, or unset it to search the PATH`],
    });
  });

  it('run as a script, reads the environment and sets the exit status', () => {
    const run = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'test/find-chromium.ts'], { cwd: new URL('..', import.meta.url), env: { ...env, TSX_DISABLE_CACHE: '1' }, encoding: 'utf8' });
    const chromium = fake('bin', 'chromium');
    expect(run({ PATH: pathOf('bin') })).toMatchObject({ status: 0, stdout: `${chromium}\n`, stderr: '' });
    expect(run({ CHROMIUM_PATH: join(root, 'missing') })).toMatchObject({ status: 2, stdout: '', stderr: `CHROMIUM_PATH=${join(root, 'missing')} does not exist: set CHROMIUM_PATH to a Chromium or Chrome binary, or unset it to search the PATH\n` });
  });
});
