/**
 * The demo's scenarios in this process, over the same world `npm start`
 * builds (the release flow on the local engine, the ledger on the tests'
 * DynamoDB Local, the simulated cloud under steady load, the approval
 * endpoint, the control API on loopback), so the ledger itself can be read
 * afterwards: every release was started through the control API by the demo
 * operator's verified principal, the good one approved through it by the
 * second approver's, and `rollgate watch` never showed more bake time left
 * than the local engine really waits.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { PageAnswer, ReleaseDetail } from '../../cli/commands/responses.js';
import { bakeLeft } from '../../cli/format/release.js';
import { DemoApprovals } from '../../local/demo/approvals.js';
import { runScenario, startLoad, type ReleaseReport } from '../../local/demo/run-release.js';
import { BAKE_MS, DEMO_APPROVER_ARN, DEMO_CONFIG, DEMO_OPERATOR_ARN, OVERRIDES, PLAN, SCENARIOS, SERVICE, demoAlarms } from '../../local/demo/scenarios.js';
import { DemoTerminal } from '../../local/demo/terminal.js';
import { LocalRuntime } from '../../local/runtime.js';
import { HttpCloud } from '../../local/sim/http-cloud.js';
import type { TrafficGenerator } from '../../local/sim/traffic.js';

const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
};
let http: HttpCloud;
let approvals: DemoApprovals;
let runtime: LocalRuntime;
let terminal: DemoTerminal;
let load: TrafficGenerator;

beforeAll(async () => {
  http = new HttpCloud({ versions: Object.fromEntries(Object.values(SCENARIOS).map((s) => [s.version, s.behaviour])), alarms: demoAlarms() });
  approvals = await DemoApprovals.start({ interactive: false, say, pauseMs: 0 });
  runtime = await LocalRuntime.create({
    dynamodbEndpoint: inject('dynamodbEndpoint'),
    config: DEMO_CONFIG,
    cloud: { backend: http },
    overrides: OVERRIDES,
    notifier: approvals.notifier,
  });
  await http.attach({ cloud: runtime.cloud, services: runtime.deps.config.services, deliverAlarm: (name, id, reason) => runtime.deliverAlarm(name, id, reason) });
  terminal = await DemoTerminal.start(runtime, say);
  await approvals.serve({ ledger: runtime.ledger, callbacks: runtime.engine.callbacks, config: runtime.deps.config, terminal });
  load = startLoad(http, 120_000);
});

afterAll(async () => {
  await load.stop();
  await terminal.close();
  await http.close();
  await approvals.close();
});

/** The `$ rollgate …` lines printed so far, without the prompt and the approver's note. */
function commands(): string[] {
  return lines.flatMap((line) => {
    const match = /^ {3}\$ rollgate (.+?)(?: {6}# as .*)?$/.exec(line);
    return match?.[1] === undefined ? [] : [match[1]];
  });
}

describe('the demo over the control API', () => {
  const reports: ReleaseReport[] = [];

  it('runs good and reject as rollgate commands, printed in order before each runs: release, watch, and the approver\'s approve for good', async () => {
    const world = { runtime, http, approvals, terminal, say };
    // While good bakes, what watch reads (getRelease, through the control API) gives at most the compressed wait.
    const baking = (async () => {
      const client = terminal.client();
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const listed = PageAnswer.parse(await client.call('listReleases', { params: SERVICE }));
        const v2 = listed.items.find((r) => r.version === 'v2');
        if (v2 !== undefined) {
          const detail = ReleaseDetail.parse(await client.call('getRelease', { params: { ...SERVICE, releaseId: v2.releaseId } }));
          const now = Date.now();
          if (detail.release.waiting?.kind === 'BAKE') return { left: bakeLeft(detail.release, now), since: detail.release.waiting.since, timeoutAt: detail.release.waiting.timeoutAt, now };
        }
        await sleep(100);
      }
      throw new Error('v2 never baked');
    })();
    reports.push(await runScenario(world, SCENARIOS.good));
    reports.push(await runScenario(world, SCENARIOS.reject));
    const bake = await baking;

    expect(reports.map((r) => [r.scenario, r.status, r.outcome, r.asExpected])).toEqual([
      ['good', 'SUCCEEDED', 'PROMOTED', true],
      ['reject', 'ROLLED_BACK', 'REJECTED', true],
    ]);
    const [good, reject] = reports.map((r) => r.releaseId ?? '');
    const planFile = terminal.planFile(PLAN);
    const watch = (id: string) => `watch ${id} --service checkout --env prod --interval 0.5`;
    expect(commands()).toEqual([
      `release checkout v2 --env prod --plan-file ${planFile} --commit c0ffee-v2`,
      watch(good ?? ''),
      expect.stringMatching(/^approve [A-Za-z0-9_-]{16,64}$/),
      `release checkout v6 --env prod --plan-file ${planFile} --commit c0ffee-v6`,
      watch(reject ?? ''),
    ]);
    // The command's own output follows it: what the CLI prints.
    expect(lines).toContain(`     follow it: rollgate watch ${good ?? ''} --service checkout --env prod`);
    expect(lines.some((line) => line.includes(`approved by ${DEMO_APPROVER_ARN}`))).toBe(true);

    // Bake time left as watch computes it: never more than the engine's compressed wait, never the plan's 300 s.
    // (How much is left when it is read depends on the machine's speed; the recorded wait does not.)
    expect(Date.parse(bake.timeoutAt ?? '') - Date.parse(bake.since ?? '')).toBeLessThanOrEqual(BAKE_MS);
    expect(bake.left).toBeGreaterThanOrEqual(0);
    expect(bake.left).toBeLessThanOrEqual(BAKE_MS / 1000);
    expect(Date.parse(bake.timeoutAt ?? '') - bake.now).toBeLessThanOrEqual(BAKE_MS);
    const shown = lines.flatMap((line) => [...line.matchAll(/bake (\d+)s left/g)].map((m) => Number(m[1])));
    expect(shown.every((left) => left <= BAKE_MS / 1000), shown.join(', ')).toBe(true);
    expect(lines.some((line) => /bake \d+m\d+s left/.test(line))).toBe(false);
  }, 120_000);

  it('left in the ledger: each release started by the operator\'s verified principal, good approved by the second approver\'s', async () => {
    expect(reports).toHaveLength(2);
    for (const report of reports) {
      const release = await runtime.ledger.getRelease({ ...SERVICE, releaseId: report.releaseId ?? '' });
      expect(release?.trigger).toMatchObject({ source: 'control-api', author: DEMO_OPERATOR_ARN, startedBy: { kind: 'iam-principal', id: DEMO_OPERATOR_ARN } });
      const events = await runtime.ledger.listEvents({ releaseId: report.releaseId ?? '' });
      expect(events.find((e) => e.type === 'RELEASE_STARTED')?.actor).toBe(DEMO_OPERATOR_ARN);
      // Every event with a person behind it names a verified identity: the operator's or the approver's ARN, or the approver's Slack user on the page.
      const actors = new Set(events.map((e) => e.actor).filter((actor) => actor !== undefined && actor !== 'flow'));
      for (const actor of actors) expect([DEMO_OPERATOR_ARN, DEMO_APPROVER_ARN, 'U01ALICE']).toContain(actor);
    }
    const goodEvents = await runtime.ledger.listEvents({ releaseId: reports[0]?.releaseId ?? '' });
    expect(goodEvents.find((e) => e.type === 'APPROVAL_GRANTED')?.actor).toBe(DEMO_APPROVER_ARN);
  });
});
