/** `rollgate versions`: what ran, where, when — one row per version of a service. */
import { table, time } from '../format/text.js';
import { done, limitOf, type Context, type Outcome } from './context.js';
import { read, VersionsAnswer, type VersionView } from './responses.js';

export interface VersionsOptions {
  readonly service: string;
  /** One environment; every environment of the service when absent. */
  readonly environment?: string;
  readonly limit?: string;
  readonly cursor?: string;
}

/** `SUCCEEDED (PROMOTED) in prod`, or empty for a version only onboarded. */
function lastOf(v: VersionView, environments: number): string {
  const last = v.lastRelease;
  if (last === null) return '';
  return `${last.status}${last.outcome === null ? '' : ` (${last.outcome})`}${environments > 1 ? ` in ${last.environment}` : ''}`;
}

/** `prod since 2026-12-02 14:19:56 on ts-checkout-onboarded`, one per environment. */
function stableOf(v: VersionView): string {
  return v.stable.map((s) => `${s.environment} since ${time(s.since)} on ${s.fleetId}`).join('; ');
}

/** `rollgate versions <service> [--env] [--limit] [--cursor]`: newest activity first. */
export async function versions(ctx: Context, o: VersionsOptions): Promise<Outcome> {
  const query = { limit: limitOf(o.limit), cursor: o.cursor, environment: o.environment };
  const answer = await (await ctx.client()).call('listVersions', { params: { service: o.service }, query });
  const page = read('listVersions', VersionsAnswer, answer);
  const where = `${o.service}${o.environment === undefined ? ' (every environment)' : `/${o.environment}`}`;
  if (page.items.length === 0) return done(answer, `${where}: no versions`);
  const environments = new Set(page.items.flatMap((v) => v.environments)).size;
  const rows = page.items.map((v) => [
    v.version,
    v.environments.join(','),
    String(v.releases),
    lastOf(v, environments),
    time(v.firstStartedAt ?? undefined),
    time(v.lastEndedAt ?? undefined),
    v.startedBy ?? '',
    stableOf(v),
  ]);
  const more =
    page.next === undefined
      ? ''
      : `\nmore: rollgate versions ${o.service}${o.environment === undefined ? '' : ` --env ${o.environment}`}${o.limit === undefined ? '' : ` --limit ${o.limit}`} --cursor ${page.next}`;
  return done(answer, `${where}\n${table(['VERSION', 'ENVS', 'RELEASES', 'LAST', 'FIRST STARTED', 'LAST ENDED', 'STARTED BY', 'STABLE'], rows)}${more}`);
}
