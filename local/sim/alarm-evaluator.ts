/**
 * CloudWatch metric-alarm semantics, for alarms computed from what the local
 * router saw: a statistic per period, a threshold and a comparison, M
 * datapoints to alarm out of N evaluation periods, and a treatment of missing
 * data. {@link evaluateAlarm} is the pure rule; {@link MetricAlarm} keeps an
 * alarm's datapoints and state and reports its state changes.
 *
 * The rule follows "How alarm state is evaluated when data is missing" and
 * "Avoiding premature transitions to alarm state"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html),
 * whose two tables the tests encode row by row:
 *
 * - CloudWatch looks at an evaluation range a little longer than N periods,
 *   and never further back.
 * - When that range holds at least N real datapoints, the N most recent real
 *   ones decide (reaching back past gaps within the range) and the
 *   missing-data treatment is not used: ALARM when at least M of them breach,
 *   else OK.
 * - With fewer than N real datapoints, `breaching` and `notBreaching` fill the
 *   most recent missing periods, as few as make N, and every real datapoint
 *   in the range counts: M of N decides.
 * - `missing` and `ignore` invent nothing. No real datapoint at all: `missing`
 *   goes to INSUFFICIENT_DATA, `ignore` keeps the current state. Otherwise the
 *   real datapoints decide when they can: ALARM when at least M breach, OK
 *   when any of them is good (the tables' "0 - - - -", "0 - X - -",
 *   "- - - - 0" rows are OK for both). When every real one breaches but fewer
 *   than M do, `missing` goes to ALARM only once the oldest of them is at
 *   least M periods old (the premature-ALARM rule: "- - X - -" alarms at 3 of
 *   3, "- - - - X" and "- - - X -" do not yet, since the next datapoint may be
 *   good), and `ignore` keeps the current state (the tables' rows 5). The page
 *   names no state for the "not yet" case; we keep the current one, as
 *   `ignore` does.
 *
 * The page states the premature rule as "all of the more recent data points
 * are either breaching or missing"; its own row "0 - X - -" (2 of 3, MISSING:
 * OK) shows that an older good datapoint in the range stops it too, so the
 * rule here needs every real datapoint in the range to breach.
 *
 * AWS does not publish how much longer than N the range is ("depends on the
 * length of the alarm period and whether it is based on a metric with
 * standard resolution or high resolution"); it is a setting here
 * ({@link AlarmDefinition.evaluationRangePeriods}), N + 2 by default, the
 * page's 5 for 3 evaluation periods.
 *
 * Periods are aligned the way CloudWatch aligns them: period k covers
 * [k·period, (k+1)·period) since the epoch, and its datapoint exists only once
 * it has ended ({@link closedPeriods}). Each period is evaluated once, in
 * order, even when the evaluation runs late, so every request lands in
 * exactly one datapoint.
 */

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';
export type ComparisonOperator =
  | 'GreaterThanThreshold'
  | 'GreaterThanOrEqualToThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** The settings of a metric alarm (PutMetricAlarm's names). */
export interface AlarmDefinition {
  readonly alarmName: string;
  /** Length of one datapoint, in ms (CloudWatch: `Period` seconds; compressed here). */
  readonly periodMs: number;
  /** N: how many recent datapoints are evaluated. */
  readonly evaluationPeriods: number;
  /** M: how many of those must breach for ALARM. @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  readonly threshold: number;
  readonly comparisonOperator: ComparisonOperator;
  /** @default 'missing' (CloudWatch's default) */
  readonly treatMissingData?: TreatMissingData;
  /** Periods in the evaluation range (at least N). @default evaluationPeriods + 2 */
  readonly evaluationRangePeriods?: number;
}

/** One period's value, or undefined when the metric had no datapoint in it. */
export type Datapoint = number | undefined;

export interface AlarmVerdict {
  readonly state: AlarmState;
  /** The datapoints that decided (real and filled), oldest first, for the state reason. */
  readonly evaluated: readonly { readonly value: Datapoint; readonly breaching: boolean }[];
  readonly breachingCount: number;
}

