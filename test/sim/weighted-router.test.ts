import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../flow/flow-fixture.js';
import { TrafficGenerator } from '../../local/sim/traffic.js';
import { ErrorSequence, VersionServer } from '../../local/sim/version-server.js';
import { WeightedRouter, type HeaderRule, type RoutedRequest } from '../../local/sim/weighted-router.js';
import { getVersion as get } from './get-version.js';

const BLUE = 'tg-blue';
const GREEN = 'tg-green';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function version(name: string, behaviour: Parameters<typeof VersionServer.start>[2] = {}, errors?: ErrorSequence, task = 1): Promise<VersionServer> {
  const server = await VersionServer.start(name, `${name}/task-${String(task)}`, behaviour, errors);
  closers.push(() => server.close());
  return server;
}

interface Setup {
  weights: Map<string, number>;
  rules: HeaderRule[];
  seen: RoutedRequest[];
  router: WeightedRouter;
}

async function routerFor(targets: Record<string, string[]>, weights: Record<string, number>, seed: number | string = 7): Promise<Setup> {
  const setup = { weights: new Map(Object.entries(weights)), rules: [] as HeaderRule[], seen: [] as RoutedRequest[] };
  const router = await WeightedRouter.start({
    table: { weights: () => setup.weights, headerRules: () => setup.rules, targets: (tg) => targets[tg] ?? [] },
    seed,
    onRequest: (routed) => setup.seen.push(routed),
  });
  closers.push(() => router.close());
  return { ...setup, router };
}

