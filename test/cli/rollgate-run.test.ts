/**
 * `rollgate` in-process (cli/rollgate.ts's run, the function the bin calls),
 * for what a child process cannot show cheaply: watch redrawing its block in
 * place on a terminal, with a fixed clock; the whole usage-error table; and
 * the `--local` target read from a state file written by writeLocalState.
 * Requests still go over loopback HTTP to the SigV4-verifying stand-in.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLocalState } from '../../cli/local-state.js';
import { runInProcess, type CliRun } from './in-process.js';
import { ok, REGION, startStandIn, type Credentials, type Script, type StandIn } from './rollgate-stand-in.js';

const RELEASE_ID = '01JDX3R7Y2G8N1V6Q4K5M9T0AB';
const NOW = Date.parse('2026-12-02T13:10:00.000Z');
/** The credentials vitest.config.ts gives every test process (the CLI reads them through the SDK's chain). */
const VITEST_CREDENTIALS: Credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-run-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI in this process on a clock of its own: each poll is 30 s later, with no real waiting. */
function rollgate(argv: readonly string[], env: NodeJS.ProcessEnv, isTTY = false): Promise<CliRun> {
  let now = NOW;
  const sleep = (ms: number): Promise<void> => {
    now += ms;
    return Promise.resolve();
  };
  return runInProcess(argv, { XDG_STATE_HOME: join(dir, 'state'), AWS_REGION: REGION, ...env }, { isTTY, now: () => now, sleep });
}

function release(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { releaseId: RELEASE_ID, service: 'checkout', environment: 'prod', version: 'v42', previousVersion: 'v41', status: 'SHIFTING', createdAt: '2026-12-02T13:00:00.000Z', ...fields };
}

async function withStandIn<T>(script: Script, credentials: Credentials, use: (standIn: StandIn) => Promise<T>): Promise<T> {
  const standIn = await startStandIn(script, credentials);
  try {
    return await use(standIn);
  } finally {
    await standIn.close();
  }
}

describe('rollgate watch on a terminal', () => {
  it('redraws the status block in place (step, weights, bake time left, alarms) and ends with the outcome, exit 1 for a rollback', async () => {
    const bakeEnds = new Date(NOW + 125_000).toISOString();
    const polls = [
      release({ currentStep: { index: 0, name: 'canary-10' }, weights: { stable: 90, canary: 10 }, waiting: { kind: 'BAKE', timeoutAt: bakeEnds } }),
      release({ currentStep: { index: 0, name: 'canary-10' }, weights: { stable: 90, canary: 10 }, waiting: { kind: 'BAKE', timeoutAt: bakeEnds } }),
      release({ status: 'ROLLED_BACK', weights: { stable: 100, canary: 0 }, outcome: 'rolled back', reason: 'alarm checkout-5xx' }),
    ];
    const alarms = [[{ name: 'checkout-5xx', state: 'OK' }], [{ name: 'checkout-5xx', state: 'ALARM' }], [{ name: 'checkout-5xx', state: 'ALARM' }]];
    const done = await withStandIn(
      { getStatus: ok({ activeRelease: polls[0] }), getRelease: (_c, n) => ok({ release: polls[n], alarms: alarms[n] }) },
      VITEST_CREDENTIALS,
      (standIn) => rollgate(['watch', 'checkout', '--interval', '30'], { ROLLGATE_ENDPOINT: standIn.endpoint }, true),
    );
    expect(done.code).toBe(1);
    // ECMA-48: ESC [ n F (to the start of the line n up), ESC [ J (clear to the end).
    const esc = String.fromCharCode(27);
    const frames = done.stdout.split(new RegExp(`${esc}\\[(\\d+)F${esc}\\[J`));
    // frame, lines to go up, frame, lines to go up, last frame + outcome
    expect(frames).toHaveLength(5);
    const [first, up1, second, up2, last] = frames;
    expect(first).toBe(
      [
        `release ${RELEASE_ID}  checkout/prod  v41 -> v42`,
        'status:   SHIFTING',
        'step:     0 (canary-10)',
        'weights:  stable 90% / canary 10%',
        'bake:     2m05s left',
        'alarms:   checkout-5xx OK',
        'started:  2026-12-02 13:00:00',
        'traffic:  unavailable (NotScriptedError: the test scripted no answer for getReleaseTraffic)',
        '',
      ].join('\n'),
    );
    expect(Number(up1)).toBe(8);
    expect(second).toContain('bake:     1m35s left');
    expect(second).toContain('alarms:   checkout-5xx ALARM');
    expect(Number(up2)).toBe(8);
    expect(last).toContain('status:   ROLLED_BACK');
    expect(last).toContain('outcome:  rolled back: alarm checkout-5xx');
    expect(last?.endsWith(`${RELEASE_ID} ROLLED_BACK: rolled back (alarm checkout-5xx)\n`)).toBe(true);
  });
});

