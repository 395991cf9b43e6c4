/**
 * The demo as a newcomer runs it: a child process, real HTTP on loopback, its
 * own DynamoDB Local. Checks how each release ended and why, never timings.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface DemoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the demo as `node --import tsx local/demo.ts …` (what `npm start` runs), or `via: 'npm'` exactly as the README
 * spells it (`npm start --silent -- …`; `loud`: without --silent). `interruptWhen` sends Ctrl-C (SIGINT) once stderr matches it; past `timeoutMs` it is sent anyway.
 */
function runDemo(args: readonly string[], timeoutMs: number, options: { via?: 'npm'; loud?: boolean; interruptWhen?: RegExp } = {}): Promise<DemoRun> {
  return new Promise((resolve, reject) => {
    const [command, commandArgs] =
      options.via === 'npm' ? ['npm', ['start', ...(options.loud === true ? [] : ['--silent']), '--', ...args]] : [process.execPath, ['--import', 'tsx', 'local/demo.ts', ...args]];
    // The tsx command line (what npm start runs) keeps an IPC directory in the temp directory: give it one of its own, removed below.
    const ownTmp = options.via === 'npm' ? mkdtempSync(join(tmpdir(), 'rollgate-demo-npm-')) : undefined;
    const child = spawn(command, commandArgs, {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0', ...(ownTmp === undefined ? {} : { TMPDIR: ownTmp }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    const interrupt = () => {
      if (interrupted) return;
      interrupted = true;
      child.kill('SIGINT');
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (options.interruptWhen?.test(stderr) === true) interrupt();
    });
    // SIGINT is the demo's Ctrl-C: it prints what ran so far and stops its DynamoDB Local and servers before it exits.
    const timer = setTimeout(interrupt, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (ownTmp !== undefined) rmSync(ownTmp, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    });
  });
}

interface Summary {
  asExpected: boolean;
  stopped?: { reason: string; running: { scenario: string; version: string; status: string | null; releaseId: string | null } | null; notRun: string[] };
  releases: {
    version: string;
    scenario: string;
    releaseId: string;
    status: string;
    outcome: string;
    reason: string;
    transitions: number;
    requests: { total: number; failed: number; byVersion: Record<string, { total: number; failed: number }> };
    rollbackReactionMs: number | null;
  }[];
}

