/**
 * listVersions and getReleaseTraffic over real HTTP (local control server,
 * SigV4-signed requests) against real ledger records: releases run by the
 * real flow, one promoted and one rolled back.
 */
import { describe, expect, it } from 'vitest';
import type { Release } from '../../functions/domain/release.js';
import { CHECKOUT, TG_BLUE, TG_GREEN, until } from '../flow/flow-fixture.js';
import { BAKING_PLAN, DANA, MALLORY, QUICK_PLAN, call, controlHarness, errorOf, type ControlHarness } from './control-fixture.js';

const SERVICE = '/services/checkout/prod';

async function start(h: ControlHarness, version: string, plan: unknown): Promise<Release> {
  const started = await call<{ outcome: { started: boolean } }>(h.server, DANA, 'POST', `${SERVICE}/releases`, { body: { version, plan } });
  expect(started.status).toBe(202);
  return until(async () => (await h.runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === version));
}

function releaseWhen(h: ControlHarness, releaseId: string, check: (r: Release) => boolean): Promise<Release> {
  return until(async () => {
    const release = await h.runtime.ledger.getRelease({ ...CHECKOUT, releaseId });
    return release !== undefined && check(release) ? release : undefined;
  }, 30_000);
}

interface VersionsPage {
  items: Record<string, unknown>[];
  next?: string;
}

describe('listVersions and getReleaseTraffic over HTTP', () => {
  it('one row per version, newest first: where it ran, its releases, last outcome, who started it, where it is stable and since when; paged; unknown services refused by name', async () => {
    const h = await controlHarness();
    const onboarded = await h.runtime.ledger.getStable(CHECKOUT);
    const v2 = await start(h, 'v2', QUICK_PLAN);
    const promoted = await releaseWhen(h, v2.releaseId, (r) => r.finishedAt !== undefined);
    expect(promoted.status).toBe('SUCCEEDED');
    const v3 = await start(h, 'v3', BAKING_PLAN);
    await releaseWhen(h, v3.releaseId, (r) => r.status === 'SHIFTING' && r.waiting?.kind === 'BAKE');

    // While v3 bakes: its traffic per version (the records-only cloud serves no requests).
    const traffic = await call<Record<string, unknown>>(h.server, MALLORY, 'GET', `${SERVICE}/releases/${v3.releaseId}/traffic`);
    expect(traffic.status).toBe(200);
    expect(traffic.body).toMatchObject({
      releaseId: v3.releaseId,
      periodSeconds: 1,
      versions: [
        { role: 'stable', version: 'v2', targetGroupArn: TG_GREEN, requests: 0, errors5xx: 0, errorRatePercent: null, p99Ms: null },
        { role: 'canary', version: 'v3', targetGroupArn: TG_BLUE, requests: 0, errors5xx: 0, errorRatePercent: null, p99Ms: null },
      ],
    });
    const { start: from, end, versions } = traffic.body as { start: string; end: string; versions: { periods: { start: string }[] }[] };
    // Up to the last 60 s in 1 s periods, none begun before the release started (the target groups served v1 and v2 before).
    expect(Date.parse(end) - Date.parse(from)).toBeLessThanOrEqual(60_000);
    expect(Date.parse(from)).toBeGreaterThanOrEqual(Date.parse(v3.createdAt));
    expect(Date.parse(from) - Date.parse(v3.createdAt)).toBeLessThan(1_000);
    expect(versions[0]?.periods.map((p) => Date.parse(p.start))).toEqual(Array.from({ length: (Date.parse(end) - Date.parse(from)) / 1000 }, (_, i) => Date.parse(from) + i * 1000));

    const back = await call(h.server, DANA, 'POST', `${SERVICE}/releases/${v3.releaseId}/rollback`, { body: { reason: 'v3 is slow' } });
    expect(back.status).toBe(200);
    const rolledBack = await releaseWhen(h, v3.releaseId, (r) => r.finishedAt !== undefined);
    expect(rolledBack).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ROLLED_BACK_ON_REQUEST' });
    const stable = await h.runtime.ledger.getStable(CHECKOUT);

    // A read route: any verified caller (on AWS, the read-only policy allows it).
    const listed = await call<VersionsPage>(h.server, MALLORY, 'GET', '/services/checkout/versions');
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({
      items: [
        {
          version: 'v3',
          environments: ['prod'],
          releases: 1,
          firstStartedAt: rolledBack.createdAt,
          lastEndedAt: rolledBack.finishedAt,
          lastRelease: { releaseId: v3.releaseId, environment: 'prod', status: 'ROLLED_BACK', outcome: 'ROLLED_BACK_ON_REQUEST', startedAt: rolledBack.createdAt, endedAt: rolledBack.finishedAt },
          startedBy: DANA.principalArn,
          stable: [],
          lastActivityAt: rolledBack.createdAt,
        },
        {
          version: 'v2',
          environments: ['prod'],
          releases: 1,
          firstStartedAt: promoted.createdAt,
          lastEndedAt: promoted.finishedAt,
          lastRelease: { releaseId: v2.releaseId, environment: 'prod', status: 'SUCCEEDED', outcome: promoted.outcome, startedAt: promoted.createdAt, endedAt: promoted.finishedAt },
          startedBy: DANA.principalArn,
          stable: [{ environment: 'prod', since: stable?.updatedAt, fleetId: promoted.newFleet?.id, releaseId: v2.releaseId }],
          lastActivityAt: stable?.updatedAt,
        },
        {
          version: 'v1',
          environments: ['prod'],
          releases: 0,
          firstStartedAt: null,
          lastEndedAt: null,
          lastRelease: null,
          startedBy: null,
          stable: [],
          // Onboarded, replaced by v2: it ran in prod until then.
          lastActivityAt: promoted.createdAt,
        },
      ],
    });
    expect(onboarded).toMatchObject({ version: 'v1' });
    expect(stable).toMatchObject({ version: 'v2', fleet: { id: promoted.newFleet?.id } });

    // Paged: one at a time, the cursor carries on; one environment gives the same rows here.
    const first = await call<VersionsPage>(h.server, MALLORY, 'GET', '/services/checkout/versions', { query: { limit: '1', environment: 'prod' } });
    expect(first.body.items.map((v) => v.version)).toEqual(['v3']);
    const second = await call<VersionsPage>(h.server, MALLORY, 'GET', '/services/checkout/versions', { query: { limit: '2', environment: 'prod', cursor: first.body.next ?? '' } });
    expect(second.body.items.map((v) => v.version)).toEqual(['v2', 'v1']);
    expect(second.body.next).toBeUndefined();
    // A cursor of the one-environment listing does not page the every-environment one.
    const mixed = await call(h.server, MALLORY, 'GET', '/services/checkout/versions', { query: { cursor: first.body.next ?? '' } });
    expect([mixed.status, errorOf(mixed).name]).toEqual([400, 'InvalidCursorError']);

    const unknown = await call(h.server, MALLORY, 'GET', '/services/nope/versions');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown)).toMatchObject({ name: 'UnknownServiceError', message: expect.stringMatching(/^nope is not an onboarded service \(onboarded: checkout\/prod/) as unknown });
    const unknownEnv = await call(h.server, MALLORY, 'GET', '/services/checkout/versions', { query: { environment: 'staging' } });
    expect([unknownEnv.status, errorOf(unknownEnv).name]).toEqual([404, 'UnknownServiceError']);
    const badQuery = await call(h.server, MALLORY, 'GET', '/services/checkout/versions', { query: { env: 'prod' } });
    expect(errorOf(badQuery)).toMatchObject({ name: 'InvalidInputError', field: 'env' });
  });
});
