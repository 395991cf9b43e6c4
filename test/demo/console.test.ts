/**
 * The demo's console: on a terminal the status line redraws in place below
 * the lines that stay; elsewhere status lines are ordinary lines, thinned out.
 */
import { describe, expect, it } from 'vitest';
import { DemoConsole, type ConsoleStream } from '../../local/demo/console.js';

const ERASE = '\r\u001b[2K';

function stream(isTTY: boolean, columns?: number): ConsoleStream & { text: string } {
  const sink = {
    text: '',
    isTTY,
    ...(columns === undefined ? {} : { columns }),
    write(chunk: string) {
      sink.text += chunk;
      return true;
    },
  };
  return sink;
}

/** What a terminal shows for text with carriage returns and erase-line: the visible lines. */
function screen(text: string): string[] {
  const lines: string[] = [];
  let current = '';
  text.split(ERASE).forEach((segment, i) => {
    if (i > 0) current = '';
    const [first = '', ...rest] = segment.split('\n');
    current += first;
    for (const line of rest) {
      lines.push(current);
      current = line;
    }
  });
  return [...lines, current];
}

describe('DemoConsole', () => {
  it('on a terminal, keeps one status line under the lines that stay, redrawn in place', () => {
    const tty = stream(true, 80);
    const out = new DemoConsole(tty);
    out.say('link: http://127.0.0.1:1/approvals/a?t=x');
    out.status('+1.0s SHIFTING');
    out.status('+1.5s SHIFTING');
    out.say('event: APPROVAL_REQUESTED');
    out.status('+2.0s AWAITING_APPROVAL');
    expect(screen(tty.text)).toEqual(['link: http://127.0.0.1:1/approvals/a?t=x', 'event: APPROVAL_REQUESTED', '+2.0s AWAITING_APPROVAL']);

    out.clearStatus();
    out.say('== summary');
    expect(screen(tty.text)).toEqual(['link: http://127.0.0.1:1/approvals/a?t=x', 'event: APPROVAL_REQUESTED', '== summary', '']);
  });

  it('cuts a status line to the terminal width, since a wrapped line cannot be redrawn in place', () => {
    const tty = stream(true, 20);
    new DemoConsole(tty).status('x'.repeat(50));
    expect(screen(tty.text)).toEqual([`${'x'.repeat(18)}…`]);
  });

  it('elsewhere, writes status lines as lines, at most one per interval, and every line that stays', () => {
    const pipe = stream(false);
    let now = 0;
    const out = new DemoConsole(pipe, { statusEveryMs: 500, now: () => now });
    out.status('a');
    now = 200;
    out.status('b');
    out.say('stays');
    now = 600;
    out.status('c');
    expect(pipe.text).toBe('a\nstays\nc\n');
  });
});
