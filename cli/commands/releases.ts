/** The commands that start and look at releases: release, status, get, history. */
import { readFileSync } from 'node:fs';
import { ControlApiError } from '../control-client.js';
import { releaseBlock, starterOf } from '../format/release.js';
import { fields, table, time } from '../format/text.js';
import { done, limitOf, RefusedError, UsageError, type Context, type Outcome, type Target } from './context.js';
import { PageAnswer, read, ReleaseDetail, StartAnswer, StatusAnswer, type ReleaseView } from './responses.js';

const params = (t: Target) => ({ service: t.service, environment: t.environment });

/** A plan file's JSON, or a usage error naming `--plan-file`. */
function readPlan(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--plan-file: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`, '--plan-file');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--plan-file: ${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`, '--plan-file');
  }
}

export interface ReleaseOptions extends Target {
  readonly version: string;
  readonly planFile?: string;
  readonly expedite?: boolean;
  readonly reason?: string;
  readonly commit?: string;
}

/** `rollgate release`: starts a release of a version. */
export async function release(ctx: Context, o: ReleaseOptions): Promise<Outcome> {
  const plan = o.planFile === undefined ? undefined : readPlan(o.planFile);
  const body = {
    version: o.version,
    ...(plan === undefined ? {} : { plan }),
    ...(o.expedite === true ? { expedite: true } : {}),
    ...(o.reason === undefined ? {} : { reason: o.reason }),
    ...(o.commit === undefined ? {} : { commit: o.commit }),
  };
  const answer = await (await ctx.client()).call('startRelease', { params: params(o), body });
  const r = await startedRelease(ctx, o, 'startRelease', answer);
  return done(
    { ...(answer as object), release: r ?? null },
    r === undefined
      ? `started ${o.version} of ${o.service}/${o.environment}; its release is not in the ledger yet\nfollow it: rollgate watch ${o.service} --env ${o.environment}`
      : `started release ${r.releaseId} of ${r.service}/${r.environment}: ${r.version} (${r.status})\nfollow it: rollgate watch ${r.releaseId} --service ${r.service} --env ${r.environment}`,
  );
}

/** How long a start waits for preflight to record the release it started. */
const RECORDED_WITHIN_MS = 15_000;

/**
 * The release an execution started (startRelease, rollbackToVersion), once
 * preflight has recorded it; undefined when it has not within
 * {@link RECORDED_WITHIN_MS}. An execution the API did not start (the same
 * one was started before) is a refusal naming why.
 */
export async function startedRelease(ctx: Context, t: Target, route: 'startRelease' | 'rollbackToVersion', answer: unknown): Promise<ReleaseView | undefined> {
  const start = read(route, StartAnswer, answer);
  const started = start.outcome?.started ?? start.started;
  const executionArn = start.outcome?.executionArn ?? start.executionArn;
  if (started === false) throw new RefusedError(`nothing started: ${start.outcome?.reason ?? start.reason ?? 'the execution exists already'}`);
  const client = await ctx.client();
  const deadline = ctx.io.now() + RECORDED_WITHIN_MS;
  for (;;) {
    const page = read('listReleases', PageAnswer, await client.call('listReleases', { params: params(t), query: { limit: 5 } }));
    const found = page.items.find((r) => r.executionArn === executionArn);
    if (found !== undefined || executionArn === undefined || ctx.io.now() > deadline) return found;
    await ctx.io.sleep(250);
  }
}

/** `rollgate status`: the stable version, the active release (in full) and the lock. */
export async function status(ctx: Context, t: Target): Promise<Outcome> {
  const client = await ctx.client();
  const answer = await client.call('getStatus', { params: params(t) });
  const s = read('getStatus', StatusAnswer, answer);
  const lines = [
    `${t.service}/${t.environment}`,
    fields([
      ['stable', s.stable === undefined ? 'none (not onboarded)' : `${s.stable.version}${s.stable.fleet === undefined ? '' : ` on ${s.stable.fleet.id}`}${s.stable.updatedAt === undefined ? '' : ` since ${time(s.stable.updatedAt)}`}`],
      ['lock', s.lock === undefined ? 'free' : `held by ${s.lock.releaseId}${s.lock.leaseExpiresAt === undefined ? '' : ` (lease until ${time(s.lock.leaseExpiresAt)})`}`],
      ['release', s.activeRelease === undefined ? 'none active' : undefined],
    ]),
  ];
  if (s.activeRelease === undefined) return done(answer, lines.join('\n'));
  // The active release in full (weights, bake, alarms, approval) is getRelease's: one more call.
  const detailAnswer = await client.call('getRelease', { params: { ...params(t), releaseId: s.activeRelease.releaseId } });
  const detail = read('getRelease', ReleaseDetail, detailAnswer);
  return done({ ...(answer as object), activeRelease: detailAnswer }, `${lines.join('\n')}\n\n${releaseBlock(detail, ctx.io.now())}`);
}

/** `rollgate get`: one release, with its events. */
export async function get(ctx: Context, o: Target & { readonly releaseId: string }): Promise<Outcome> {
  const answer = await (await ctx.client()).call('getRelease', { params: { ...params(o), releaseId: o.releaseId } });
  const detail = read('getRelease', ReleaseDetail, answer);
  const events = detail.events ?? [];
  const log = events.length === 0 ? '' : `\n\nevents:\n${table(['AT', 'EVENT', 'BY', 'MESSAGE'], events.map((e) => [time(e.at), e.type, e.actor ?? '', e.message ?? '']))}`;
  return done(answer, `${releaseBlock(detail, ctx.io.now())}${log}`);
}

export interface HistoryOptions {
  readonly service?: string;
  readonly environment: string;
  readonly limit?: string;
  readonly cursor?: string;
}

/** `rollgate history`: releases of one service+environment, or of every service, newest first. */
export async function history(ctx: Context, o: HistoryOptions): Promise<Outcome> {
  const query = { limit: limitOf(o.limit), cursor: o.cursor };
  const client = await ctx.client();
  const answer =
    o.service === undefined
      ? await client.call('listRecentReleases', { query })
      : await client.call('listReleases', { params: { service: o.service, environment: o.environment }, query });
  const page = read(o.service === undefined ? 'listRecentReleases' : 'listReleases', PageAnswer, answer);
  if (page.items.length === 0) return done(answer, 'no releases');
  const rows = page.items.map((r: ReleaseView) => [
    r.releaseId,
    `${r.service}/${r.environment}`,
    r.version,
    r.status,
    time(r.createdAt),
    starterOf(r),
  ]);
  const more =
    page.next === undefined
      ? ''
      : `\nmore: rollgate history${o.service === undefined ? '' : ` ${o.service} --env ${o.environment}`}${o.limit === undefined ? '' : ` --limit ${o.limit}`} --cursor ${page.next}`;
  return done(answer, `${table(['RELEASE', 'SERVICE', 'VERSION', 'STATUS', 'STARTED', 'BY'], rows)}${more}`);
}

/** The active release of a service+environment, or a refusal saying there is none. */
export async function activeRelease(ctx: Context, t: Target, action: string): Promise<ReleaseView> {
  const answer = await (await ctx.client()).call('getStatus', { params: params(t) });
  const active = read('getStatus', StatusAnswer, answer).activeRelease;
  if (active === undefined) throw new RefusedError(`no release of ${t.service}/${t.environment} is active: nothing to ${action}`);
  return active;
}

/** Whether an error is the API's "not in a state for this" (409): the caller may try another way. */
export function isConflict(error: unknown): boolean {
  return error instanceof ControlApiError && error.status === 409;
}
