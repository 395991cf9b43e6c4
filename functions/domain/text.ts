/**
 * Free text that goes into the ledger or a message: cut to a length without
 * splitting a grapheme (an emoji, a flag, a letter with its accents stays
 * whole), and kept free of the control characters the ledger refuses. Pure.
 */

/** The longest reason the ledger stores (a release's reason, a status change's). */
export const MAX_REASON_LENGTH = 2048;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * `raw` cut between graphemes so that what it renders to counts at most `max`
 * characters, ending in `…` when cut. `render` maps each kept grapheme (e.g.
 * escaping it); `count` says how many characters a grapheme counts for.
 */
export function cutBetweenGraphemes(
  raw: string,
  max: number,
  render: (grapheme: string) => string = (g) => g,
  count: (grapheme: string) => number = (g) => render(g).length,
): string {
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(raw)) {
    used += count(segment);
    if (used > max - 1) return `${out}…`;
    out += render(segment);
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;

/**
 * A reason the ledger will take whatever an error said: control characters
 * (other than tab and line breaks) become spaces, and it is cut to
 * {@link MAX_REASON_LENGTH}. A Lambda error's message can be 32 KiB of anything;
 * a rollback must never fail because of the words it records.
 */
export function storableReason(raw: string): string {
  const clean = raw.replace(CONTROL, ' ');
  return clean.length <= MAX_REASON_LENGTH ? clean : cutBetweenGraphemes(clean, MAX_REASON_LENGTH);
}
