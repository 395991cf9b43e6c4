/**
 * `rollgate`: the real CLI in a child process against a loopback stand-in for
 * the control API on AWS that verifies every request's SigV4 signature
 * (test/cli/rollgate-stand-in.ts). Each case asserts the route, path and body
 * the command sent, that the request was signed with the fake credentials
 * the CLI got from the AWS environment, the output (one JSON document with
 * --json) and the exit status (0 done, 1 refused, 2 usage).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasStackTrace, runNode, type Finished } from './run-node.js';
import { FAKE_CREDENTIALS, ok, REGION, startStandIn, type RecordedCall, type Script } from './rollgate-stand-in.js';

const RELEASE_ID = '01JDX3R7Y2G8N1V6Q4K5M9T0AB';
const APPROVAL_ID = 'apr_7f3a9c2e41b0d8aa';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-cli-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The environment of a CLI run: fake credentials, no config files, no local state, no metadata service. */
function cliEnv(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    HOME: dir,
    XDG_STATE_HOME: join(dir, 'state'),
    AWS_ACCESS_KEY_ID: FAKE_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: FAKE_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: FAKE_CREDENTIALS.sessionToken ?? '',
    AWS_REGION: REGION,
    AWS_CONFIG_FILE: join(dir, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    TSX_DISABLE_CACHE: '1',
    ...extra,
  };
}

/** Runs `rollgate argv` against a fresh stand-in answering `script`; the run and the calls it made. */
async function rollgate(script: Script, argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Finished & { calls: RecordedCall[]; refused: string[] }> {
  const standIn = await startStandIn(script);
  try {
    const done = await runNode('cli/rollgate.ts', argv, cliEnv({ ROLLGATE_ENDPOINT: standIn.endpoint, ...env }));
    return { ...done, calls: standIn.calls, refused: standIn.refused };
  } finally {
    await standIn.close();
  }
}

/** A release as the API answers it. */
function release(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    releaseId: RELEASE_ID,
    service: 'checkout',
    environment: 'prod',
    version: 'v42',
    previousVersion: 'v41',
    status: 'SHIFTING',
    createdAt: '2026-12-02T13:00:00.000Z',
    updatedAt: '2026-12-02T13:05:00.000Z',
    trigger: { source: 'control-api', startedBy: { kind: 'iam', id: 'arn:aws:iam::123456789012:user/ana' } },
    ...fields,
  };
}

/** What one `--json` run printed: exactly one JSON document. */
function oneDocument(stdout: string): unknown {
  return JSON.parse(stdout) as unknown;
}

const route = (calls: readonly RecordedCall[]) => calls.map((c) => `${c.method} ${c.path}`);

