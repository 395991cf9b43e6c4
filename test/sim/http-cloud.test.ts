import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig, type ServiceConfig } from '../../functions/config.js';
import { DEMO_CONFIG } from '../../local/demo/scenarios.js';
import type { AlarmStateChange } from '../../local/sim/alarm-evaluator.js';
import { SimulatedCloud } from '../../local/sim/cloud.js';
import { HttpCloud, type RouterAlarm } from '../../local/sim/http-cloud.js';
import { TrafficGenerator } from '../../local/sim/traffic.js';
import type { VersionServerBehaviour } from '../../local/sim/version-server.js';
import { until } from '../flow/flow-fixture.js';

const ALARM: RouterAlarm = {
  service: 'checkout/prod',
  alarmName: 'checkout-prod-5xx',
  metric: '5xx-rate',
  periodMs: 50,
  evaluationPeriods: 3,
  datapointsToAlarm: 2,
  threshold: 5,
  comparisonOperator: 'GreaterThanThreshold',
  treatMissingData: 'notBreaching',
  // Keep every datapoint the test looks at.
  evaluationRangePeriods: 100,
};

/** Spins: nothing else runs on this thread (the engine's, in the demo) meanwhile. */
function busyWait(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const closers: (() => Promise<unknown>)[] = [];
// Last opened, first closed: the load stops before the router it goes to.
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('HttpCloud alarm evaluation', () => {
  it('records a datapoint for every period that ended while the event loop was busy, not one for all of them', async () => {
    const http = new HttpCloud({ alarms: [ALARM] });
    const cloud = new SimulatedCloud({ backend: http });
    await http.attach({ cloud, services: parseConfig(DEMO_CONFIG).services, deliverAlarm: () => Promise.resolve() });
    const recorded = () => http.alarmDatapoints(ALARM.alarmName, 100).length;
    try {
      await until(() => (recorded() > 0 ? true : undefined));
      const before = recorded();
      // Nothing else runs meanwhile: the evaluation wakes up late, at least 7 whole periods after its last one.
      busyWait(400);
      await until(() => (recorded() > before ? true : undefined));
      expect(recorded() - before).toBeGreaterThanOrEqual(7);
    } finally {
      await http.close();
    }
  });
});

/**
 * The demo's service with one version (v1) taking all its traffic, both
 * alarms on (2 of 3 quarter-second datapoints), and steady load through its
 * router from the load generator's thread.
 */
async function servedWithAlarms(behaviour: VersionServerBehaviour) {
  const common = { service: 'checkout/prod', periodMs: 250, evaluationPeriods: 3, datapointsToAlarm: 2, comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'notBreaching', evaluationRangePeriods: 100 } as const;
  // The p99 threshold is below how long the test blocks the event loop: lag counted as latency would breach it.
  const alarms: RouterAlarm[] = [
    { ...common, alarmName: 'checkout-prod-5xx', metric: '5xx-rate', threshold: 5 },
    { ...common, alarmName: 'checkout-prod-p99-latency', metric: 'p99-latency', threshold: 250 },
  ];
  const http = new HttpCloud({ versions: { v1: behaviour }, alarms });
  closers.push(() => http.close());
  const services = parseConfig(DEMO_CONFIG).services;
  const service = services[0] as ServiceConfig;
  const cloud = new SimulatedCloud({ backend: http });
  cloud.seedFleet({ kind: 'ecs-task-set', id: 'ts-checkout-onboarded', targetGroup: service.traffic.targetGroupArns[0] }, 'v1', service.traffic);
  const changes: AlarmStateChange[] = [];
  http.onAlarmStateChange((change) => changes.push(change));
  await http.attach({ cloud, services, deliverAlarm: () => Promise.resolve() });
  const load = TrafficGenerator.start({ url: http.routerUrl('checkout/prod'), ratePerSecond: 200, maxRequests: 100_000, maxDurationMs: 60_000 });
  closers.push(() => load.stop());
  const inAlarm = () => changes.filter((c) => c.state === 'ALARM').map((c) => c.alarmName);
  return { http, load, changes, inAlarm };
}

/** Blocks this thread for `blockMs` at a time, `times` times, with a short breath between (timers and sockets run then). */
async function blockRepeatedly(times: number, blockMs: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    busyWait(blockMs);
    await sleep(20);
  }
}

describe('HttpCloud under a busy engine (version servers and load on threads of their own)', () => {
  it('keeps a good version\'s p99 and 5xx alarms OK while the event loop is blocked for longer than the p99 threshold, again and again', async () => {
    const { http, load, changes, inAlarm } = await servedWithAlarms({ latencyMs: 2 });
    await until(() => ((http.trafficByVersion().get('v1')?.total ?? 0) > 0 ? true : undefined));
    await blockRepeatedly(8, 400);
    // Let the alarms evaluate the periods the blocks ran into, and a few after.
    await sleep(1_000);
    const totals = await load.stop();

    expect(inAlarm()).toEqual([]);
    expect(changes.map((c) => c.state)).not.toContain('ALARM');
    expect([...http.alarmStates().values()].every((state) => state !== 'ALARM')).toBe(true);
    const p99 = http.alarmDatapoints('checkout-prod-p99-latency', 100).filter((d): d is number => d !== undefined);
    expect(p99.length).toBeGreaterThan(0);
    expect(Math.max(...p99)).toBeLessThan(250);
    expect(http.trafficByVersion().get('v1')).toMatchObject({ failed: 0 });
    expect(totals).toMatchObject({ failed: 0 });
  });

  it('still puts a slow version (800 ms) in ALARM on p99 latency while the event loop is blocked, and not on 5xx', async () => {
    const { inAlarm } = await servedWithAlarms({ latencyMs: 800 });
    await blockRepeatedly(4, 400);
    await until(() => (inAlarm().includes('checkout-prod-p99-latency') ? true : undefined));
    expect(inAlarm()).toEqual(['checkout-prod-p99-latency']);
  });

  it('still puts a bad version (5xx on 20%) in ALARM on 5xx while the event loop is blocked, and not on p99 latency', async () => {
    const { inAlarm } = await servedWithAlarms({ latencyMs: 2, errorRate: 0.2 });
    await blockRepeatedly(4, 400);
    await until(() => (inAlarm().includes('checkout-prod-5xx') ? true : undefined));
    expect(inAlarm()).toEqual(['checkout-prod-5xx']);
  });
});