/** The same validation PutMetricAlarm does, so a mistake fails where the alarm is defined. */
export function validateAlarmDefinition(definition: AlarmDefinition): void {
  const { alarmName, periodMs, evaluationPeriods, datapointsToAlarm = evaluationPeriods } = definition;
  const range = definition.evaluationRangePeriods ?? evaluationPeriods + 2;
  const problem =
    !(periodMs > 0)
      ? 'periodMs must be positive'
      : !Number.isInteger(evaluationPeriods) || evaluationPeriods < 1
        ? 'evaluationPeriods must be a whole number of at least 1'
        : !Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods
          ? `datapointsToAlarm must be between 1 and evaluationPeriods (${String(evaluationPeriods)})`
          : !Number.isInteger(range) || range < evaluationPeriods
            ? 'evaluationRangePeriods must be a whole number of at least evaluationPeriods'
            : undefined;
  if (problem !== undefined) throw new RangeError(`alarm ${alarmName}: ${problem}`);
}

export function breaches(definition: Pick<AlarmDefinition, 'threshold' | 'comparisonOperator'>, value: number): boolean {
  switch (definition.comparisonOperator) {
    case 'GreaterThanThreshold':
      return value > definition.threshold;
    case 'GreaterThanOrEqualToThreshold':
      return value >= definition.threshold;
    case 'LessThanThreshold':
      return value < definition.threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= definition.threshold;
  }
}

/**
 * The state an alarm goes to, given the datapoints of its evaluation range
 * (oldest first; only the last `evaluationRangePeriods` are looked at, and
 * fewer mean the periods before them had no datapoint) and the state it is in
 * now.
 */
export function evaluateAlarm(definition: AlarmDefinition, datapoints: readonly Datapoint[], current: AlarmState): AlarmVerdict {
  const n = definition.evaluationPeriods;
  const m = definition.datapointsToAlarm ?? n;
  const range = datapoints.slice(-(definition.evaluationRangePeriods ?? n + 2));
  const treat = definition.treatMissingData ?? 'missing';
  const judged = (value: number) => ({ value, breaching: breaches(definition, value) });
  const real = range.filter((value): value is number => value !== undefined).map(judged);
  const decide = (evaluated: AlarmVerdict['evaluated'], state?: AlarmState): AlarmVerdict => {
    const breachingCount = evaluated.filter((p) => p.breaching).length;
    return { state: state ?? (breachingCount >= m ? 'ALARM' : 'OK'), evaluated, breachingCount };
  };

  if (real.length >= n) return decide(real.slice(-n));
  if (treat === 'breaching' || treat === 'notBreaching') return decide(filled(range, n - real.length, treat === 'breaching', judged));
  if (real.length === 0) return decide([], treat === 'missing' ? 'INSUFFICIENT_DATA' : current);

  const breachingCount = real.filter((p) => p.breaching).length;
  if (breachingCount >= m) return decide(real, 'ALARM');
  if (breachingCount < real.length) return decide(real, 'OK');
  // Every real datapoint breaches, fewer than M of them.
  const oldestAge = range.length - range.findIndex((value) => value !== undefined);
  return decide(real, treat === 'missing' && oldestAge >= m ? 'ALARM' : current);
}

/** Every real datapoint of the range and its `fills` most recent missing periods, oldest first; a range shorter than N is preceded by the rest. */
function filled(
  range: readonly Datapoint[],
  fills: number,
  breaching: boolean,
  judged: (value: number) => { value: number; breaching: boolean },
): { value: Datapoint; breaching: boolean }[] {
  const evaluated: { value: Datapoint; breaching: boolean }[] = [];
  let left = fills;
  for (let i = range.length - 1; i >= 0; i--) {
    const value = range[i];
    if (value !== undefined) evaluated.unshift(judged(value));
    else if (left > 0) {
      evaluated.unshift({ value: undefined, breaching });
      left--;
    }
  }
  for (; left > 0; left--) evaluated.unshift({ value: undefined, breaching });
  return evaluated;
}

/** One aggregation period: [start, end) in ms since the epoch. */
export interface Period {
  readonly start: number;
  readonly end: number;
}

