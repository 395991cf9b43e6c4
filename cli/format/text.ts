/** Small text helpers for the CLI's human output: aligned tables, durations, times. */

/** Rows as aligned columns (two spaces apart), the header first; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_h, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Label/value lines with the values aligned. */
export function fields(pairs: readonly (readonly [label: string, value: string | undefined])[]): string {
  const shown = pairs.filter((pair): pair is readonly [string, string] => pair[1] !== undefined && pair[1] !== '');
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${`${label}:`.padEnd(width + 1)}  ${value}`).join('\n');
}

/** A duration in seconds as `1h02m`, `4m05s`, `12s`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${String(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${String(m)}m${String(s % 60).padStart(2, '0')}s`;
  return `${String(Math.floor(m / 60))}h${String(m % 60).padStart(2, '0')}m`;
}

/** An ISO time as `2026-12-02 13:38:31` (UTC, as the ledger records it). */
export function time(iso: string | undefined): string {
  if (iso === undefined) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** Weights as `stable 90 / canary 10`. */
export function weights(w: { readonly stable: number; readonly canary: number } | undefined): string | undefined {
  return w === undefined ? undefined : `stable ${String(w.stable)}% / canary ${String(w.canary)}%`;
}
