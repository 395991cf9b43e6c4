/**
 * Where the demo writes: lines that stay (events, the summary) and one status
 * line that changes (where the release is, how long DynamoDB Local has been
 * starting). On a terminal the status line redraws in place below the lines
 * that stay, so what matters — the approval link of `--interactive` — does
 * not scroll away; anywhere else (a pipe, a log file, CI) a status line is an
 * ordinary line, written at most every {@link DemoConsoleOptions.statusEveryMs}.
 */

/** The part of a stream the console needs; `process.stderr` and `process.stdout` are ones. */
export interface ConsoleStream {
  write(text: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface DemoConsoleOptions {
  /** Redraw the status line in place. @default stream.isTTY */
  readonly redraw?: boolean;
  /** Without redraw, a status line is written at most this often. @default 500 */
  readonly statusEveryMs?: number;
  readonly now?: () => number;
}

/** Erases the current terminal line and returns to its start (ECMA-48 EL 2). */
const ERASE_LINE = '\r\u001b[2K';

export class DemoConsole {
  private readonly redraw: boolean;
  private shown: string | undefined;
  private lastStatusAt = Number.NEGATIVE_INFINITY;

  public constructor(
    private readonly stream: ConsoleStream,
    private readonly options: DemoConsoleOptions = {},
  ) {
    this.redraw = options.redraw ?? stream.isTTY === true;
  }

  /** A line that stays. */
  public say(line: string): void {
    if (!this.redraw || this.shown === undefined) {
      this.stream.write(`${line}\n`);
      return;
    }
    this.stream.write(`${ERASE_LINE}${line}\n${this.fit(this.shown)}`);
  }

  /** Replaces the status line (on a terminal), or writes it if the last one is old enough. */
  public status(line: string): void {
    if (this.redraw) {
      this.shown = line;
      this.stream.write(`${ERASE_LINE}${this.fit(line)}`);
      return;
    }
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastStatusAt < (this.options.statusEveryMs ?? 500)) return;
    this.lastStatusAt = now;
    this.stream.write(`${line}\n`);
  }

  /** Removes the status line; the next {@link status} draws a new one. */
  public clearStatus(): void {
    if (this.redraw && this.shown !== undefined) this.stream.write(ERASE_LINE);
    this.shown = undefined;
    this.lastStatusAt = Number.NEGATIVE_INFINITY;
  }

  /** A status line longer than the terminal would wrap, and a wrapped line cannot be erased in place. */
  private fit(line: string): string {
    const width = this.stream.columns;
    if (width === undefined || width < 2 || line.length < width) return line;
    return `${line.slice(0, width - 2)}…`;
  }
}
