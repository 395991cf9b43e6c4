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

/**
 * AWS's published table, row by row: "Configuring how CloudWatch alarms treat missing data", section "How alarm
 * state is evaluated when data is missing",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html#alarms-evaluating-missing-data
 * The rows are quoted as AWS wrote them in its source of the guide (github.com/awsdocs/amazon-cloudwatch-user-guide,
 * doc_source/AlarmThatSendsEmail.md at cc40332fd9cd65366e991a6fd68654b2875588cc). In the page's words: "0 is a
 * non-breaching data point, X is a breaching data point, and - is a missing data point", most recent on the right;
 * Evaluation Periods is 3 and "5 is the evaluation range for the alarm".
 */
const RETAIN = 'Retain current state';
type Published = AlarmState | typeof RETAIN;

interface PublishedRow {
  /** The "Data points" column, verbatim. */
  readonly datapoints: string;
  /** The "# of data points that must be filled" column. */
  readonly filled: number;
  readonly expected: Readonly<Record<TreatMissingData, Published>>;
}

/** "0" is 0 and "X" is 10 against a threshold of 5 (GreaterThanThreshold); "-" has no datapoint. */
function points(row: string): Datapoint[] {
  return row.split(' ').map((symbol) => {
    if (symbol === '-') return undefined;
    if (symbol === '0') return 0;
    if (symbol === 'X') return 10;
    throw new RangeError(`not a datapoint symbol: ${symbol}`);
  });
}

const TREATMENTS: readonly TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
const STATES: readonly AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

function row(datapoints: string, filled: number, missing: Published, ignore: Published, breaching: Published, notBreaching: Published): PublishedRow {
  return { datapoints, filled, expected: { missing, ignore, breaching, notBreaching } };
}

// "In the first table, Datapoints to Alarm and Evaluation Periods are both 3."
// | Data points | # of data points that must be filled | MISSING | IGNORE | BREACHING | NOT BREACHING |
// |  0 - X - X  |  0  |  OK                 |  OK                    |  OK     |  OK  |
// |  0 - - - -  |  2  |  OK                 |  OK                    |  OK     |  OK  |
// |  - - - - -  |  3  |  INSUFFICIENT_DATA  |  Retain current state  |  ALARM  |  OK  |
// |  0 X X - X  |  0  |  ALARM              |  ALARM                 |  ALARM  |  ALARM  |
// |  - - X - -  |  2  |  ALARM              |  Retain current state  |  ALARM  |  OK  |
const THREE_OF_THREE: readonly PublishedRow[] = [
  row('0 - X - X', 0, 'OK', 'OK', 'OK', 'OK'),
  row('0 - - - -', 2, 'OK', 'OK', 'OK', 'OK'),
  row('- - - - -', 3, 'INSUFFICIENT_DATA', RETAIN, 'ALARM', 'OK'),
  row('0 X X - X', 0, 'ALARM', 'ALARM', 'ALARM', 'ALARM'),
  row('- - X - -', 2, 'ALARM', RETAIN, 'ALARM', 'OK'),
];

// "In the next table, ... Datapoints to Alarm is only 2 while Evaluation Periods is 3. This is a 2 out of 3, M out of N alarm."
// | Data points | # of missing data points | MISSING | IGNORE | BREACHING | NOT BREACHING |
// |  0 - X - X  |  0  |  ALARM  |  ALARM                 |  ALARM  |  ALARM  |
// |  0 0 X 0 X  |  0  |  ALARM  |  ALARM                 |  ALARM  |  ALARM  |
// |  0 - X - -  |  1  |  OK     |  OK                    |  ALARM  |  OK  |
// |  - - - - 0  |  2  |  OK     |  OK                    |  ALARM  |  OK  |
// |  - - - X -  |  2  |  ALARM  |  Retain current state  |  ALARM  |  OK  |
const TWO_OF_THREE: readonly PublishedRow[] = [
  row('0 - X - X', 0, 'ALARM', 'ALARM', 'ALARM', 'ALARM'),
  row('0 0 X 0 X', 0, 'ALARM', 'ALARM', 'ALARM', 'ALARM'),
  row('0 - X - -', 1, 'OK', 'OK', 'ALARM', 'OK'),
  row('- - - - 0', 2, 'OK', 'OK', 'ALARM', 'OK'),
  row('- - - X -', 2, 'ALARM', RETAIN, 'ALARM', 'OK'),
];

interface TableCase {
  readonly name: string;
  readonly m: number;
  readonly datapoints: string;
  readonly treat: TreatMissingData;
  readonly current: AlarmState;
  readonly expected: AlarmState;
}

/** Every row, every treatment, from every current state: a published state must not depend on the current one. */
function tableCases(table: readonly PublishedRow[], m: number): TableCase[] {
  return table.flatMap((published, index) =>
    TREATMENTS.flatMap((treat) =>
      STATES.map((current) => {
        const answer = published.expected[treat];
        return {
          name: `row ${String(index + 1)} "${published.datapoints}", ${treat}, from ${current}: ${answer}`,
          m,
          datapoints: published.datapoints,
          treat,
          current,
          expected: answer === RETAIN ? current : answer,
        };
      }),
    ),
  );
}

