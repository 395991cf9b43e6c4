/**
 * What ran, where, when: a service's versions folded from its release records
 * and stable records. Pure — the control API's `listVersions` reads the
 * ledger and hands the records here.
 *
 * Today the ledger has no version item: a version is what its releases and
 * the stable records say about it. The version library (issue 16) will add
 * builds (with their tests) that never ran anywhere; they fold in here as rows
 * with no release, the way an onboarded version already does.
 */

/** The release fields the fold reads (a ledger Release has them all). */
export interface VersionReleaseInput {
  readonly releaseId: string;
  readonly environment: string;
  readonly version: string;
  /** The version taking traffic when it started: that one ran there then. */
  readonly previousVersion?: string | undefined;
  readonly status: string;
  readonly outcome?: string | undefined;
  readonly createdAt: string;
  readonly finishedAt?: string | undefined;
  readonly trigger: {
    readonly source: string;
    readonly author?: string | undefined;
    readonly startedBy?: { readonly kind: string; readonly id: string } | undefined;
  };
}

/** The stable record fields the fold reads, one per environment. */
export interface VersionStableInput {
  readonly environment: string;
  readonly version: string;
  readonly fleet: { readonly id: string };
  readonly releaseId?: string | undefined;
  /** When it was recorded stable. */
  readonly updatedAt: string;
}

/** The latest release of a version. */
export interface VersionLastRelease {
  readonly releaseId: string;
  readonly environment: string;
  readonly status: string;
  readonly outcome: string | null;
  readonly startedAt: string;
  readonly endedAt: string | null;
}

/** Where a version is stable now. */
export interface VersionStableIn {
  readonly environment: string;
  /** When it was recorded stable there. */
  readonly since: string;
  /** The fleet serving it (ECS task set or Auto Scaling group). */
  readonly fleetId: string;
  /** The release that made it stable; null when it was onboarded. */
  readonly releaseId: string | null;
}

/** One version of a service. */
export interface VersionRow {
  readonly version: string;
  /**
   * Environments it ran in, in the order it first did: a release of it
   * started there, it is stable there, or it was the stable version a
   * release there started from (an onboarded version replaced since).
   */
  readonly environments: string[];
  /** Its releases, every outcome (a rollback to it counts). */
  readonly releases: number;
  /** When its first release started; null for a version only onboarded. */
  readonly firstStartedAt: string | null;
  /** When its last ended release ended; null while none has ended. */
  readonly lastEndedAt: string | null;
  /** Its newest release (its status, outcome, environment); null for a version only onboarded. */
  readonly lastRelease: VersionLastRelease | null;
  /** Who started its first release: the verified starter, else the trigger's author or source. */
  readonly startedBy: string | null;
  /** The environments where it is the stable version now, since when and on which fleet; empty when nowhere. */
  readonly stable: VersionStableIn[];
  /**
   * Its newest activity: its newest release's start, or when it became stable
   * if later; for a version with neither, the last time a release started
   * from it. Rows are sorted on it.
   */
  readonly lastActivityAt: string;
}

/** Who started a release, as the ledger can tell. */
function starterOf(release: VersionReleaseInput): string {
  return release.trigger.startedBy?.id ?? release.trigger.author ?? release.trigger.source;
}

const later = (a: string | null, b: string | null): string | null => (a === null ? b : b === null ? a : a >= b ? a : b);

/**
 * One row per version, newest activity first (ties by version name), from
 * releases in any order and the stable records of the environments read.
 * ISO timestamps compare as strings (the ledger writes them all as
 * `toISOString()`).
 */
export function foldVersions(releases: readonly VersionReleaseInput[], stables: readonly VersionStableInput[]): VersionRow[] {
  const byVersion = new Map<string, { releases: VersionReleaseInput[]; stable: VersionStableInput[]; replaced: VersionReleaseInput[] }>();
  const entry = (version: string) => {
    let found = byVersion.get(version);
    if (found === undefined) {
      found = { releases: [], stable: [], replaced: [] };
      byVersion.set(version, found);
    }
    return found;
  };
  for (const release of releases) {
    entry(release.version).releases.push(release);
    if (release.previousVersion !== undefined) entry(release.previousVersion).replaced.push(release);
  }
  for (const stable of stables) entry(stable.version).stable.push(stable);

  const rows: VersionRow[] = [];
  for (const [version, { releases: of, stable, replaced }] of byVersion) {
    // Release ids are ULIDs: by id is by start time, ties included.
    const sorted = [...of].sort((a, b) => (a.createdAt === b.createdAt ? a.releaseId.localeCompare(b.releaseId) : a.createdAt < b.createdAt ? -1 : 1));
    const first = sorted[0];
    const last = sorted.at(-1);
    const stableIn = [...stable]
      .sort((a, b) => a.environment.localeCompare(b.environment))
      .map((s) => ({ environment: s.environment, since: s.updatedAt, fleetId: s.fleet.id, releaseId: s.releaseId ?? null }));
    const firstRan = new Map<string, string>();
    for (const r of sorted) if (!firstRan.has(r.environment)) firstRan.set(r.environment, r.createdAt);
    const ranAt = (environment: string, at: string) => {
      const seen = firstRan.get(environment);
      if (seen === undefined || at < seen) firstRan.set(environment, at);
    };
    for (const s of stable) ranAt(s.environment, s.updatedAt);
    for (const r of replaced) ranAt(r.environment, r.createdAt);
    const environments = [...firstRan].sort((a, b) => (a[1] === b[1] ? a[0].localeCompare(b[0]) : a[1] < b[1] ? -1 : 1)).map(([environment]) => environment);
    const lastEndedAt = sorted.reduce<string | null>((at, r) => later(at, r.finishedAt ?? null), null);
    const lastActivityAt =
      later(last?.createdAt ?? null, stableIn.reduce<string | null>((at, s) => later(at, s.since), null)) ??
      replaced.reduce<string | null>((at, r) => later(at, r.createdAt), null) ??
      '';
    rows.push({
      version,
      environments,
      releases: sorted.length,
      firstStartedAt: first?.createdAt ?? null,
      lastEndedAt,
      lastRelease:
        last === undefined
          ? null
          : { releaseId: last.releaseId, environment: last.environment, status: last.status, outcome: last.outcome ?? null, startedAt: last.createdAt, endedAt: last.finishedAt ?? null },
      startedBy: first === undefined ? null : starterOf(first),
      stable: stableIn,
      lastActivityAt,
    });
  }
  return rows.sort(newestFirst);
}

function newestFirst(a: Pick<VersionRow, 'lastActivityAt' | 'version'>, b: Pick<VersionRow, 'lastActivityAt' | 'version'>): number {
  if (a.lastActivityAt !== b.lastActivityAt) return a.lastActivityAt > b.lastActivityAt ? -1 : 1;
  return a.version.localeCompare(b.version);
}

/** Where a page of versions ends: the sort key of its last row. */
export interface VersionPosition {
  readonly lastActivityAt: string;
  readonly version: string;
}

/**
 * The rows after `after` (the last row of the previous page), at most
 * `limit`, and where this page ends when more follow. A row that moved since
 * (a new release of it) is found on whichever page its new position falls.
 */
export function pageOfVersions(rows: readonly VersionRow[], limit: number, after: VersionPosition | undefined): { items: VersionRow[]; next?: VersionPosition } {
  const rest = after === undefined ? rows : rows.filter((row) => newestFirst(row, after) > 0);
  const items = rest.slice(0, limit);
  const last = items.at(-1);
  return rest.length > limit && last !== undefined ? { items, next: { lastActivityAt: last.lastActivityAt, version: last.version } } : { items };
}
