import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.js';
import { DEMO_CONFIG } from '../../local/demo/scenarios.js';
import { SimulatedCloud } from '../../local/sim/cloud.js';
import { HttpCloud, type RouterAlarm } from '../../local/sim/http-cloud.js';
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
      const blockedAt = Date.now();
      while (Date.now() - blockedAt < 400) {
        // busy
      }
      await until(() => (recorded() > before ? true : undefined));
      expect(recorded() - before).toBeGreaterThanOrEqual(7);
    } finally {
      await http.close();
    }
  });
});
