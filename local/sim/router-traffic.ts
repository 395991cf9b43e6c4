/**
 * What the local routers saw, per target group: the one record of every
 * routed request (when it was answered, its status, the target's own
 * response time), kept for a retention window. The alarms read their
 * periods from it (local/sim/http-cloud.ts), and it is the local
 * TrafficMetrics: request count, 5xx count and nearest-rank p50/p90/p99 of
 * the target-side time per period, as CloudWatch's AWS/ApplicationELB
 * metrics report them for an ALB.
 *
 * Requests are appended as they are answered, so each target group's list is
 * in time order and a period is found by binary search.
 */
import { nearestRank, periodStarts } from '../../functions/domain/traffic.js';
import type { TargetGroupTraffic, TrafficMetrics, TrafficQuery } from '../../functions/ports.js';

/** One request a router answered for a target group. */
export interface RoutedObservation {
  /** When the answer ended (ms since the epoch). */
  readonly at: number;
  readonly status: number;
  /** The target's response time in ms (TargetResponseTime), or the router's own for an answer it gave itself. */
  readonly latencyMs: number;
}

/** How long requests are kept by default: the control API reads the last minute locally; ten leave room. */
export const DEFAULT_RETENTION_MS = 10 * 60_000;

export class RouterTraffic implements TrafficMetrics {
  private readonly byTargetGroup = new Map<string, RoutedObservation[]>();

  public constructor(
    /** Requests older than this (ms) are dropped, unless something still needs them (see {@link prune}). */
    private readonly retentionMs = DEFAULT_RETENTION_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Records one request answered for `targetGroupArn`. */
  public record(targetGroupArn: string, observation: RoutedObservation): void {
    let list = this.byTargetGroup.get(targetGroupArn);
    if (list === undefined) {
      list = [];
      this.byTargetGroup.set(targetGroupArn, list);
    }
    list.push(observation);
    // Amortized: drop the old head once it is a sizeable share of the list.
    const first = list[0];
    if (first !== undefined && list.length % 1024 === 0 && first.at < this.clock() - this.retentionMs) this.prune(this.clock() - this.retentionMs);
  }

  /** The requests of a target group answered in [start, end), in time order. */
  public between(targetGroupArn: string, start: number, end: number): readonly RoutedObservation[] {
    const list = this.byTargetGroup.get(targetGroupArn) ?? [];
    return list.slice(lowerBound(list, start), lowerBound(list, end));
  }

  /** Drops requests answered before `before` and before the retention window. */
  public prune(before: number): void {
    const cut = Math.min(before, this.clock() - this.retentionMs);
    for (const list of this.byTargetGroup.values()) {
      const drop = lowerBound(list, cut);
      if (drop > 0) list.splice(0, drop);
    }
  }

  /** TrafficMetrics: every period of the window per target, from the requests kept (none kept: 0 requests). */
  public read(query: TrafficQuery): Promise<TargetGroupTraffic[]> {
    const step = query.periodSeconds * 1000;
    const starts = periodStarts(query.start, query.end, query.periodSeconds);
    return Promise.resolve(
      query.targets.map((target) => ({
        targetGroupArn: target.targetGroupArn,
        periods: starts.map((start) => {
          const requests = this.between(target.targetGroupArn, start.getTime(), Math.min(start.getTime() + step, query.end.getTime()));
          const sorted = requests.map((r) => r.latencyMs).sort((a, b) => a - b);
          const p = (n: number) => nearestRank(sorted, n) ?? null;
          return { start, requests: requests.length, errors5xx: requests.filter((r) => r.status >= 500).length, p50Ms: p(50), p90Ms: p(90), p99Ms: p(99) };
        }),
      })),
    );
  }
}

/** The first index whose request was answered at or after `at`. */
function lowerBound(list: readonly RoutedObservation[], at: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((list[mid]?.at ?? at) < at) low = mid + 1;
    else high = mid;
  }
  return low;
}
