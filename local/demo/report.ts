/**
 * The demo's summary: a table per release and the one JSON document
 * `--json` writes (the ledger's own history is `rollgate history`'s).
 */
import type { ReleaseReport } from './run-release.js';
import type { ScenarioName } from './scenarios.js';

/** How the demo stopped before its releases ended: Ctrl-C, SIGTERM or its time limit. */
export interface DemoStop {
  readonly reason: 'interrupted' | 'terminated' | 'time-limit';
  /** The release that was running, as the ledger had it then; null when none had started. */
  readonly running: {
    readonly scenario: ScenarioName;
    readonly version: string;
    readonly releaseId: string | null;
    readonly status: string | null;
    readonly step: string | null;
  } | null;
  /** Scenarios that never started. */
  readonly notRun: readonly ScenarioName[];
}

/** What `--json` prints: one document, nothing else on stdout. */
export interface DemoSummary {
  readonly service: string;
  readonly asExpected: boolean;
  readonly durationMs: number;
  readonly stable: string | null;
  /** The releases that ended. */
  readonly releases: readonly ReleaseReport[];
  /** Present when the demo stopped early. */
  readonly stopped?: DemoStop;
}

export function summaryTable(reports: readonly ReleaseReport[]): string[] {
  const rows = reports.map((r) => [
    r.scenario,
    r.version,
    `${r.status ?? '?'}/${r.outcome ?? '?'}`,
    r.asExpected ? 'yes' : `NO (wanted ${r.expected.status}/${r.expected.outcome})`,
    `${(r.durationMs / 1000).toFixed(1)} s`,
    String(r.transitions),
    Object.entries(r.requests.byVersion)
      .map(([version, t]) => `${version} ${String(t.total)}/${String(t.failed)}`)
      .join(', ') || '-',
    r.rollbackReactionMs === null ? '-' : `${String(r.rollbackReactionMs)} ms`,
  ]);
  const header = ['scenario', 'version', 'status/outcome', 'expected', 'duration', 'transitions', 'requests/failed per version', 'alarm->restored'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => `   ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}`.trimEnd();
  const lines = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
  for (const r of reports) {
    lines.push(`   ${r.scenario}: ${r.reason ?? 'no reason recorded'}${r.rollbackTrigger === null ? '' : ` (rollback set off by ${r.rollbackTrigger})`}`);
  }
  return lines;
}

/** What was running and what never ran, when the demo stopped early. */
export function stoppedLines(stop: DemoStop | undefined): string[] {
  if (stop === undefined) return [];
  const lines: string[] = [];
  const { running } = stop;
  if (running === null) lines.push('   no release had started');
  else {
    const where = running.status === null ? 'not started yet' : `${running.status}${running.step === null ? '' : ` at ${running.step}`}`;
    lines.push(`   ${running.scenario} (${running.version}) was running: ${where}${running.releaseId === null ? '' : `, release ${running.releaseId}`}`);
  }
  if (stop.notRun.length > 0) lines.push(`   not run: ${stop.notRun.join(', ')}`);
  return lines;
}
