import { describe, expect, it } from 'vitest';
import { foldVersions, pageOfVersions, type VersionReleaseInput } from '../../functions/domain/versions.js';

const release = (releaseId: string, environment: string, version: string, createdAt: string, more: Partial<VersionReleaseInput> = {}): VersionReleaseInput => ({
  releaseId,
  environment,
  version,
  status: 'SUCCEEDED',
  createdAt,
  trigger: { source: 'control-api', startedBy: { kind: 'iam-principal', id: `arn:aws:iam::1:user/${releaseId}` } },
  ...more,
});

describe('foldVersions', () => {
  it('folds releases across environments into one row per version: environments in the order it reached them, counts, first start, last end, last outcome, first starter, stable places', () => {
    const rows = foldVersions(
      [
        release('R4', 'prod', 'v2', '2026-12-02T10:04:00.000Z', { status: 'ROLLED_BACK', outcome: 'ALARM', finishedAt: '2026-12-02T10:05:00.000Z', previousVersion: 'v1' }),
        release('R2', 'staging', 'v2', '2026-12-02T10:02:00.000Z', { finishedAt: '2026-12-02T10:03:00.000Z', previousVersion: 'v1', trigger: { source: 'build', author: 'ana' } }),
        release('R1', 'staging', 'v1', '2026-12-02T10:00:00.000Z', { finishedAt: '2026-12-02T10:01:00.000Z' }),
        release('R5', 'prod', 'v3', '2026-12-02T10:06:00.000Z', { status: 'SHIFTING', previousVersion: 'v1' }),
      ],
      [
        { environment: 'staging', version: 'v2', fleet: { id: 'ts-2' }, releaseId: 'R2', updatedAt: '2026-12-02T10:03:00.000Z' },
        { environment: 'prod', version: 'v1', fleet: { id: 'ts-1' }, updatedAt: '2026-12-01T00:00:00.000Z' },
      ],
    );
    expect(rows.map((r) => [r.version, r.environments, r.releases, r.firstStartedAt, r.lastEndedAt, r.lastRelease?.status ?? null, r.lastRelease?.outcome ?? null, r.startedBy, r.stable.map((s) => s.environment), r.lastActivityAt])).toEqual([
      ['v3', ['prod'], 1, '2026-12-02T10:06:00.000Z', null, 'SHIFTING', null, 'arn:aws:iam::1:user/R5', [], '2026-12-02T10:06:00.000Z'],
      ['v2', ['staging', 'prod'], 2, '2026-12-02T10:02:00.000Z', '2026-12-02T10:05:00.000Z', 'ROLLED_BACK', 'ALARM', 'ana', ['staging'], '2026-12-02T10:04:00.000Z'],
      // Onboarded stable in prod (the day before), released in staging.
      ['v1', ['prod', 'staging'], 1, '2026-12-02T10:00:00.000Z', '2026-12-02T10:01:00.000Z', 'SUCCEEDED', null, 'arn:aws:iam::1:user/R1', ['prod'], '2026-12-02T10:00:00.000Z'],
    ]);
    expect(rows[2]?.stable).toEqual([{ environment: 'prod', since: '2026-12-01T00:00:00.000Z', fleetId: 'ts-1', releaseId: null }]);
  });

  it('pages newest first from the position of the last row shown, and says where a page ends only when more follow', () => {
    const rows = foldVersions(['a', 'b', 'c'].map((v, i) => release(`R${String(i)}`, 'prod', v, `2026-12-02T10:0${String(i)}:00.000Z`)), []);
    const first = pageOfVersions(rows, 2, undefined);
    expect(first.items.map((r) => r.version)).toEqual(['c', 'b']);
    expect(first.next).toEqual({ lastActivityAt: '2026-12-02T10:01:00.000Z', version: 'b' });
    const second = pageOfVersions(rows, 2, first.next);
    expect(second).toEqual({ items: [rows[2]] });
    expect(foldVersions([], [])).toEqual([]);
  });
});