describe.each([
  ['3 of Evaluation Periods 3', tableCases(THREE_OF_THREE, 3)],
  ['2 of Evaluation Periods 3', tableCases(TWO_OF_THREE, 2)],
] as const)('evaluateAlarm: the published missing-data table, Datapoints to Alarm %s', (_title, cases) => {
  for (const { name, m, datapoints, treat, current, expected } of cases) {
    it(name, () => {
      expect(evaluateAlarm(definition(treat, { datapointsToAlarm: m }), points(datapoints), current).state).toBe(expected);
    });
  }
});

describe('evaluateAlarm: how many datapoints are filled ("CloudWatch uses missing data points only as few times as possible")', () => {
  const cases = [...THREE_OF_THREE.map((r) => [3, r] as const), ...TWO_OF_THREE.map((r) => [2, r] as const)].flatMap(([m, published]) =>
    (['breaching', 'notBreaching'] as const).map((treat) => ({ name: `${String(m)} of 3 "${published.datapoints}", ${treat}: ${String(published.filled)} filled`, m, treat, published })),
  );
  for (const { name, m, treat, published } of cases) {
    it(name, () => {
      const verdict = evaluateAlarm(definition(treat, { datapointsToAlarm: m }), points(published.datapoints), 'OK');
      expect(verdict.evaluated).toHaveLength(3);
      expect(verdict.evaluated.filter((p) => p.value === undefined)).toHaveLength(published.filled);
    });
  }

  // Of 2-of-3 rows 3 and 4: "the two most recent missing data points are both treated as breaching".
  it('fills the most recent missing periods: 2-of-3 row 4 "- - - - 0" fills the two before the 0, row 3 "0 - X - -" the newest one', () => {
    expect(evaluateAlarm(definition('breaching'), points('- - - - 0'), 'OK').evaluated).toEqual([
      { value: _, breaching: true },
      { value: _, breaching: true },
      { value: 0, breaching: false },
    ]);
    expect(evaluateAlarm(definition('breaching'), points('0 - X - -'), 'OK').evaluated.map((p) => p.value)).toEqual([0, 10, _]);
  });
});

/**
 * "Avoiding premature transitions to alarm state" (same page, #CloudWatch-alarms-avoiding-premature-transition),
 * with missing data treated as missing, Evaluation Periods 3, evaluation range 5:
 * "the alarm does not go immediately into ALARM state when the data is either - - - - X or - - - X - and Datapoints
 * to Alarm is 3. This way, false positives are avoided when the next data point is non-breaching and causes the data
 * to be - - - X O or - - X - O. However, if the last few data points are - - X - -, the alarm goes into ALARM state
 * even if missing data points are treated as missing. [...] This alarm logic applies to M out of N alarms as well."
 */
describe('evaluateAlarm: avoiding premature transitions to alarm state', () => {
  // The page says only that these do not go to ALARM; which state they are in instead it does not say. Our reading:
  // the one breaching datapoint may still be followed by good ones, so the alarm stays where it is.
  const notYet: [string, number, string][] = [
    ['a breaching datapoint only in the newest period', 3, '- - - - X'],
    ['a breaching datapoint two periods ago, nothing since', 3, '- - - X -'],
    ['2 of 3: a breaching datapoint only in the newest period', 2, '- - - - X'],
  ];
  describe.each(notYet)('%s (%i of 3, "%s")', (_name, m, datapoints) => {
    it.each(['OK', 'INSUFFICIENT_DATA'] as const)('with missing, does not go to ALARM from %s, and stays there', (current) => {
      const verdict = evaluateAlarm(definition('missing', { datapointsToAlarm: m }), points(datapoints), current);
      expect(verdict.state).not.toBe('ALARM');
      expect(verdict.state).toBe(current);
    });
    it.each(['OK', 'INSUFFICIENT_DATA'] as const)('with ignore, does not go to ALARM from %s either', (current) => {
      expect(evaluateAlarm(definition('ignore', { datapointsToAlarm: m }), points(datapoints), current).state).toBe(current);
    });
  });

  const decided: [string, number, string, AlarmState][] = [
    ['the next datapoint is good: "- - - X O"', 3, '- - - X 0', 'OK'],
    ['a good datapoint after a gap: "- - X - O"', 3, '- - X - 0', 'OK'],
    ['"- - X - -": the breaching datapoint is as old as Datapoints to Alarm, the newer ones missing', 3, '- - X - -', 'ALARM'],
    ['2 of 3, "- - - X -": the breaching datapoint is as old as Datapoints to Alarm', 2, '- - - X -', 'ALARM'],
    ['the only datapoint, breaching, at the oldest end of the range', 3, 'X - - - -', 'ALARM'],
    ['two breaching datapoints, the oldest old enough, fewer than M of them', 3, '- X - X -', 'ALARM'],
  ];
  it.each(decided)('%s (%i of 3, "%s"), missing data treated as missing, from OK: %s', (_name, m, datapoints, state) => {
    expect(evaluateAlarm(definition('missing', { datapointsToAlarm: m }), points(datapoints), 'OK').state).toBe(state);
  });

  // Row 3 of the 2-of-3 table ("0 - X - -": MISSING OK) is older-breaching-than-M with only missing points after it,
  // yet OK: the rule holds only when every real datapoint in the range is breaching ("all other ... are breaching or missing").
  it('does not apply when a real good datapoint is in the range (2-of-3 row 3, "0 - X - -": OK)', () => {
    expect(evaluateAlarm(definition('missing', { datapointsToAlarm: 2 }), points('0 - X - -'), 'ALARM').state).toBe('OK');
  });

  it('goes to ALARM from OK only when the breaching datapoint has aged: "- - - - X", "- - - X -", "- - X - -", evaluated period by period', () => {
    const alarm = new MetricAlarm(definition('missing', { datapointsToAlarm: 3 }));
    const states = [0, _, _, _, _, 10, _, _].map((value, i) => {
      alarm.record(value, Date.UTC(2025, 0, 1, 0, 0, i));
      return alarm.state;
    });
    // [0] .. [0 - - - -]: OK; then "- - - - X", "- - - X -": still OK; then "- - X - -": ALARM.
    expect(states).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'ALARM']);
  });

  it('stays OK when the datapoint after a lone breaching one is good ("- - - X O")', () => {
    const alarm = new MetricAlarm(definition('missing', { datapointsToAlarm: 3 }));
    const changes = [0, _, _, _, _, 10, 0].map((value, i) => alarm.record(value, Date.UTC(2025, 0, 1, 0, 0, i)));
    expect(changes.filter((c) => c !== undefined).map((c) => `${c.previous}->${c.state}`)).toEqual(['INSUFFICIENT_DATA->OK']);
    expect(alarm.state).toBe('OK');
  });
});

