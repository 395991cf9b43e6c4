/**
 * Slack refuses a message whose blocks break Block Kit's limits, so the
 * approval request would never be posted. Every input the schemas accept
 * must give a message within them — counted after mrkdwn escaping, cut at
 * grapheme boundaries (an emoji is never split).
 * https://api.slack.com/reference/block-kit/blocks
 * https://api.slack.com/reference/block-kit/composition-objects
 */
import { describe, expect, it } from 'vitest';
import { closedMessage, escapeMrkdwn, openMessage, type ApprovalFacts, type ApprovalState } from '../../functions/approval/message.js';

/** Each as long as the schema accepts (versions, actors: 256 UTF-16 units; commits 128; names 128; 100 users, 20 groups, 100 alarms of 255). */
const EMOJI = '👍🏽'; // two code points, four UTF-16 units, one grapheme
const FAMILY = '👨‍👩‍👧‍👦'; // seven code points joined, one grapheme
const fill = (unit: string, length: number) => unit.repeat(Math.floor(length / unit.length));
const TEXTS = {
  emoji: (n: number) => fill(EMOJI, n),
  family: (n: number) => fill(FAMILY, n),
  escapes: (n: number) => fill('&', n),
  angles: (n: number) => fill('<>', n),
  mixed: (n: number) => fill(`a${EMOJI}&<`, n),
  combining: (n: number) => `e${'\u0301'.repeat(n - 1)}`, // one grapheme of n units
};

function facts(text: (n: number) => string): ApprovalFacts {
  return {
    approvalId: 'A'.repeat(64),
    service: 's'.repeat(63),
    environment: 'e'.repeat(63),
    version: text(256),
    previousVersion: text(256),
    commit: text(128),
    author: text(256),
    stepIndex: 19,
    stepCount: 20,
    weights: { stable: 50, canary: 50 },
    alarmsInAlarm: Array.from({ length: 100 }, (_, i) => `${text(250)}${String(i)}`),
    expiresAt: '2026-12-03T05:00:00.000Z',
    approvers: { users: Array.from({ length: 100 }, () => text(128)), groups: Array.from({ length: 20 }, () => text(128)) },
    approversRequired: 2,
    endorsedBy: Array.from({ length: 1 }, () => text(256)),
  };
}

const states = (text: (n: number) => string): Exclude<ApprovalState, { kind: 'open' }>[] => [
  { kind: 'decided', outcome: 'APPROVED', by: text(256), at: '2026-12-02T05:00:00.000Z', via: text(64) },
  { kind: 'decided', outcome: 'REJECTED', by: 'U01ALICE', at: '2026-12-02T05:00:00.000Z', via: undefined },
  { kind: 'expired', at: '2026-12-02T05:00:00.000Z', reason: `the release no longer waits for it (ROLLING_BACK: ${text(4096)})` },
];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Limit {
  readonly where: string;
  readonly text: string;
  readonly max: number;
}

/** Every text with its Block Kit limit. */
function limits(blocks: Json[]): Limit[] {
  const found: Limit[] = [];
  const textOf = (o: Json | undefined): string => (o !== null && typeof o === 'object' && !Array.isArray(o) && typeof o.text === 'string' ? o.text : '');
  for (const block of blocks as { [key: string]: Json }[]) {
    if (block.type === 'header') found.push({ where: 'header', text: textOf(block.text), max: 150 });
    if (block.type === 'section') {
      if (block.text !== undefined) found.push({ where: 'section text', text: textOf(block.text), max: 3000 });
      const fields = (block.fields ?? []) as Json[];
      expect(fields.length).toBeLessThanOrEqual(10);
      for (const f of fields) found.push({ where: 'section field', text: textOf(f), max: 2000 });
    }
    if (block.type === 'context') {
      const elements = block.elements as Json[];
      expect(elements.length).toBeLessThanOrEqual(10);
      for (const e of elements) found.push({ where: 'context', text: textOf(e), max: 3000 });
    }
    if (block.type === 'actions') {
      for (const button of block.elements as { [key: string]: Json }[]) {
        found.push({ where: 'button text', text: textOf(button.text), max: 75 });
        found.push({ where: 'button value', text: typeof button.value === 'string' ? button.value : '', max: 2000 });
        const confirm = button.confirm as { [key: string]: Json } | undefined;
        if (confirm !== undefined) {
          found.push({ where: 'confirm title', text: textOf(confirm.title), max: 100 });
          found.push({ where: 'confirm text', text: textOf(confirm.text), max: 300 });
          found.push({ where: 'confirm button', text: textOf(confirm.confirm), max: 30 });
          found.push({ where: 'deny button', text: textOf(confirm.deny), max: 30 });
        }
      }
    }
  }
  return found;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** An `&` that does not start one of the three entities rollgate writes: an escape cut in half. */
const BROKEN_ENTITY = /&(?!amp;|lt;|gt;)/;

describe('Block Kit limits for every input the schemas accept', () => {
  for (const [name, text] of Object.entries(TEXTS)) {
    it(`keeps the open and closed messages within the limits for maximal ${name} inputs`, () => {
      const messages = [openMessage(facts(text)), ...states(text).map((state) => closedMessage(facts(text), state))];
      for (const message of messages) {
        expect(message.text.length).toBeLessThanOrEqual(3000);
        expect(message.blocks.length).toBeLessThanOrEqual(50);
        for (const limit of limits(message.blocks as Json[])) {
          // plain_text is counted as Slack counts it once escaped, like mrkdwn.
          const counted = limit.where === 'header' || limit.where.startsWith('confirm title') ? escapeMrkdwn(limit.text).length : limit.text.length;
          expect(counted, `${limit.where}: ${limit.text.slice(0, 80)}`).toBeLessThanOrEqual(limit.max);
          expect(limit.text, limit.where).not.toMatch(LONE_SURROGATE);
          if (limit.where !== 'header' && !limit.where.startsWith('confirm title') && !limit.where.startsWith('button')) {
            expect(limit.text, limit.where).not.toMatch(BROKEN_ENTITY);
          }
        }
      }
    });
  }

  it('cuts an emoji version only between graphemes: no skin tone without its hand, no half family', () => {
    for (const [unit, text] of [[EMOJI, TEXTS.emoji], [FAMILY, TEXTS.family]] as const) {
      const header = limits(openMessage({ ...facts(text), service: 'checkout', environment: 'prod' }).blocks as Json[]).find((l) => l.where === 'header')?.text ?? '';
      const cut = header.replace(/^Approval needed: checkout\/prod /, '').replace(/…$/, '');
      expect(cut.length).toBeGreaterThan(0);
      expect(cut.split(unit).join('')).toBe('');
      expect(header.endsWith('…')).toBe(true);
    }
  });

  it('leaves short inputs whole, escaped once', () => {
    const short = { ...facts(() => 'v2 & <b>'), approvers: { users: ['U01ALICE'], groups: ['S0MGR'] }, alarmsInAlarm: [], endorsedBy: [] };
    const message = openMessage(short);
    expect(JSON.stringify(message.blocks)).toContain('v2 &amp; &lt;b&gt; (was v2 &amp; &lt;b&gt;)');
    // 145 units of prefix, then what fits of `v2 & <b>` once `&` counts as `&amp;`, and the ellipsis: 150.
    expect(limits(message.blocks as Json[]).find((l) => l.where === 'header')?.text).toBe(`Approval needed: ${'s'.repeat(63)}/${'e'.repeat(63)} v2 …`);
    expect(JSON.stringify(message.blocks)).toContain('<@U01ALICE>, <!subteam^S0MGR>');
  });
});
