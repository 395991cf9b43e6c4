/**
 * The local TrafficMetrics: real requests through the simulated router to
 * two fleets (v1 healthy, v2 answering 5xx on 20 %), split 50/50 by the
 * listener's weights, read back per target group and period through the
 * simulated cloud — the object the local control API reads.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type ServiceConfig } from '../../functions/config.js';
import { DEMO_CONFIG } from '../../local/demo/scenarios.js';
import { SimulatedCloud } from '../../local/sim/cloud.js';
import { httpGet } from '../../local/sim/http-get.js';
import { HttpCloud } from '../../local/sim/http-cloud.js';
import { RouterTraffic } from '../../local/sim/router-traffic.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('the simulated router as TrafficMetrics', () => {
  it('counts every request per target group and period, its 5xx, and nearest-rank percentiles of the target-side time', async () => {
    const http = new HttpCloud({ versions: { v2: { errorRate: 0.2 } } });
    closers.push(() => http.close());
    const services = parseConfig(DEMO_CONFIG).services;
    const service = services[0] as ServiceConfig;
    const [blue, green] = service.traffic.targetGroupArns;
    const cloud = new SimulatedCloud({ backend: http });
    cloud.seedFleet({ kind: 'ecs-task-set', id: 'ts-v1', targetGroup: blue }, 'v1', service.traffic);
    await http.attach({ cloud, services, deliverAlarm: () => Promise.resolve() });
    await cloud.fleet.create({ service: 'checkout', environment: 'prod', releaseId: '01JABCDEFGHJKMNPQRSTVWXYZ0', version: 'v2', target: { kind: 'ecs', cluster: 'c', service: 's', containerName: 'app', containerPort: 8080, imageRepository: 'r' }, targetGroupArn: green, current: undefined });
    await cloud.setWeights({ service: service.service, ...service.traffic }, { stableTargetGroupArn: blue, canaryTargetGroupArn: green }, { stable: 50, canary: 50 });

    const start = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    const statuses: (number | null)[] = [];
    for (let i = 0; i < 200; i++) statuses.push((await httpGet(`${http.routerUrl('checkout/prod')}/`, {}, 5_000)).status);
    const end = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 60_000);

    const read = await cloud.read({ targets: [{ targetGroupArn: blue, listenerArn: service.traffic.listenerArn }, { targetGroupArn: green, listenerArn: service.traffic.listenerArn }], start, end, periodSeconds: 60 });
    const sum = (i: number, key: 'requests' | 'errors5xx') => read[i]?.periods.reduce((n, p) => n + p[key], 0) ?? 0;
    expect(read.map((t) => t.targetGroupArn)).toEqual([blue, green]);
    // Every request answered, on one of the two groups; the weighted draw is seeded, so both get some.
    expect(sum(0, 'requests') + sum(1, 'requests')).toBe(200);
    expect(sum(0, 'requests')).toBeGreaterThan(50);
    expect(sum(1, 'requests')).toBeGreaterThan(50);
    expect(sum(0, 'errors5xx')).toBe(0);
    // v2 fails every fifth of its requests.
    expect(sum(1, 'errors5xx')).toBe(Math.floor(sum(1, 'requests') * 0.2));
    expect(statuses.filter((s) => s === 500).length).toBe(sum(1, 'errors5xx'));
    for (const target of read) {
      for (const period of target.periods.filter((p) => p.requests > 0)) {
        expect(period.p50Ms).not.toBeNull();
        expect(period.p50Ms ?? 0).toBeLessThanOrEqual(period.p90Ms ?? 0);
        expect(period.p90Ms ?? 0).toBeLessThanOrEqual(period.p99Ms ?? 0);
      }
    }
  });

  it('reads zero requests and null latency for periods nothing reached, and keeps requests for its retention only', async () => {
    let now = 1_000_000;
    const traffic = new RouterTraffic(60_000, () => now);
    for (const [at, status, latencyMs] of [[1_000_000, 200, 10], [1_001_000, 500, 30], [1_002_000, 200, 20], [1_011_000, 200, 5]] as const) traffic.record('tg', { at, status, latencyMs });
    const read = await traffic.read({ targets: [{ targetGroupArn: 'tg', listenerArn: 'l' }, { targetGroupArn: 'other', listenerArn: 'l' }], start: new Date(1_000_000), end: new Date(1_030_000), periodSeconds: 10 });
    expect(read).toEqual([
      {
        targetGroupArn: 'tg',
        periods: [
          { start: new Date(1_000_000), requests: 3, errors5xx: 1, p50Ms: 20, p90Ms: 30, p99Ms: 30 },
          { start: new Date(1_010_000), requests: 1, errors5xx: 0, p50Ms: 5, p90Ms: 5, p99Ms: 5 },
          { start: new Date(1_020_000), requests: 0, errors5xx: 0, p50Ms: null, p90Ms: null, p99Ms: null },
        ],
      },
      { targetGroupArn: 'other', periods: [0, 1, 2].map((i) => ({ start: new Date(1_000_000 + i * 10_000), requests: 0, errors5xx: 0, p50Ms: null, p90Ms: null, p99Ms: null })) },
    ]);
    now = 1_065_000;
    // An alarm still needing older requests keeps them past the retention...
    traffic.prune(1_000_000);
    expect(traffic.between('tg', 0, Number.MAX_SAFE_INTEGER).map((o) => o.at)).toEqual([1_000_000, 1_001_000, 1_002_000, 1_011_000]);
    // ...and once none does, only the retention window is kept.
    traffic.prune(1_065_000);
    expect(traffic.between('tg', 0, Number.MAX_SAFE_INTEGER).map((o) => o.at)).toEqual([1_011_000]);
  });
});