/** Runs `rollgate argv` in-process against a fresh stand-in; the run and the calls it made. */
async function against(script: Script, argv: readonly string[]) {
  return withStandIn(script, VITEST_CREDENTIALS, async (standIn) => ({ ...(await rollgate(argv, { ROLLGATE_ENDPOINT: standIn.endpoint })), calls: standIn.calls }));
}

describe('rollgate watch through a blip', () => {
  it('retries a poll the API failed with a 5xx, noting it on stderr, and gives up after three in a row', async () => {
    const ended = release({ status: 'SUCCEEDED', outcome: 'promoted' });
    const flaky = await against({ getRelease: (_c, n) => (n === 0 ? { status: 503, body: { message: 'Service Unavailable' } } : ok({ release: ended })) }, ['watch', RELEASE_ID, '--service', 'checkout', '--json']);
    expect(flaky.code).toBe(0);
    // Traffic that cannot be read is said so in the document; it never ends the watch.
    expect(JSON.parse(flaky.stdout)).toEqual({ release: ended, traffic: { error: 'NotScriptedError: the test scripted no answer for getReleaseTraffic' } });
    expect(flaky.stderr).toBe('HttpError: Service Unavailable (retrying)\n');
    const down = await against({ getRelease: { status: 503, body: { message: 'Service Unavailable' } } }, ['watch', RELEASE_ID, '--service', 'checkout', '--json']);
    expect(down.code).toBe(1);
    expect(down.calls).toHaveLength(3);
    expect(JSON.parse(down.stdout)).toEqual({ error: { name: 'HttpError', message: 'Service Unavailable', status: 503 } });
  });
});

describe('rollgate rollback', () => {
  it('rollback: flips an active release back; with --to releases that version; when the last release\'s old fleet is gone (409), releases the previous version', async () => {
    const executionArn = 'arn:aws:states:eu-west-1:123456789012:execution:rollgate-release:rollback-1';
    const recorded = (version: string) => ok({ items: [release({ version, status: 'PENDING', executionArn })] });
    const [active, to, cold] = await Promise.all([
      against({ getStatus: ok({ activeRelease: release() }), rollbackRelease: ok({ release: release({ status: 'ROLLING_BACK' }) }) }, ['rollback', 'checkout', '--reason', '5xx up']),
      against(
        { rollbackToVersion: { status: 202, body: { started: true, executionArn, from: 'v42', to: 'v40' } }, listReleases: recorded('v40') },
        ['rollback', 'checkout', '--to', 'v40', '--reason', 'back to v40'],
      ),
      against(
        {
          getStatus: ok({}),
          listReleases: (_c, n) => (n === 0 ? ok({ items: [release({ status: 'SUCCEEDED' })] }) : recorded('v41')),
          rollbackRelease: { status: 409, body: { error: { name: 'RollbackWindowClosedError', message: 'the previous fleet was retired' } } },
          rollbackToVersion: { status: 202, body: { started: true, executionArn, from: 'v42', to: 'v41' } },
        },
        ['rollback', 'checkout', '--reason', 'bad since yesterday'],
      ),
    ]);
    expect(active.calls.map((c) => [c.route, c.body])).toEqual([
      ['getStatus', undefined],
      ['rollbackRelease', { reason: '5xx up' }],
    ]);
    expect(active.calls[1]?.path).toBe(`/services/checkout/prod/releases/${RELEASE_ID}/rollback`);
    expect(to.calls.map((c) => [c.route, c.path, c.body])).toEqual([
      ['rollbackToVersion', '/services/checkout/prod/rollback', { to: 'v40', reason: 'back to v40' }],
      ['listReleases', '/services/checkout/prod/releases', undefined],
    ]);
    expect(cold.calls.map((c) => [c.route, c.body])).toEqual([
      ['getStatus', undefined],
      ['listReleases', undefined],
      ['rollbackRelease', { reason: 'bad since yesterday' }],
      ['rollbackToVersion', { reason: 'bad since yesterday' }],
      ['listReleases', undefined],
    ]);
    expect([active.code, to.code, cold.code]).toEqual([0, 0, 0]);
    expect(cold.stdout).toContain(`rolling back checkout/prod from v42 to v41: release ${RELEASE_ID} (PENDING)`);
  });

});

