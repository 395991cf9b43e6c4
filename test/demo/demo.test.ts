/**
 * The demo as a newcomer runs it: a child process, real HTTP on loopback, its
 * own DynamoDB Local. Checks how each release ended and why, never timings.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function runDemo(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/demo.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // SIGINT is the demo's Ctrl-C: it stops its DynamoDB Local and servers before it exits.
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Summary {
  asExpected: boolean;
  releases: {
    version: string;
    scenario: string;
    status: string;
    outcome: string;
    reason: string;
    transitions: number;
    requests: { total: number; failed: number; byVersion: Record<string, { total: number; failed: number }> };
    rollbackReactionMs: number | null;
  }[];
}

describe('npm start', () => {
  it('runs every scenario with --scenario all --json: one JSON document on stdout, each release ending as its scenario expects', async () => {
    const { code, stdout, stderr } = await runDemo(['--scenario', 'all', '--json'], 120_000);

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
    // Approvals went through the local approval endpoint, as Slack and a browser reach it: the link is printed,
    // v2 is approved with a signed Slack click, v6 rejected with the approval page's form.
    expect(stderr).toMatch(/approval link for U01ALICE: http:\/\/127\.0\.0\.1:\d+\/approvals\/[A-Za-z0-9_-]+\?t=/);
    expect(stderr).toContain('U01ALICE approves with a click in Slack');
    expect(stderr).toContain('approval endpoint answered 200 approved');
    expect(stderr).toContain('U01ALICE rejects on the approval page with the comment "error budget is spent"');
    expect(stderr).toContain('approval endpoint answered 200 rejected');

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

  it.each([
    [['--scenario', 'nope'], /--scenario must be one of good, bad, crash, migration-fails, reject, all; got "nope"/],
    [['--scenario'], /--scenario needs a value: one of good, bad, crash, migration-fails, reject, all/],
    [['--bogus'], /unknown option --bogus; allowed: --scenario <good\|bad\|crash\|migration-fails\|reject\|all>, --json, --interactive, --help/],
  ])('refuses %j with exit status 2, naming the flag and the allowed values', async (args, message) => {
    const { code, stdout, stderr } = await runDemo(args, 30_000);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stdout).toBe('');
  });
});
