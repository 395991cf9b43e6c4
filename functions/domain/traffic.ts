/**
 * Traffic figures of a release's target groups, pure: the window the control
 * API reads (periods aligned the way CloudWatch aligns them), the periods of a
 * window, nearest-rank percentiles, and a window's summary per version.
 */
import type { TrafficPeriod } from '../ports.js';

/** The starts of every period of [start, end), `periodSeconds` apart, oldest first. */
export function periodStarts(start: Date, end: Date, periodSeconds: number): Date[] {
  const step = periodSeconds * 1000;
  if (!(step > 0)) throw new RangeError(`periodSeconds must be positive, got ${String(periodSeconds)}`);
  const starts: Date[] = [];
  for (let at = start.getTime(); at < end.getTime(); at += step) starts.push(new Date(at));
  return starts;
}

/**
 * The last `periods` periods up to `at`, the one holding `at` included
 * (still open: it counts what arrived so far), aligned to multiples of the
 * period since the epoch, as CloudWatch aligns its datapoints.
 */
export function windowEndingAt(at: Date, periodSeconds: number, periods: number): { start: Date; end: Date } {
  const step = periodSeconds * 1000;
  const end = (Math.floor(at.getTime() / step) + 1) * step;
  return { start: new Date(end - periods * step), end: new Date(end) };
}

/** Nearest-rank percentile (`p` in (0, 100]) of values sorted ascending, as CloudWatch's pNN; undefined when empty. */
export function nearestRank(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A window's traffic on one target group, in one line. */
export interface TrafficSummary {
  readonly requests: number;
  readonly errors5xx: number;
  /** errors5xx ÷ requests, in percent; null without requests. */
  readonly errorRatePercent: number | null;
  /**
   * The worst (largest) p99 of the window's periods, in ms; null without
   * requests. Percentiles of different periods cannot be combined exactly;
   * the worst one is what an alarm on p99 would have seen.
   */
  readonly p99Ms: number | null;
}

/** Sums the counts of `periods` and keeps their worst p99. */
export function summarize(periods: readonly TrafficPeriod[]): TrafficSummary {
  const requests = periods.reduce((sum, p) => sum + p.requests, 0);
  const errors5xx = periods.reduce((sum, p) => sum + p.errors5xx, 0);
  const p99s = periods.map((p) => p.p99Ms).filter((v): v is number => v !== null);
  return {
    requests,
    errors5xx,
    errorRatePercent: requests === 0 ? null : (errors5xx / requests) * 100,
    p99Ms: p99s.length === 0 ? null : Math.max(...p99s),
  };
}