describe('rollgate usage errors', () => {
  it.each([
    [['history', '--limit', '500'], '--limit', /--limit must be a whole number from 1 to 100/],
    [['history', '--limit', 'ten'], '--limit', /got "ten"/],
    [['lock', 'checkout', '--take-over'], '--reason', /--reason is required/],
    [['rollback', 'checkout'], '--reason', /--reason is required/],
    [['rollback', 'checkout', '--env'], '--env', /--env needs a value/],
    [['frobnicate'], 'frobnicate', /unknown command "frobnicate"/],
    [['get', RELEASE_ID], '--service', /--service is required/],
    [['status', 'checkout', 'extra'], 'extra', /unexpected argument "extra"/],
    [['watch', 'checkout', '--interval', '0'], '--interval', /--interval must be a number of seconds/],
    [['release', 'checkout', 'v1', '--plan-file', '/nonexistent/plan.json'], '--plan-file', /--plan-file: cannot read/],
    [['whoami', '--endpoint', 'not a url'], '--endpoint', /--endpoint must be a URL/],
    [['whoami', '--local', '--endpoint', 'http://127.0.0.1:9'], '--endpoint', /pick one/],
    [[], undefined, /name a command/],
    // A boolean flag before the positional arguments is no extra argument: parsing passes, the target is what is missing.
    [['release', '--expedite', 'checkout', 'v2', '--env', 'staging'], '--endpoint', /no control API to talk to/],
  ] as const)('%j: exit 2, one JSON error naming %s', async (argv, field, message) => {
    const done = await rollgate([...argv, '--json'], {});
    expect(done.code).toBe(2);
    expect(done.stderr).toBe('');
    const doc = JSON.parse(done.stdout) as { error: { name: string; message: string; field?: string } };
    expect(doc.error.name).toBe('UsageError');
    expect(doc.error.field).toBe(field);
    expect(doc.error.message).toMatch(message);
  });

  it('needs a region for an endpoint whose host name does not name one', async () => {
    const none = await rollgate(['whoami', '--endpoint', 'http://127.0.0.1:9', '--json'], { AWS_REGION: '' });
    expect(JSON.parse(none.stdout)).toEqual({ error: { name: 'UsageError', message: 'no region to sign for: pass --region or set AWS_REGION', field: '--region' } });
    expect(none.code).toBe(2);
  });
});

describe('rollgate --local', () => {
  it('reads the endpoint and credentials from the state file the local server wrote, and signs with them', async () => {
    const credentials: Credentials = { accessKeyId: 'LOCALKEY123', secretAccessKey: 'local-secret' };
    const statePath = join(dir, 'local.json');
    await withStandIn({ whoAmI: ok({ principalArn: 'arn:aws:iam::000000000000:user/local-operator' }) }, credentials, async (standIn) => {
      writeLocalState({ version: 1, endpoint: standIn.endpoint, region: REGION, ...credentials, principalArn: 'arn:aws:iam::000000000000:user/local-operator', pid: process.pid }, statePath);
      const explicit = await rollgate(['whoami', '--local'], { ROLLGATE_LOCAL_STATE: statePath });
      // Discovered: no --local and no endpoint, but a live local server.
      const discovered = await rollgate(['whoami', '--json'], { ROLLGATE_LOCAL_STATE: statePath });
      expect(explicit).toEqual({ code: 0, stdout: `arn:aws:iam::000000000000:user/local-operator\nendpoint: ${standIn.endpoint}\n`, stderr: '' });
      expect(JSON.parse(discovered.stdout)).toEqual({ principalArn: 'arn:aws:iam::000000000000:user/local-operator' });
      expect(standIn.calls.map((c) => [c.route, c.accessKeyId])).toEqual([
        ['whoAmI', 'LOCALKEY123'],
        ['whoAmI', 'LOCALKEY123'],
      ]);
      expect(standIn.refused).toEqual([]);
    });
  });

  it('treats a state file whose server process is gone as no server', async () => {
    const statePath = join(dir, 'stale.json');
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeLocalState({ version: 1, endpoint: 'http://127.0.0.1:9', region: REGION, accessKeyId: 'k', secretAccessKey: 's', principalArn: 'arn:aws:iam::000000000000:user/x', pid: Number(exited.stdout) }, statePath);
    const done = await rollgate(['status', 'checkout', '--local'], { ROLLGATE_LOCAL_STATE: statePath });
    expect(done).toEqual({ code: 1, stdout: '', stderr: `LocalServerNotRunningError: no local rollgate server is running (no live server in ${statePath}): start it with \`npm start -- --serve\`\n` });
  });
});

describe('rollgate local', () => {
  it('prints its usage with --help (exit 0) and refuses a bad command line by flag (exit 2), starting nothing', async () => {
    const help = await runInProcess(['local', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: rollgate local \[--data-dir <dir>\] \[--port <port>\]/);
    for (const [argv, named] of [
      [['local', '--port', 'abc'], '--port must be a port number (1-65535), got "abc"'],
      [['local', '--port', '70000'], '--port must be a port number'],
      [['local', '--data-dir', ' '], '--data-dir needs a directory'],
      [['local', '--serve'], "Unknown option '--serve'"],
      [['local', 'now'], "Unexpected argument 'now'"],
    ] as const) {
      const refused = await runInProcess(argv, {});
      expect(refused.code, argv.join(' ')).toBe(2);
      expect(refused.stderr, argv.join(' ')).toContain(named);
      expect(refused.stdout).toBe('');
    }
  });
});