describe('evaluateAlarm: the evaluation range', () => {
  // "CloudWatch attempts to retrieve a higher number of data points than the number specified as Evaluation
  // Periods [...] The time frame of the data points that it attempts to retrieve is the evaluation range."
  it('takes the N most recent real datapoints, reaching back past gaps within the range (3-of-3 row 4, "0 X X - X")', () => {
    const verdict = evaluateAlarm(definition('notBreaching', { datapointsToAlarm: 3 }), points('0 X X - X'), 'OK');
    expect(verdict.evaluated.map((p) => p.value)).toEqual([10, 10, 10]);
    expect(verdict.state).toBe('ALARM');
  });

  it('does not reach beyond the range for real datapoints: with fewer than N in it, it fills instead', () => {
    // Range 5: the good datapoints before it would make this OK; the range alone is one breach and two breaching fills.
    expect(evaluateAlarm(definition('breaching'), [1, 1, 1, _, _, _, _, 10], 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(definition('notBreaching'), [10, 10, _, _, _, _, 1], 'ALARM').state).toBe('OK');
    expect(evaluateAlarm(definition('missing'), [10, 10, _, _, _, _, _], 'ALARM').state).toBe('INSUFFICIENT_DATA');
  });

  it('is N + 2 periods unless set, the page\'s 5 for 3 evaluation periods', () => {
    const datapoints = [10, 10, _, _, _, _, 1];
    expect(evaluateAlarm(definition('notBreaching', { evaluationRangePeriods: undefined }), datapoints, 'OK').state).toBe('OK');
    expect(evaluateAlarm(definition('notBreaching', { evaluationRangePeriods: 7 }), datapoints, 'OK').state).toBe('ALARM');
  });

  // "In the second row of the preceding table, the alarm stays OK even if missing data is treated as breaching [...]
  // The next time this alarm is evaluated, if the data is still missing it will go to ALARM, as that non-breaching
  // data point will no longer be in the evaluation range."
  it('3-of-3 row 2 with breaching: OK while the good datapoint is in the range, ALARM at the next evaluation without it', () => {
    const alarm = new MetricAlarm(definition('breaching', { datapointsToAlarm: 3 }));
    const states = [0, _, _, _, _, _].map((value, i) => {
      alarm.record(value, Date.UTC(2025, 0, 1, 0, 0, i));
      return alarm.state;
    });
    expect(states).toEqual(['OK', 'OK', 'OK', 'OK', 'OK', 'ALARM']);
  });

  // Why the demo and the bench keep one steady load across releases: a gap in the load is missing
  // datapoints, and across it an earlier release's breaching datapoint still counts with the next one's.
  it.each(TREATMENTS)('a breach before a gap of missing data counts with a new one (%s → ALARM); with datapoints in the gap it does not', (treat) => {
    expect(evaluateAlarm(definition(treat), [10, _, _, _, 10], 'OK').state).toBe('ALARM');
    expect(evaluateAlarm(definition(treat), [10, 0, 0, 0, 10], 'OK').state).toBe('OK');
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