describe('WeightedRouter (real HTTP on loopback)', () => {
  it('splits a bounded run of requests by the listener weights, within 3 points', async () => {
    const v1 = await version('v1');
    const v2 = await version('v2');
    const { router, seen } = await routerFor({ [BLUE]: [v1.url], [GREEN]: [v2.url] }, { [BLUE]: 80, [GREEN]: 20 });
    // Room for every request in flight: however slow the machine, none is skipped, all 1000 go through the router.
    const load = TrafficGenerator.start({ url: router.url, ratePerSecond: 500, maxRequests: 1000, maxDurationMs: 60_000, maxInFlight: 1000 });
    const totals = await load.finished();
    expect(totals).toEqual({ sent: 1000, ok: 1000, failed: 0, skipped: 0 });
    expect(seen).toHaveLength(totals.sent);
    const green = seen.filter((r) => r.targetGroupArn === GREEN).length;
    expect(Math.abs(green / seen.length - 0.2)).toBeLessThan(0.03);
    expect(new Set(seen.map((r) => r.target))).toEqual(new Set([v1.url, v2.url]));
  });

  it('draws the same split for the same seed, and another for another seed', async () => {
    const draws = async (seed: string) => {
      const { router } = await routerFor({}, { [BLUE]: 50, [GREEN]: 50 }, seed);
      return Array.from({ length: 200 }, () => router.chooseTargetGroup({}).targetGroupArn).join(',');
    };
    expect(await draws('a')).toBe(await draws('a'));
    expect(await draws('a')).not.toBe(await draws('b'));
  });

  it('applies a weight change to the very next request', async () => {
    const v1 = await version('v1');
    const v2 = await version('v2');
    const setup = await routerFor({ [BLUE]: [v1.url], [GREEN]: [v2.url] }, { [BLUE]: 100, [GREEN]: 0 });
    expect((await get(setup.router.url)).version).toBe('v1');
    setup.weights.set(BLUE, 0);
    setup.weights.set(GREEN, 100);
    const after = await Promise.all(Array.from({ length: 20 }, () => get(setup.router.url)));
    expect(new Set(after.map((a) => a.version))).toEqual(new Set(['v2']));
  });

  it('sends requests carrying the dark-canary header to the canary target group, even at weight 0', async () => {
    const v1 = await version('v1');
    const v2 = await version('v2');
    const setup = await routerFor({ [BLUE]: [v1.url], [GREEN]: [v2.url] }, { [BLUE]: 100, [GREEN]: 0 });
    setup.rules.push({ headerName: 'X-Rollgate-Canary', headerValue: 'v2', priority: 5, targetGroupArn: GREEN });

    const withHeader = await Promise.all(Array.from({ length: 10 }, () => get(`${setup.router.url}/healthz`, { 'x-rollgate-canary': 'v2' })));
    const wrongValue = await get(setup.router.url, { 'x-rollgate-canary': 'v3' });
    const without = await get(setup.router.url);

    expect(withHeader.every((a) => a.status === 200 && a.version === 'v2')).toBe(true);
    expect(wrongValue.version).toBe('v1');
    expect(without.version).toBe('v1');
    expect(setup.seen.filter((r) => r.via === 'header-rule')).toHaveLength(10);
  });

  it('reports the target\'s own response time (Server-Timing) as the latency, and its own time where no target answered', async () => {
    const target = createServer((_request, response) => {
      response.writeHead(200, { 'server-timing': 'app;dur=7.25', 'content-length': 2 }).end('ok');
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => target.close(resolve)));
    const url = `http://127.0.0.1:${String((target.address() as AddressInfo).port)}`;
    const setup = await routerFor({ [BLUE]: [url] }, { [BLUE]: 100 });
    expect((await get(setup.router.url)).status).toBe(200);
    setup.weights.set(BLUE, 0);
    expect((await get(setup.router.url)).status).toBe(503);
    const [answered, refused] = setup.seen;
    expect(answered).toMatchObject({ status: 200, latencyMs: 7.25 });
    expect(refused?.status).toBe(503);
    expect(refused?.latencyMs).toBe(refused?.routerMs);
  });

  it('counts a version server\'s injected latency in the time it reports', async () => {
    const slow = await version('v7', { latencyMs: 120 });
    const setup = await routerFor({ [GREEN]: [slow.url] }, { [GREEN]: 100 });
    expect((await get(setup.router.url)).version).toBe('v7');
    // Node's timers count from the start of the event loop's turn, which may be a little before the request arrived.
    expect(setup.seen[0]?.latencyMs).toBeGreaterThan(100);
  });

  it('answers 503 itself when no target group has weight, and 502 when the target crashed', async () => {
    const crashed = await version('v4', { crashOnStart: true });
    const setup = await routerFor({ [GREEN]: [crashed.url] }, { [BLUE]: 0, [GREEN]: 0 });
    expect((await get(setup.router.url)).status).toBe(503);
    setup.weights.set(GREEN, 100);
    expect((await get(setup.router.url)).status).toBe(502);
    expect(setup.seen.map((r) => [r.via, r.status])).toEqual([
      ['none', 503],
      ['weighted', 502],
    ]);
  });

  it('passes the version servers\' own 5xx through: an error rate of 20% fails exactly one request in five', async () => {
    const bad = await version('v3', { errorRate: 0.2 });
    const setup = await routerFor({ [GREEN]: [bad.url] }, { [GREEN]: 100 });
    const load = TrafficGenerator.start({ url: setup.router.url, ratePerSecond: 200, maxRequests: 100, maxDurationMs: 10_000, maxInFlight: 256 });
    expect(await load.finished()).toMatchObject({ sent: 100, ok: 80, failed: 20 });
    expect(setup.seen.filter((r) => r.status === 500)).toHaveLength(20);
  });

  it('spreads a fleet\'s error rate over the fleet\'s requests: two tasks behind the round robin fail every fifth request, never two in a row', async () => {
    const errors = new ErrorSequence();
    const tasks = [await version('v3', { errorRate: 0.2 }, errors, 1), await version('v3', { errorRate: 0.2 }, errors, 2)];
    const setup = await routerFor({ [GREEN]: tasks.map((t) => t.url) }, { [GREEN]: 100 });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await get(setup.router.url)).status);
    expect(statuses.flatMap((status, i) => (status === 500 ? [i + 1] : []))).toEqual([5, 10, 15, 20]);
    expect(tasks.map((t) => t.failed)).toEqual([2, 2]);
  });
});

describe('TrafficGenerator', () => {
  it('refuses anything but loopback', () => {
    expect(() => TrafficGenerator.start({ url: 'http://192.0.2.1/', ratePerSecond: 1, maxRequests: 1, maxDurationMs: 1 })).toThrow(/loopback only/);
  });

  it('stops by itself at its time bound, long before its request bound', async () => {
    const v1 = await version('v1');
    const totals = await TrafficGenerator.start({ url: v1.url, ratePerSecond: 50, maxRequests: 10_000, maxDurationMs: 300 }).finished();
    expect(totals.sent).toBeGreaterThan(0);
    expect(totals.sent + totals.skipped).toBeLessThan(10_000);
    expect(totals).toMatchObject({ ok: totals.sent, failed: 0 });
  });

  it('stops when stopped, and counts what it sent until then', async () => {
    const v1 = await version('v1');
    const load = TrafficGenerator.start({ url: v1.url, ratePerSecond: 100, maxRequests: 100_000, maxDurationMs: 600_000 });
    await until(() => (v1.served > 0 ? true : undefined));
    const totals = await load.stop();
    expect(totals.sent).toBeGreaterThan(0);
    expect(totals).toMatchObject({ ok: totals.sent, failed: 0 });
    expect(await load.finished()).toEqual(totals);
    expect(v1.served).toBe(totals.sent);
  });
});
