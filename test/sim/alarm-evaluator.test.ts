import { describe, expect, it } from 'vitest';
import {
  closedPeriods,
  evaluateAlarm,
  MetricAlarm,
  periodStart,
  type AlarmDefinition,
  type AlarmState,
  type Datapoint,
  type TreatMissingData,
} from '../../local/sim/alarm-evaluator.js';
import { metricValue } from '../../local/sim/http-cloud.js';

const _ = undefined;

/** 2 of 3 datapoints over 5 (percent of 5xx), evaluation range of 5 periods. */
function definition(treatMissingData: TreatMissingData, overrides: Partial<AlarmDefinition> = {}): AlarmDefinition {
  return {
    alarmName: 'checkout-prod-5xx',
    periodMs: 1000,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    threshold: 5,
    comparisonOperator: 'GreaterThanThreshold',
    treatMissingData,
    evaluationRangePeriods: 5,
    ...overrides,
  };
}

describe('evaluateAlarm: M out of N with every datapoint present', () => {
  const cases: [string, Datapoint[], AlarmState][] = [
    ['no datapoint breaches', [1, 1, 1], 'OK'],
    ['one of three breaches (M is 2)', [10, 1, 1], 'OK'],
    ['two of three breach, not adjacent', [10, 1, 10], 'ALARM'],
    ['three of three breach', [10, 10, 10], 'ALARM'],
    ['older breaches outside the last N are not evaluated', [10, 10, 1, 1, 1], 'OK'],
    ['a value equal to the threshold does not breach GreaterThanThreshold', [5, 5, 5], 'OK'],
  ];
  it.each(cases)('%s: %j → %s', (_name, datapoints, state) => {
    expect(evaluateAlarm(definition('missing'), datapoints, 'OK').state).toBe(state);
  });

  it('honours the comparison operator', () => {
    expect(evaluateAlarm(definition('missing', { comparisonOperator: 'GreaterThanOrEqualToThreshold' }), [5, 5, 1], 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(definition('missing', { comparisonOperator: 'LessThanThreshold' }), [1, 1, 9], 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(definition('missing', { comparisonOperator: 'LessThanOrEqualToThreshold' }), [6, 6, 5], 'OK').state).toBe('OK');
  });

  it('with M = N (the default) every evaluated datapoint must breach', () => {
    const allOfThem = definition('missing', { datapointsToAlarm: undefined });
    expect(evaluateAlarm(allOfThem, [10, 10, 1], 'OK').state).toBe('OK');
    expect(evaluateAlarm(allOfThem, [10, 10, 10], 'OK').state).toBe('ALARM');
  });
});

describe('evaluateAlarm: missing data', () => {
  const treatments: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
  // Columns: missing, ignore, breaching, notBreaching (current state OK unless the row says otherwise).
  const table: [string, Datapoint[], AlarmState, [AlarmState, AlarmState, AlarmState, AlarmState]][] = [
    ['enough real datapoints in the range: the N most recent real ones decide, looking past gaps', [1, 1, _, _, 1], 'OK', ['OK', 'OK', 'OK', 'OK']],
    ['enough real datapoints, two of them breaching past a gap', [10, _, 10, _, 1], 'OK', ['ALARM', 'ALARM', 'ALARM', 'ALARM']],
    ['one real breaching datapoint, two missing', [_, _, _, _, 10], 'OK', ['ALARM', 'ALARM', 'ALARM', 'OK']],
    ['one real good datapoint, two missing', [_, _, _, _, 1], 'OK', ['OK', 'OK', 'ALARM', 'OK']],
    ['two real datapoints, one breaching, one missing', [_, _, _, 10, 1], 'OK', ['OK', 'OK', 'ALARM', 'OK']],
    ['nothing at all, while OK', [_, _, _, _, _], 'OK', ['INSUFFICIENT_DATA', 'OK', 'ALARM', 'OK']],
    ['nothing at all, while in ALARM', [_, _, _, _, _], 'ALARM', ['INSUFFICIENT_DATA', 'ALARM', 'ALARM', 'OK']],
    ['no datapoint recorded yet', [], 'INSUFFICIENT_DATA', ['INSUFFICIENT_DATA', 'INSUFFICIENT_DATA', 'ALARM', 'OK']],
  ];
  for (const [name, datapoints, current, expected] of table) {
    it.each(treatments.map((treat, i) => [treat, expected[i]] as const))(`${name} (%s → %s)`, (treat, state) => {
      expect(evaluateAlarm(definition(treat), datapoints, current).state).toBe(state);
    });
  }

  // Why the demo and the bench keep one steady load across releases: a gap in the load is missing
  // datapoints, and across it an earlier release's breaching datapoint still counts with the next one's.
  it.each(treatments)('a breach before a gap of missing data counts with a new one (%s → ALARM); with datapoints in the gap it does not', (treat) => {
    expect(evaluateAlarm(definition(treat), [10, _, _, _, 10], 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(definition(treat), [10, 0, 0, 0, 10], 'OK').state).toBe('OK');
  });

  it('only looks at the evaluation range: real datapoints before it do not count', () => {
    // Range of 5: the two breaching points at the start fall out of it.
    expect(evaluateAlarm(definition('notBreaching'), [10, 10, _, _, _, _, 1], 'ALARM').state).toBe('OK');
    expect(evaluateAlarm(definition('missing'), [10, 10, _, _, _, _, _], 'ALARM').state).toBe('INSUFFICIENT_DATA');
  });
});

describe('periods: aligned, and a datapoint only once its period has ended', () => {
  it('aligns periods to multiples of the period since the epoch', () => {
    expect(periodStart(1_000, 250)).toBe(1_000);
    expect(periodStart(1_249, 250)).toBe(1_000);
    expect(periodStart(1_250, 250)).toBe(1_250);
  });

  it('has no closed period while the current one is still open', () => {
    expect(closedPeriods(1_000, 1_000, 250)).toEqual([]);
    expect(closedPeriods(1_000, 1_249, 250)).toEqual([]);
  });

  it('closes a period at its end, not before', () => {
    expect(closedPeriods(1_000, 1_250, 250)).toEqual([{ start: 1_000, end: 1_250 }]);
  });

  it('lists every period that ended since the last evaluation, once and in order, when the evaluation runs late', () => {
    expect(closedPeriods(1_000, 1_800, 250)).toEqual([
      { start: 1_000, end: 1_250 },
      { start: 1_250, end: 1_500 },
      { start: 1_500, end: 1_750 },
    ]);
    // The next evaluation goes on from the end of the last period listed: nothing twice, nothing skipped.
    expect(closedPeriods(1_750, 2_000, 250)).toEqual([{ start: 1_750, end: 2_000 }]);
  });

  it('refuses a period start that is not aligned', () => {
    expect(() => closedPeriods(1_010, 2_000, 250)).toThrow('period start 1010 is not aligned to 250 ms');
  });
});

describe('MetricAlarm', () => {
  it('starts in INSUFFICIENT_DATA and reports each state change once, with a CloudWatch-style reason', () => {
    const alarm = new MetricAlarm(definition('notBreaching', { evaluationRangePeriods: undefined }));
    expect(alarm.state).toBe('INSUFFICIENT_DATA');
    const changes = [1, 1, 20, 1, 30, 40, _, _, _, _].map((value, i) => alarm.record(value, Date.UTC(2025, 0, 1, 0, 0, i)));
    expect(changes.map((c) => (c === undefined ? '-' : `${c.previous}->${c.state}`))).toEqual([
      // With notBreaching, the alarm leaves ALARM once fewer than 2 breaching datapoints remain in the range.
      'INSUFFICIENT_DATA->OK', '-', '-', '-', 'OK->ALARM', '-', '-', '-', '-', 'ALARM->OK',
    ]);
    expect(changes[4]?.reason).toBe(
      'Threshold Crossed: 2 out of the last 3 datapoints [20.0, 1.0, 30.0] at 00:00:04.000 were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
    expect(alarm.recent(3)).toEqual([_, _, _]);
  });

  it.each([
    [{ datapointsToAlarm: 4 }, /datapointsToAlarm must be between 1 and evaluationPeriods \(3\)/],
    [{ evaluationPeriods: 0 }, /evaluationPeriods must be a whole number of at least 1/],
    [{ periodMs: 0 }, /periodMs must be positive/],
    [{ evaluationRangePeriods: 2 }, /evaluationRangePeriods must be a whole number of at least evaluationPeriods/],
  ])('refuses an impossible definition %j', (overrides, message) => {
    expect(() => new MetricAlarm(definition('missing', overrides))).toThrow(message);
  });
});

describe('metricValue', () => {
  const requests = (statuses: number[], latency = (i: number) => i + 1) => statuses.map((status, i) => ({ status, latencyMs: latency(i) }));

  it('has no datapoint for a period without requests', () => {
    expect(metricValue('5xx-rate', [])).toBeUndefined();
    expect(metricValue('p99-latency', [])).toBeUndefined();
  });

  it('computes the 5xx rate in percent, counting only 5xx answers', () => {
    expect(metricValue('5xx-rate', requests([200, 500, 404, 503, 200]))).toBe(40);
  });

  it('computes p99 latency by nearest rank', () => {
    expect(metricValue('p99-latency', requests(Array.from({ length: 200 }, () => 200)))).toBe(198);
    expect(metricValue('p99-latency', requests([200, 200, 200]))).toBe(3);
  });
});