/** The start of the period holding `at`: periods are aligned to multiples of `periodMs` since the epoch. */
export function periodStart(at: number, periodMs: number): number {
  return Math.floor(at / periodMs) * periodMs;
}

/**
 * The periods that have ended by `now` and were not evaluated yet, oldest
 * first: those from `nextStart` (the start of the first unevaluated period,
 * aligned) whose end is at or before `now`. Empty while the period holding
 * `now` is still open: its datapoint does not exist yet.
 */
export function closedPeriods(nextStart: number, now: number, periodMs: number): Period[] {
  if (periodStart(nextStart, periodMs) !== nextStart) throw new RangeError(`period start ${String(nextStart)} is not aligned to ${String(periodMs)} ms`);
  const periods: Period[] = [];
  for (let start = nextStart; start + periodMs <= now; start += periodMs) periods.push({ start, end: start + periodMs });
  return periods;
}

/** A state change, as EventBridge's "CloudWatch Alarm State Change" carries it. */
export interface AlarmStateChange {
  readonly alarmName: string;
  readonly previous: AlarmState;
  readonly state: AlarmState;
  /** CloudWatch-style stateReason. */
  readonly reason: string;
  /** When the evaluation that changed the state ran (ms since the epoch). */
  readonly at: number;
}

/**
 * One alarm's datapoints and state. Feed it a datapoint per closed period,
 * every period in order (see {@link closedPeriods}), with {@link record}; it
 * evaluates after each one, like CloudWatch evaluating every period, and
 * returns the state change if there was one.
 */
export class MetricAlarm {
  private readonly datapoints: Datapoint[] = [];
  private current: AlarmState = 'INSUFFICIENT_DATA';

  public constructor(public readonly definition: AlarmDefinition) {
    validateAlarmDefinition(definition);
  }

  public get state(): AlarmState {
    return this.current;
  }

  /** The last datapoints recorded, oldest first. */
  public recent(count: number): readonly Datapoint[] {
    return this.datapoints.slice(-count);
  }

  public record(value: Datapoint, at: number): AlarmStateChange | undefined {
    this.datapoints.push(value);
    const keep = this.definition.evaluationRangePeriods ?? this.definition.evaluationPeriods + 2;
    if (this.datapoints.length > keep) this.datapoints.splice(0, this.datapoints.length - keep);
    const verdict = evaluateAlarm(this.definition, this.datapoints, this.current);
    if (verdict.state === this.current) return undefined;
    const previous = this.current;
    this.current = verdict.state;
    return { alarmName: this.definition.alarmName, previous, state: verdict.state, reason: stateReason(this.definition, verdict, previous, at), at };
  }
}

const OPERATOR_WORDS: Readonly<Record<ComparisonOperator, string>> = {
  GreaterThanThreshold: 'greater than',
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** Worded like CloudWatch's: "Threshold Crossed: 2 out of the last 3 datapoints [...] were greater than the threshold (5.0) ...". */
function stateReason(definition: AlarmDefinition, verdict: AlarmVerdict, previous: AlarmState, at: number): string {
  if (verdict.state === 'INSUFFICIENT_DATA') return 'Insufficient Data: no datapoints were received in the evaluation range.';
  const time = new Date(at).toISOString().slice(11, 23);
  const values = verdict.evaluated.map((p) => (p.value === undefined ? 'missing' : p.value.toFixed(1))).join(', ');
  const m = definition.datapointsToAlarm ?? definition.evaluationPeriods;
  const words = OPERATOR_WORDS[definition.comparisonOperator];
  const counted = verdict.state === 'ALARM' ? verdict.breachingCount : verdict.evaluated.length - verdict.breachingCount;
  return (
    `Threshold Crossed: ${String(counted)} out of the last ${String(verdict.evaluated.length)} datapoints [${values}] at ${time} ` +
    `${verdict.state === 'ALARM' ? 'were' : 'were not'} ${words} the threshold (${definition.threshold.toFixed(1)}) ` +
    `(minimum ${String(m)} datapoints for ${previous} -> ${verdict.state} transition).`
  );
}
