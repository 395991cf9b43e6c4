/**
 * `rollgate watch`: follows a release until it ends. On a terminal the status
 * block is redrawn in place; otherwise (a pipe, CI logs) one line is printed
 * per change. Exit status: 0 when the release SUCCEEDED, 1 for any other end.
 *
 * Each poll also reads the release's traffic per version (getReleaseTraffic:
 * requests, 5xx rate and p99 of its stable and canary target groups over the
 * API's window), shown as one more line of the block and at the end of each
 * printed line, and in the `--json` document as `traffic`. Traffic that
 * cannot be read (CloudWatch down, a role without the route) is said so on
 * that line; it never ends the watch.
 */
import { TERMINAL_STATUSES } from '../../functions/domain/status.js';
import { ControlApiError, ControlUnreachableError } from '../control-client.js';
import { releaseBlock, releaseLine } from '../format/release.js';
import { time } from '../format/text.js';
import { trafficLine } from '../format/traffic.js';
import { RefusedError, UsageError, type Context, type Outcome } from './context.js';
import { PageAnswer, read, ReleaseDetail, StatusAnswer, TrafficAnswer } from './responses.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
/** How many pages of recent releases to look through for a release id given without --service. */
const SEARCH_PAGES = 5;
/** Polls in a row that may fail (endpoint unreachable, 429, 5xx) before watch gives up: a blip should not end a long watch. */
const TRANSIENT_FAILURES = 3;

function isTransient(error: unknown): boolean {
  return error instanceof ControlUnreachableError || (error instanceof ControlApiError && (error.status === 429 || error.status >= 500));
}

export interface WatchOptions {
  /** A service name, or a release id. */
  readonly subject: string;
  readonly service?: string;
  readonly environment: string;
  /** Seconds between polls. */
  readonly interval?: string;
}

/** Which release to follow: the id given (its service from --service or the recent list), or the service's active one. */
async function resolve(ctx: Context, o: WatchOptions): Promise<{ service: string; environment: string; releaseId: string }> {
  const client = await ctx.client();
  if (!ULID.test(o.subject)) {
    const status = read('getStatus', StatusAnswer, await client.call('getStatus', { params: { service: o.subject, environment: o.environment } }));
    if (status.activeRelease !== undefined) return { service: o.subject, environment: o.environment, releaseId: status.activeRelease.releaseId };
    // Nothing running: show how the last release ended.
    const last = read('listReleases', PageAnswer, await client.call('listReleases', { params: { service: o.subject, environment: o.environment }, query: { limit: 1 } })).items[0];
    if (last === undefined) throw new RefusedError(`${o.subject}/${o.environment} has no release to watch`);
    return { service: o.subject, environment: o.environment, releaseId: last.releaseId };
  }
  const releaseId = o.subject.toUpperCase();
  if (o.service !== undefined) return { service: o.service, environment: o.environment, releaseId };
  let cursor: string | undefined;
  for (let page = 0; page < SEARCH_PAGES; page += 1) {
    const found = read('listRecentReleases', PageAnswer, await client.call('listRecentReleases', { query: { limit: 100, cursor } }));
    const hit = found.items.find((r) => r.releaseId.toUpperCase() === releaseId);
    if (hit !== undefined) return { service: hit.service, environment: hit.environment, releaseId: hit.releaseId };
    cursor = found.next;
    if (cursor === undefined) break;
  }
  throw new UsageError(`release ${o.subject} is not among the recent releases; name its service with --service`, '--service');
}

/** Seconds between polls: `--interval`, at least 0.05, default 2. */
function intervalOf(value: string | undefined): number {
  if (value === undefined) return 2;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0.05 || seconds > 3600) throw new UsageError(`--interval must be a number of seconds from 0.05 to 3600; got ${JSON.stringify(value)}`, '--interval');
  return seconds;
}

/** The release's traffic per version, or why it could not be read (watch goes on either way). */
async function trafficOf(ctx: Context, ref: { service: string; environment: string; releaseId: string }): Promise<{ answer: unknown; line: string }> {
  try {
    const answer = await (await ctx.client()).call('getReleaseTraffic', { params: ref });
    return { answer, line: trafficLine(read('getReleaseTraffic', TrafficAnswer, answer)) };
  } catch (error) {
    const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { answer: { error: why }, line: `unavailable (${why})` };
  }
}

export async function watch(ctx: Context, o: WatchOptions): Promise<Outcome> {
  const intervalMs = intervalOf(o.interval) * 1000;
  const ref = await resolve(ctx, o);
  const client = await ctx.client();
  const { out, isTTY } = ctx.io;
  let drawn = 0;
  let lastLine = '';
  let failures = 0;
  for (;;) {
    let answer: unknown;
    try {
      answer = await client.call('getRelease', { params: ref });
      failures = 0;
    } catch (error) {
      failures += 1;
      if (!isTransient(error) || failures >= TRANSIENT_FAILURES) throw error;
      ctx.io.err.write(`${error instanceof Error ? `${error.name}: ${error.message}` : String(error)} (retrying)\n`);
      await ctx.io.sleep(intervalMs);
      continue;
    }
    const detail = read('getRelease', ReleaseDetail, answer);
    const traffic = await trafficOf(ctx, ref);
    const now = ctx.io.now();
    const ended = TERMINAL.has(detail.release.status);
    if (!ctx.json) {
      if (isTTY) {
        const block = `${releaseBlock(detail, now)}\ntraffic:  ${traffic.line}\n`;
        // Up to the first line drawn last time, clear to the end, draw again (ECMA-48 CPL and ED).
        out.write(`${drawn > 0 ? `\x1b[${String(drawn)}F\x1b[J` : ''}${block}`);
        drawn = block.split('\n').length - 1;
      } else {
        // Bake time left changes every poll: a change is anything else.
        const line = releaseLine({ ...detail, release: { ...detail.release, waiting: detail.release.waiting === undefined ? undefined : { ...detail.release.waiting, timeoutAt: undefined } } }, now);
        if (line !== lastLine) out.write(`${time(new Date(now).toISOString())}  ${releaseLine(detail, now)}  ${traffic.line}\n`);
        lastLine = line;
      }
    }
    if (ended) {
      const r = detail.release;
      const human = `${r.releaseId} ${r.status}${r.outcome === undefined ? '' : `: ${r.outcome}`}${r.reason === undefined ? '' : ` (${r.reason})`}`;
      return { document: { ...(answer as object), traffic: traffic.answer }, human, exitCode: r.status === 'SUCCEEDED' ? 0 : 1 };
    }
    await ctx.io.sleep(intervalMs);
  }
}
