/**
 * CloudWatch metric-alarm semantics, for alarms computed from what the local
 * router saw: a statistic per period, a threshold and a comparison, M
 * datapoints to alarm out of N evaluation periods, and a treatment of missing
 * data. {@link evaluateAlarm} is the pure rule; {@link MetricAlarm} keeps an
 * alarm's datapoints and state and reports its state changes.
 *
 * The rule follows "How alarm state is evaluated when data is missing"
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html):
 *
 * - CloudWatch looks at an evaluation range a little longer than N periods.
 * - When that range holds at least N real datapoints, the N most recent real
 *   ones decide (looking further back past gaps) and the missing-data
 *   treatment is not used: ALARM when at least M of them breach, else OK.
 * - With fewer than N real datapoints, missing ones are filled as few times as
 *   possible: `breaching` fills with breaching points, `notBreaching` with good
 *   ones, and then M of N decides. `missing` and `ignore` do not invent points:
 *   with no real datapoint at all `missing` goes to INSUFFICIENT_DATA and
 *   `ignore` keeps the current state; with some, the real ones decide on their
 *   own (ALARM when at least min(M, real) of them breach), which is our reading
 *   of "does not consider missing data points when evaluating whether to
 *   change state".
 *
 * AWS does not publish how much longer than N the range is; it is a setting
 * here ({@link AlarmDefinition.evaluationRangePeriods}).
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
 * (oldest first; only the last `evaluationRangePeriods` are looked at) and
 * the state it is in now.
 */
export function evaluateAlarm(definition: AlarmDefinition, datapoints: readonly Datapoint[], current: AlarmState): AlarmVerdict {
  const n = definition.evaluationPeriods;
  const m = definition.datapointsToAlarm ?? n;
  const range = datapoints.slice(-(definition.evaluationRangePeriods ?? n + 2));
  const real = range.filter((value): value is number => value !== undefined).map((value) => ({ value, breaching: breaches(definition, value) }));
  const treat = definition.treatMissingData ?? 'missing';
  const count = (points: readonly { breaching: boolean }[]) => points.filter((p) => p.breaching).length;

  if (real.length >= n) {
    const evaluated = real.slice(-n);
    const breachingCount = count(evaluated);
    return { state: breachingCount >= m ? 'ALARM' : 'OK', evaluated, breachingCount };
  }
  if (treat === 'breaching' || treat === 'notBreaching') {
    const filled = Array.from({ length: n - real.length }, () => ({ value: undefined, breaching: treat === 'breaching' }));
    const evaluated = [...filled, ...real];
    const breachingCount = count(evaluated);
    return { state: breachingCount >= m ? 'ALARM' : 'OK', evaluated, breachingCount };
  }
  if (real.length === 0) {
    return { state: treat === 'missing' ? 'INSUFFICIENT_DATA' : current, evaluated: [], breachingCount: 0 };
  }
  const breachingCount = count(real);
  return { state: breachingCount >= Math.min(m, real.length) ? 'ALARM' : 'OK', evaluated: real, breachingCount };
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