describe('npm start', () => {
  it('runs a list of scenarios with npm start --silent -- --scenario … --json: one JSON document on stdout, each release ending as its scenario expects', async () => {
    const { code, stdout, stderr } = await runDemo(['--scenario', 'good,bad,crash,migration-fails,reject', '--json'], 120_000, { via: 'npm' });

    expect(code, stderr.slice(-3000)).toBe(0);
    // Exactly one JSON document and nothing else: it parses as a whole.
    expect(stdout.trimStart().startsWith('{')).toBe(true);
    const summary = JSON.parse(stdout) as Summary;
    expect(summary.asExpected).toBe(true);
    expect(stderr).toContain('== summary');

    const byScenario = Object.fromEntries(summary.releases.map((r) => [r.scenario, r]));
    expect(summary.releases.map((r) => [r.scenario, r.version])).toEqual([
      ['good', 'v2'],
      ['bad', 'v3'],
      ['crash', 'v4'],
      ['migration-fails', 'v5'],
      ['reject', 'v6'],
    ]);
    expect(byScenario.good).toMatchObject({ status: 'SUCCEEDED', outcome: 'PROMOTED', reason: 'v2 promoted after 4 plan steps', rollbackReactionMs: null });
    expect(byScenario.bad).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM' });
    expect(byScenario.bad?.reason).toMatch(/^checkout-prod-5xx in ALARM at step \d \(traffic \d+%\)$/);
    expect(byScenario.crash).toMatchObject({ status: 'FAILED', outcome: 'UNHEALTHY', rollbackReactionMs: null });
    expect(byScenario.crash?.reason).toMatch(/not healthy by .*0\/2 healthy.*connection refused/);
    expect(byScenario['migration-fails']).toMatchObject({
      status: 'FAILED',
      outcome: 'MIGRATION_FAILED',
      reason: 'migration failed (exit code 3): Essential container in task exited (exit code 3)',
      rollbackReactionMs: null,
    });
    expect(byScenario.reject).toMatchObject({ status: 'ROLLED_BACK', outcome: 'REJECTED', reason: 'rejected by U01ALICE: error budget is spent' });
    // Approvals: the request is posted to the local Slack stand-in with the approver's link; v2 is approved with
    // rollgate approve under the second approver's credentials, v6 rejected with the approval page's form.
    expect(stderr).toMatch(/approval link for U01ALICE: http:\/\/127\.0\.0\.1:\d+\/approvals\/[A-Za-z0-9_-]+\?t=/);
    expect(stderr).toMatch(/approval [A-Za-z0-9_-]+ \(release [0-9A-Z]{26} of checkout\/prod\): approved by arn:aws:iam::000000000000:user\/alice/);
    expect(stderr).toContain('U01ALICE rejects on the approval page with the comment "error budget is spent"');
    expect(stderr).toContain('approval endpoint answered 200 rejected');

    // Every action was a rollgate command over the control API, printed before it ran, in the scenarios' order.
    const commands = [...stderr.matchAll(/^ {3}\$ rollgate (\S+) (\S+)(?: (\S+))?/gm)].map((m) => [m[1], m[1] === 'release' ? m[3] : m[1] === 'approve' ? 'id' : m[2]]);
    const ids = summary.releases.map((r) => r.releaseId);
    expect(commands).toEqual([
      ...summary.releases.flatMap((r, i) => [['release', r.version], ['watch', ids[i]], ...(r.scenario === 'good' ? [['approve', 'id']] : [])]),
      ['history', 'checkout'],
      ['status', 'checkout'],
    ]);
    // The control API recorded the operator's verified principal as who started each release, in the audit events
    // (getRelease, printed as they come) and in the history (rollgate history's BY column).
    const started = [...stderr.matchAll(/RELEASE_STARTED +release of (v\d) to checkout\/prod started {2}\[([^\]]+)\]/g)].map((m) => [m[1], m[2]]);
    expect(started).toEqual(summary.releases.map((r) => [r.version, 'arn:aws:iam::000000000000:user/dana']));
    for (const id of ids) expect(stderr).toMatch(new RegExp(`^ +${id} +checkout/prod +v\\d +[A-Z_]+ +\\S+ \\S+ +arn:aws:iam::000000000000:user/dana$`, 'm'));

    // The shape the issue asks for, and real traffic behind it.
    for (const release of summary.releases) {
      expect(release.transitions).toBeGreaterThan(0);
      expect(release.requests.total).toBeGreaterThan(0);
      expect(release.requests.failed).toBeGreaterThanOrEqual(0);
    }
    expect(byScenario.bad?.requests.byVersion.v3?.failed).toBeGreaterThan(0);
    expect(byScenario.good?.requests.byVersion.v2?.failed).toBe(0);
    expect(typeof byScenario.bad?.rollbackReactionMs).toBe('number');
    expect(typeof byScenario.reject?.rollbackReactionMs).toBe('number');
  }, 150_000);

  it('stops on Ctrl-C in the middle of a release: "interrupted", the summary so far with the release as the ledger has it, exit status 130', async () => {
    const { code, stdout, stderr } = await runDemo(['--json'], 60_000, { interruptWhen: /== good:[^]*WEIGHTS_SET/ });

    expect(code, stderr.slice(-3000)).toBe(130);
    expect(stderr).toMatch(/^interrupted$/m);
    expect(stderr).toContain('== summary');
    expect(stderr).toMatch(/good \(v2\) was running: [A-Z_]+/);
    expect(stderr).toContain('not run: bad');
    expect(stderr).toContain('stopped before every release ended');
    const summary = JSON.parse(stdout) as Summary;
    expect(summary.asExpected).toBe(false);
    expect(summary.releases).toEqual([]);
    expect(summary.stopped).toMatchObject({ reason: 'interrupted', running: { scenario: 'good', version: 'v2' }, notRun: ['bad'] });
    expect(summary.stopped?.running?.releaseId).toMatch(/^[0-9A-Z]{26}$/);
    expect(summary.stopped?.running?.status).toMatch(/^(DEPLOYING|VERIFYING|SHIFTING|AWAITING_APPROVAL|FINALIZING)$/);
    // What was running is shown as the CLI shows it, through the control API (the abandoned release's lines may come in between).
    expect(stderr).toMatch(/\$ rollgate status checkout --env prod\n[^]*? {5}status: +(DEPLOYING|VERIFYING|SHIFTING|AWAITING_APPROVAL|FINALIZING)\n/);
  }, 90_000);

  it('stops at its --time-limit, saying so, with what ran so far, exit status 1', async () => {
    const { code, stdout, stderr } = await runDemo(['--json', '--time-limit', '1'], 60_000);

    expect(code, stderr.slice(-3000)).toBe(1);
    expect(stderr).toContain('time limit 1 s (--time-limit <seconds>)');
    expect(stderr).toContain('stopped: the time limit of 1 s (--time-limit) was reached');
    const summary = JSON.parse(stdout) as Summary;
    expect(summary.asExpected).toBe(false);
    expect(summary.stopped?.reason).toBe('time-limit');
  }, 90_000);

  it('says how to pipe the JSON when npm, not silenced, put its banner on stdout first', async () => {
    const { code, stdout, stderr } = await runDemo(['--json', '--time-limit', '1'], 60_000, { via: 'npm', loud: true });

    expect(code, stderr.slice(-3000)).toBe(1);
    expect(stdout).toMatch(/^\s*> rollgate@[^\n]* start\n/);
    expect(stderr).toContain('note: npm printed its own banner on stdout before the JSON; to pipe the JSON, run: npm start --silent -- --json');
  }, 90_000);

  it.each([
    [['--scenario', 'nope'], /--scenario must be one or more of good, bad, crash, migration-fails, reject, all, separated by commas; got "nope"/],
    [['--scenario'], /--scenario needs a value: one or more of good, bad, crash, migration-fails, reject, all/],
    [['--bogus'], /unknown option --bogus; allowed: --scenario <good\|bad\|crash\|migration-fails\|reject\|all>\[,...\], --json, --interactive, --time-limit <seconds>, --serve, --data-dir <dir>, --help/],
  ])('refuses %j with exit status 2, naming the flag and the allowed values', async (args, message) => {
    const { code, stdout, stderr } = await runDemo(args, 30_000);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });
});