describe('rollgate --help', () => {
  it('lists every command, and each command lists its options and the global ones; exit 0; validate and onboard are the existing commands', async () => {
    const [root, releaseHelp, viaBin, validate, onboardHelp] = await Promise.all([
      runNode('cli/rollgate.ts', ['--help'], cliEnv()),
      runNode('cli/rollgate.ts', ['release', '--help'], cliEnv()),
      // The package's bin, as `npx rollgate` runs it.
      runNode('cli/bin/rollgate.js', ['--help'], cliEnv()),
      runNode('cli/rollgate.ts', ['validate', 'examples/services.json', '--json'], cliEnv()),
      runNode('cli/rollgate.ts', ['onboard', '--help'], cliEnv()),
    ]);
    expect(validate).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
    expect(onboardHelp.code).toBe(0);
    expect(onboardHelp.stdout).toMatch(/^usage: npm run onboard -- --table <name>/);
    expect(root.code).toBe(0);
    for (const command of ['release', 'status', 'get', 'watch', 'promote', 'abort', 'approve', 'reject', 'rollback', 'history', 'versions', 'lock', 'whoami', 'validate', 'onboard', 'local']) {
      expect(root.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    }
    expect(root.stdout).toContain('--json');
    expect(viaBin).toEqual(root);
    expect(releaseHelp.code).toBe(0);
    for (const flag of ['--env <environment>', '--plan-file <file>', '--expedite', '--reason <text>', '--json', '--local', '--endpoint <url>']) expect(releaseHelp.stdout).toContain(flag);
  });
});

describe('rollgate against the AWS control API (SigV4-verifying stand-in)', () => {
  it('release: POSTs the version, plan, expedite and reason to the service+environment, signed; --json prints the answer', async () => {
    const plan = { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }] };
    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    // The API answers with the execution it started; the CLI waits for preflight to record its release.
    const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:rollgate-release:ctl-checkout-staging-1';
    const answer = { executionName: 'ctl-checkout-staging-1', outcome: { started: true, executionArn } };
    const recorded = (environment: string) => ok({ items: [release({ status: 'PENDING', environment, executionArn })] });
    const [json, human] = await Promise.all([
      rollgate({ startRelease: { status: 202, body: answer }, listReleases: recorded('staging') }, ['release', 'checkout', 'v42', '--env', 'staging', '--plan-file', planFile, '--expedite', '--reason', 'hotfix for INC-7', '--json']),
      rollgate({ startRelease: { status: 202, body: answer }, listReleases: recorded('prod') }, ['release', 'checkout', 'v42']),
    ]);
    expect(json.refused).toEqual([]);
    expect(json.calls).toEqual([
      expect.objectContaining({
        route: 'startRelease',
        method: 'POST',
        path: '/services/checkout/staging/releases',
        body: { version: 'v42', plan, expedite: true, reason: 'hotfix for INC-7' },
        accessKeyId: FAKE_CREDENTIALS.accessKeyId,
      }),
      expect.objectContaining({ route: 'listReleases', method: 'GET', path: '/services/checkout/staging/releases' }),
    ]);
    expect(json.code).toBe(0);
    expect(oneDocument(json.stdout)).toEqual({ ...answer, release: release({ status: 'PENDING', environment: 'staging', executionArn }) });
    expect(json.stderr).toBe('');
    // --env defaults to prod; human output says what started and how to follow it.
    expect(human.calls.map((c) => [c.path, c.body])).toEqual([
      ['/services/checkout/prod/releases', { version: 'v42' }],
      ['/services/checkout/prod/releases', undefined],
    ]);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe(`started release ${RELEASE_ID} of checkout/prod: v42 (PENDING)\nfollow it: rollgate watch ${RELEASE_ID} --service checkout --env prod\n`);
  });

  it('status: the stable version, the lock and the active release with step, weights, bake left, alarms and the pending approval', async () => {
    const future = new Date(Date.now() + 10 * 60_000).toISOString();
    const active = release({ status: 'AWAITING_APPROVAL', currentStep: { index: 1, name: 'canary-25' }, weights: { stable: 75, canary: 25 }, waiting: { kind: 'APPROVAL', since: '2026-12-02T13:05:00.000Z', timeoutAt: future, approvalId: APPROVAL_ID } });
    const baking = release({ currentStep: { index: 0, name: 'canary-10' }, weights: { stable: 90, canary: 10 }, waiting: { kind: 'BAKE', since: '2026-12-02T13:05:00.000Z', timeoutAt: future } });
    const status = (r: Record<string, unknown>): Script => ({
      getStatus: ok({ stable: { version: 'v41', fleet: { id: 'ecs-svc/111' }, updatedAt: '2026-12-01T10:00:00.000Z' }, activeRelease: r, lock: { releaseId: RELEASE_ID, leaseExpiresAt: '2026-12-02T15:00:00.000Z' } }),
      getRelease: ok({ release: r, alarms: [{ name: 'checkout-5xx', state: 'OK' }, { name: 'checkout-p99', state: 'INSUFFICIENT_DATA' }] }),
    });
    // A plan that opens with an approval has no traffic step yet: the step is the one it waits at.
    const first = release({ status: 'AWAITING_APPROVAL', weights: { stable: 100, canary: 0 }, waiting: { kind: 'APPROVAL', stepIndex: 0, since: '2026-12-02T13:05:00.000Z', timeoutAt: future, approvalId: APPROVAL_ID } });
    const [waiting, bake, approvalFirst] = await Promise.all([
      rollgate(status(active), ['status', 'checkout']),
      rollgate(status(baking), ['status', 'checkout', '--env', 'prod']),
      rollgate(status(first), ['status', 'checkout']),
    ]);
    expect(route(waiting.calls)).toEqual(['GET /services/checkout/prod/status', `GET /services/checkout/prod/releases/${RELEASE_ID}`]);
    expect(waiting.code).toBe(0);
    const lines = waiting.stdout.split('\n');
    expect(lines).toContain('stable:  v41 on ecs-svc/111 since 2026-12-01 10:00:00');
    expect(lines).toContain(`lock:    held by ${RELEASE_ID} (lease until 2026-12-02 15:00:00)`);
    expect(lines).toContain('status:    AWAITING_APPROVAL');
    expect(lines).toContain('step:      1 (canary-25)');
    expect(lines).toContain('weights:   stable 75% / canary 25%');
    expect(lines).toContain(`approval:  waiting: rollgate approve ${APPROVAL_ID}`);
    expect(lines).toContain('alarms:    checkout-5xx OK, checkout-p99 INSUFFICIENT_DATA');
    // The exact time left is asserted on a fixed clock in rollgate-run.test.ts.
    expect(bake.stdout).toMatch(/^bake: +\d+m\d\ds left$/m);
    expect(approvalFirst.stdout.split('\n')).toContain('step:      0 (approval)');
  });

  it('history: a table of releases with --limit and --cursor as the query, the next page named; without a service, across services', async () => {
    const page = { items: [release({ status: 'SUCCEEDED' }), release({ releaseId: '01JDX3R7Y2G8N1V6Q4K5M9T0AC', version: 'v41-hotfix', status: 'ROLLED_BACK' })], next: 'eyJwayI6IlNWQyJ9' };
    const [one, all] = await Promise.all([
      rollgate({ listReleases: ok(page) }, ['history', 'checkout', '--env', 'staging', '--limit', '2', '--cursor', 'c1+/=']),
      rollgate({ listRecentReleases: ok({ items: [release()] }) }, ['history', '--json']),
    ]);
    expect(one.calls).toEqual([expect.objectContaining({ route: 'listReleases', path: '/services/checkout/staging/releases', query: { limit: '2', cursor: 'c1+/=' } })]);
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n')).toEqual([
      'RELEASE                     SERVICE        VERSION     STATUS       STARTED              BY',
      `${RELEASE_ID}  checkout/prod  v42         SUCCEEDED    2026-12-02 13:00:00  arn:aws:iam::123456789012:user/ana`,
      '01JDX3R7Y2G8N1V6Q4K5M9T0AC  checkout/prod  v41-hotfix  ROLLED_BACK  2026-12-02 13:00:00  arn:aws:iam::123456789012:user/ana',
      'more: rollgate history checkout --env staging --limit 2 --cursor eyJwayI6IlNWQyJ9',
      '',
    ]);
    expect(all.calls).toEqual([expect.objectContaining({ route: 'listRecentReleases', path: '/releases', query: {} })]);
    expect(oneDocument(all.stdout)).toEqual({ items: [release()] });
  });

  it('versions: GETs the service\'s versions with --env, --limit and --cursor as the query, a row per version and the next page named; --json prints the answer', async () => {
    const row = {
      version: 'v42',
      environments: ['staging', 'prod'],
      releases: 3,
      firstStartedAt: '2026-12-02T13:00:00.000Z',
      lastEndedAt: '2026-12-02T13:20:00.000Z',
      lastRelease: { releaseId: RELEASE_ID, environment: 'prod', status: 'SUCCEEDED', outcome: 'PROMOTED', startedAt: '2026-12-02T13:10:00.000Z', endedAt: '2026-12-02T13:20:00.000Z' },
      startedBy: 'arn:aws:iam::123456789012:user/ana',
      stable: [{ environment: 'prod', since: '2026-12-02T13:19:00.000Z', fleetId: 'ecs-svc/42', releaseId: RELEASE_ID }],
      lastActivityAt: '2026-12-02T13:19:00.000Z',
    };
    const page = { items: [row], next: 'eyJ2IjoidjQyIn0' };
    const [one, json] = await Promise.all([
      rollgate({ listVersions: ok(page) }, ['versions', 'checkout', '--env', 'prod', '--limit', '1', '--cursor', 'c1']),
      rollgate({ listVersions: ok({ items: [row] }) }, ['versions', 'checkout', '--json']),
    ]);
    expect(one.calls).toEqual([expect.objectContaining({ route: 'listVersions', method: 'GET', path: '/services/checkout/versions', query: { limit: '1', cursor: 'c1', environment: 'prod' } })]);
    expect(one.code).toBe(0);
    expect(one.stdout.split('\n')).toEqual([
      'checkout/prod',
      'VERSION  ENVS          RELEASES  LAST                          FIRST STARTED        LAST ENDED           STARTED BY                          STABLE',
      'v42      staging,prod  3         SUCCEEDED (PROMOTED) in prod  2026-12-02 13:00:00  2026-12-02 13:20:00  arn:aws:iam::123456789012:user/ana  prod since 2026-12-02 13:19:00 on ecs-svc/42',
      'more: rollgate versions checkout --env prod --limit 1 --cursor eyJ2IjoidjQyIn0',
      '',
    ]);
    expect(json.calls).toEqual([expect.objectContaining({ route: 'listVersions', path: '/services/checkout/versions', query: {} })]);
    expect(oneDocument(json.stdout)).toEqual({ items: [row] });
  });

  it('promote, abort, approve, reject, lock --take-over and whoami call their routes with their bodies, signed', async () => {
    const active: Script = { getStatus: ok({ activeRelease: release() }) };
    const [promote, abort, approve, reject, takeOver, whoami] = await Promise.all([
      rollgate({ ...active, promoteRelease: ok({ release: release() }) }, ['promote', 'checkout', '--reason', 'metrics look good']),
      rollgate({ ...active, abortRelease: ok({ release: release({ status: 'ROLLING_BACK' }) }) }, ['abort', 'checkout', '--env', 'prod', '--reason', 'wrong build']),
      rollgate({ approve: ok({ approval: { approvalId: APPROVAL_ID, releaseId: RELEASE_ID, service: 'checkout', environment: 'prod', decision: { outcome: 'APPROVED', by: 'arn:aws:iam::123456789012:user/bo' } } }) }, ['approve', APPROVAL_ID, '--comment', 'lgtm']),
      rollgate({ reject: ok({ approval: { approvalId: APPROVAL_ID, decision: { outcome: 'REJECTED', by: 'arn:aws:iam::123456789012:user/bo' } } }) }, ['reject', APPROVAL_ID, '--json']),
      rollgate({ takeOverLock: ok({}) }, ['lock', 'checkout', '--take-over', '--reason', 'holder died']),
      rollgate({ whoAmI: ok({ principalArn: 'arn:aws:iam::123456789012:user/ana' }) }, ['whoami']),
    ]);
    const sent = (r: { calls: RecordedCall[] }) => r.calls.map((c) => [c.route, c.path, c.body]);
    expect(sent(promote)).toEqual([
      ['getStatus', '/services/checkout/prod/status', undefined],
      ['promoteRelease', `/services/checkout/prod/releases/${RELEASE_ID}/promote`, { reason: 'metrics look good' }],
    ]);
    expect(sent(abort)[1]).toEqual(['abortRelease', `/services/checkout/prod/releases/${RELEASE_ID}/abort`, { reason: 'wrong build' }]);
    expect(abort.stdout).toBe(`aborting release ${RELEASE_ID} of checkout/prod (v42): ROLLING_BACK\n`);
    expect(sent(approve)).toEqual([['approve', `/approvals/${APPROVAL_ID}/approve`, { comment: 'lgtm' }]]);
    expect(approve.stdout).toBe(`approval ${APPROVAL_ID} (release ${RELEASE_ID} of checkout/prod): approved by arn:aws:iam::123456789012:user/bo\n`);
    expect(sent(reject)).toEqual([['reject', `/approvals/${APPROVAL_ID}/reject`, {}]]);
    expect(oneDocument(reject.stdout)).toEqual({ approval: { approvalId: APPROVAL_ID, decision: { outcome: 'REJECTED', by: 'arn:aws:iam::123456789012:user/bo' } } });
    expect(sent(takeOver)).toEqual([['takeOverLock', '/services/checkout/prod/lock/take-over', { reason: 'holder died' }]]);
    expect(sent(whoami)).toEqual([['whoAmI', '/whoami', undefined]]);
    expect(whoami.stdout.split('\n')[0]).toBe('arn:aws:iam::123456789012:user/ana');
    for (const r of [promote, abort, approve, reject, takeOver, whoami]) {
      expect(r.refused).toEqual([]);
      expect(r.calls.every((c) => c.accessKeyId === FAKE_CREDENTIALS.accessKeyId)).toBe(true);
      expect(r.code).toBe(0);
    }
  });

  it('watch: prints one line per change, ends with the outcome; exit 0 for SUCCEEDED, 1 (one JSON document) for a rollback', async () => {
    const steps = [
      release({ status: 'DEPLOYING' }),
      release({ status: 'SHIFTING', currentStep: { index: 0, name: 'canary-10' }, weights: { stable: 90, canary: 10 } }),
      release({ status: 'SHIFTING', currentStep: { index: 0, name: 'canary-10' }, weights: { stable: 90, canary: 10 } }),
      release({ status: 'AWAITING_APPROVAL', currentStep: { index: 1, name: 'approve' }, weights: { stable: 90, canary: 10 }, waiting: { kind: 'APPROVAL', approvalId: APPROVAL_ID } }),
      release({ status: 'SUCCEEDED', weights: { stable: 0, canary: 100 }, outcome: 'promoted', finishedAt: '2026-12-02T13:30:00.000Z' }),
    ];
    const byPoll = (list: readonly Record<string, unknown>[]) => (_call: RecordedCall, n: number) => ok({ release: list[Math.min(n, list.length - 1)] });
    // getReleaseTraffic: the release's two target groups over the API's window (five minutes on AWS).
    const version = (role: string, v: string, requests: number, errors5xx: number, p99Ms: number) => ({ role, version: v, targetGroupArn: `tg-${role}`, requests, errors5xx, errorRatePercent: (errors5xx / requests) * 100, p99Ms, periods: [] });
    const traffic = ok({ releaseId: RELEASE_ID, periodSeconds: 60, start: '2026-12-02T13:26:00.000Z', end: '2026-12-02T13:31:00.000Z', versions: [version('stable', 'v41', 812, 1, 41.2), version('canary', 'v42', 95, 19, 38)] });
    const shown = '  v41 (stable) 812 req · 0.1 % 5xx · p99 41 ms | v42 (canary) 95 req · 20 % 5xx · p99 38 ms  (last 300 s)';
    const rolledBack = [release(), release({ status: 'ROLLED_BACK', outcome: 'rolled back', reason: 'alarm checkout-5xx' })];
    const [succeeded, failed] = await Promise.all([
      rollgate({ getStatus: ok({ activeRelease: steps[0] }), getRelease: byPoll(steps), getReleaseTraffic: traffic }, ['watch', 'checkout', '--interval', '0.05']),
      rollgate({ listRecentReleases: ok({ items: [release()] }), getRelease: byPoll(rolledBack), getReleaseTraffic: traffic }, ['watch', RELEASE_ID, '--interval', '0.05', '--json']),
    ]);
    expect(succeeded.code).toBe(0);
    const lines = succeeded.stdout.trimEnd().split('\n').map((l) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}/, ''));
    expect(lines).toEqual([
      `DEPLOYING${shown}`,
      `SHIFTING  step 0 (canary-10)  stable 90% / canary 10%${shown}`,
      `AWAITING_APPROVAL  step 1 (approve)  stable 90% / canary 10%  approval ${APPROVAL_ID}${shown}`,
      `SUCCEEDED  stable 0% / canary 100%${shown}`,
      `${RELEASE_ID} SUCCEEDED: promoted`,
    ]);
    expect(succeeded.calls.filter((c) => c.route === 'getRelease')).toHaveLength(5);
    expect(succeeded.calls.filter((c) => c.route === 'getReleaseTraffic').map((c) => c.path)).toEqual(Array(5).fill(`/services/checkout/prod/releases/${RELEASE_ID}/traffic`));
    // A release id without --service: found among the recent releases, then followed to its end.
    expect(failed.calls.map((c) => c.route)).toEqual(['listRecentReleases', 'getRelease', 'getReleaseTraffic', 'getRelease', 'getReleaseTraffic']);
    expect(failed.calls[0]?.query).toEqual({ limit: '100' });
    expect(failed.code).toBe(1);
    expect(oneDocument(failed.stdout)).toEqual({ release: rolledBack[1], traffic: traffic.body });
  });
});

