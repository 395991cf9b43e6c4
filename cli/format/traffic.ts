/** Human view of a release's traffic per version: one line, as watch shows it. */
import type { TrafficAnswer, VersionTrafficView } from '../commands/responses.js';

/** `0.1 %` under 10 %, `20 %` above: the figure a glance needs. */
function rate(percent: number | null): string {
  if (percent === null) return '– % 5xx';
  return `${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)} % 5xx`;
}

function versionPart(v: VersionTrafficView): string {
  return `${v.version} (${v.role}) ${String(v.requests)} req · ${rate(v.errorRatePercent)} · p99 ${v.p99Ms === null ? '–' : `${v.p99Ms < 10 ? v.p99Ms.toFixed(1) : v.p99Ms.toFixed(0)} ms`}`;
}

/** `v1 (stable) 812 req · 0.1 % 5xx · p99 41 ms | v2 (canary) 95 req · 20 % 5xx · p99 38 ms  (last 60 s)`: over the window the API read. */
export function trafficLine(traffic: TrafficAnswer): string {
  if (traffic.versions.length === 0) return 'no target group recorded yet';
  const seconds = ((Date.parse(traffic.end) - Date.parse(traffic.start)) / 1000).toFixed(0);
  return `${traffic.versions.map(versionPart).join(' | ')}  (last ${seconds} s)`;
}
