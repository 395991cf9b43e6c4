/**
 * `rollgate --local versions` and the traffic line of `rollgate --local
 * watch` against the local control plane serving real HTTP: the control
 * server over a local runtime whose simulated cloud runs every fleet as HTTP
 * version servers behind the weighted router (local/sim/http-cloud.ts), as
 * `npm start -- --serve` does. The test sends real requests through the
 * router while a canary (v3, 5xx on 20 %) takes half the traffic; watch
 * shows what the router saw, per version.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Release } from '../../functions/domain/release.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { httpGet } from '../../local/sim/http-get.js';
import { HttpCloud } from '../../local/sim/http-cloud.js';
import { startLocalControlPlane, type LocalControlPlane } from './in-process.js';
import { CHECKOUT, newRuntime, until } from '../flow/flow-fixture.js';

const OPERATOR = { accessKeyId: 'LOCALOPERATOR2', secretAccessKey: 'operator-secret-for-versions', principalArn: 'arn:aws:iam::000000000000:user/operator' };
/** Half the traffic on the canary until promoted. */
const PLAN = { steps: [{ type: 'traffic', weight: 50, bakeSeconds: 60 }, { type: 'traffic', weight: 100, bakeSeconds: 0 }] };
const REQUESTS = 200;

let http: HttpCloud;
let runtime: LocalRuntime;
let plane: LocalControlPlane;

beforeAll(async () => {
  http = new HttpCloud({ versions: { v3: { errorRate: 0.2 } } });
  runtime = await newRuntime({ cloud: { backend: http }, overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
  await http.attach({ cloud: runtime.cloud, services: runtime.deps.config.services, deliverAlarm: (name, eventId, reason) => runtime.deliverAlarm(name, eventId, reason) });
  // Ten minutes of 1 s periods: every request the test sends is in the window, however slow the machine.
  plane = await startLocalControlPlane(runtime, OPERATOR, { periodSeconds: 1, periods: 600 });
}, 60_000);
afterAll(async () => {
  await plane.close();
  await runtime.settled();
  await http.close();
});

/** Runs `rollgate --local …` in this process: its exit status, stdout and stderr. */
const rollgate = (...argv: string[]) => plane.cli(...argv);

interface TrafficDoc {
  versions: { role: string; version: string; requests: number; errors5xx: number; errorRatePercent: number | null; p99Ms: number | null }[];
}

describe('rollgate --local versions and watch traffic, with real requests through the simulated router', () => {
  it('watch shows requests, 5xx rate and p99 per version as the router counted them; versions lists what ran where', async () => {
    const planFile = plane.writeJson('plan.json', PLAN);
    expect((await rollgate('release', 'checkout', 'v3', '--plan-file', planFile)).code).toBe(0);
    const baking = await until(async () => {
      const current: Release | undefined = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
      return current?.waiting?.kind === 'BAKE' && current.weights?.canary === 50 && runtime.stepsRunning === 0 ? current : undefined;
    }, 30_000);

    // The control API counts a release's traffic from its first whole period on (the blue and green target
    // groups served the release before it in the partial one): the requests go after that period began.
    const firstWholePeriod = Math.ceil(Date.parse(baking.createdAt) / 1000) * 1000;
    if (Date.now() < firstWholePeriod) await sleep(firstWholePeriod - Date.now());

    const statuses: (number | null)[] = [];
    for (let i = 0; i < REQUESTS; i++) statuses.push((await httpGet(`${http.routerUrl('checkout/prod')}/`, {}, 5_000)).status);
    const failed = statuses.filter((s) => s === 500).length;

    // Followed to its end (promoted below): the last poll's traffic is in the one document.
    const watching = rollgate('--json', 'watch', 'checkout', '--interval', '0.2');
    expect((await rollgate('promote', 'checkout')).code).toBe(0);
    const watched = await watching;
    expect(watched.code).toBe(0);
    const doc = JSON.parse(watched.stdout) as { release: Release; traffic: TrafficDoc };
    expect(doc.release).toMatchObject({ releaseId: baking.releaseId, status: 'SUCCEEDED' });
    const [stable, canary] = doc.traffic.versions;
    expect([stable?.role, stable?.version, canary?.role, canary?.version]).toEqual(['stable', 'v1', 'canary', 'v3']);
    expect((stable?.requests ?? 0) + (canary?.requests ?? 0)).toBe(REQUESTS);
    expect(stable?.errors5xx).toBe(0);
    expect(canary?.errors5xx).toBe(failed);
    expect(failed).toBeGreaterThan(0);
    expect(canary?.errorRatePercent).toBeCloseTo((failed / (canary?.requests ?? 1)) * 100, 6);
    expect(canary?.p99Ms).not.toBeNull();

    // The same figures on the human line (the release ended: one line, then the outcome).
    const human = await rollgate('watch', 'checkout');
    expect(human.code).toBe(0);
    const figure = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));
    expect(human.stdout).toMatch(
      new RegExp(`v1 \\(stable\\) ${String(stable?.requests)} req · 0\\.0 % 5xx · p99 ${figure(stable?.p99Ms ?? 0)} ms \\| v3 \\(canary\\) ${String(canary?.requests)} req · ${figure(canary?.errorRatePercent ?? 0)} % 5xx · p99 ${figure(canary?.p99Ms ?? 0)} ms  \\(last \\d+ s\\)`),
    );

    const versions = await rollgate('versions', 'checkout');
    expect(versions.code).toBe(0);
    const lines = versions.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('checkout (every environment)');
    expect(lines[1]).toMatch(/^VERSION\s+ENVS\s+RELEASES\s+LAST\s+FIRST STARTED\s+LAST ENDED\s+STARTED BY\s+STABLE$/);
    expect(lines[2]).toMatch(new RegExp(`^v3\\s+prod\\s+1\\s+SUCCEEDED \\(PROMOTED\\)\\s+\\S+ \\S+\\s+\\S+ \\S+\\s+${OPERATOR.principalArn}\\s+prod since \\S+ \\S+ on \\S+$`));
    expect(lines[3]).toMatch(/^v1\s+prod\s+0\s*$/);
    expect(lines).toHaveLength(4);

    const json = await rollgate('--json', 'versions', 'checkout', '--env', 'prod', '--limit', '1');
    expect(json.code).toBe(0);
    const page = JSON.parse(json.stdout) as { items: { version: string; stable: { environment: string }[] }[]; next?: string };
    expect(page.items.map((v) => [v.version, v.stable.map((s) => s.environment)])).toEqual([['v3', ['prod']]]);
    expect(page.next).toEqual(expect.any(String));
  });

  it('versions of a service nobody onboarded is refused, naming it: exit 1, the API error by name', async () => {
    const human = await rollgate('versions', 'nope');
    expect(human.code).toBe(1);
    expect(human.stderr).toMatch(/^UnknownServiceError: nope is not an onboarded service \(onboarded: checkout\/prod/);
    const json = await rollgate('--json', 'versions', 'nope');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { name: 'UnknownServiceError', message: expect.stringMatching(/^nope is not an onboarded service/) as unknown } });
    expect((await rollgate('versions', 'checkout', '--limit', '0')).code).toBe(2);
  });
});