describe('rollgate refusals and usage errors', () => {
  it('an API refusal names the error and its field (exit 1); --json prints it as the one document', async () => {
    const refusal = { status: 400, body: { error: { name: 'InvalidInputError', message: 'approve: comment: must be at most 1000 characters', field: 'comment' } } };
    const selfApproval = { status: 403, body: { error: { name: 'SelfApprovalError', message: 'you started this release; another approver must decide' } } };
    const [json, human, self] = await Promise.all([
      rollgate({ approve: refusal }, ['approve', APPROVAL_ID, '--comment', 'x', '--json']),
      rollgate({ approve: refusal }, ['approve', APPROVAL_ID, '--comment', 'x']),
      rollgate({ approve: selfApproval }, ['approve', APPROVAL_ID]),
    ]);
    expect(json.code).toBe(1);
    expect(oneDocument(json.stdout)).toEqual({ error: { name: 'InvalidInputError', message: 'approve: comment: must be at most 1000 characters', field: 'comment', flag: '--comment', status: 400 } });
    expect(json.stderr).toBe('');
    expect(human.code).toBe(1);
    expect(human.stderr).toBe('InvalidInputError: approve: comment: must be at most 1000 characters\n');
    expect(self.code).toBe(1);
    expect(self.stderr).toBe('SelfApprovalError: you started this release; another approver must decide\n');
    for (const r of [json, human, self]) expect(hasStackTrace(r.stdout + r.stderr)).toBe(false);
  });

  it('a request signed with other credentials is refused by the verifier and reported as AccessDeniedError (exit 1)', async () => {
    const done = await rollgate({ whoAmI: ok({ principalArn: 'x' }) }, ['whoami', '--json'], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    expect(done.calls).toEqual([]);
    expect(done.refused).toEqual(['The request signature we calculated does not match the signature you provided']);
    expect(done.code).toBe(1);
    expect(oneDocument(done.stdout)).toEqual({ error: { name: 'AccessDeniedError', message: 'The request signature we calculated does not match the signature you provided', status: 403 } });
  });

  it('refuses to promote or abort when nothing is active (exit 1), and calls nothing that acts', async () => {
    const done = await rollgate({ getStatus: ok({ stable: { version: 'v41' } }) }, ['promote', 'checkout', '--json']);
    expect(done.calls.map((c) => c.route)).toEqual(['getStatus']);
    expect(done.code).toBe(1);
    expect(oneDocument(done.stdout)).toEqual({ error: { name: 'RefusedError', message: 'no release of checkout/prod is active: nothing to promote' } });
  });

  it('usage errors name the flag or argument, call nothing and exit 2', async () => {
    // The rest of the usage table runs in-process (test/cli/rollgate-run.test.ts): the same parser, without a process each.
    const cases: readonly (readonly [argv: string[], field: string, message: RegExp])[] = [
      [['abort', 'checkout'], '--reason', /--reason is required/],
      [['status', 'checkout', '--bogus'], '--bogus', /unknown option --bogus/],
      [['release', 'checkout'], '<version>', /missing argument <version>/],
    ];
    const runs = await Promise.all(cases.map(([argv]) => rollgate({}, [...argv, '--json'])));
    runs.forEach((done, i) => {
      const [, field, message] = cases[i] ?? [[], '', /$^/];
      expect(done.code, cases[i]?.[0].join(' ')).toBe(2);
      expect(done.calls).toEqual([]);
      const doc = oneDocument(done.stdout) as { error: { name: string; message: string; field?: string } };
      expect(doc.error.name).toBe('UsageError');
      expect(doc.error.field).toBe(field);
      expect(doc.error.message).toMatch(message);
    });
    // Without --json: one line on stderr, nothing on stdout.
    const human = await rollgate({}, ['status', 'checkout', '--bogus']);
    expect(human).toMatchObject({ code: 2, stdout: '', stderr: 'UsageError: rollgate status: unknown option --bogus (see rollgate status --help)\n' });
  });

  it('with no endpoint and no local server, says how to name one (exit 2); --local with no state file says to start it (exit 1)', async () => {
    const env = cliEnv();
    const [none, local, localJson] = await Promise.all([
      runNode('cli/rollgate.ts', ['whoami'], env),
      runNode('cli/rollgate.ts', ['whoami', '--local'], env),
      runNode('cli/rollgate.ts', ['--local', 'status', 'checkout', '--json'], env),
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^UsageError: no control API to talk to: pass --endpoint <url>.*\n$/);
    const statePath = join(dir, 'state', 'rollgate', 'local.json');
    const line = `LocalServerNotRunningError: no local rollgate server is running (no live server in ${statePath}): start it with \`npm start -- --serve\`\n`;
    expect(local).toEqual({ code: 1, stdout: '', stderr: line });
    expect(localJson.code).toBe(1);
    expect(oneDocument(localJson.stdout)).toEqual({ error: { name: 'LocalServerNotRunningError', message: line.slice('LocalServerNotRunningError: '.length, -1) } });
  });
});
