import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../functions/errors.js';
import type { Ledger, Page } from '../../functions/ports.js';
import type { Release } from '../../functions/domain/release.js';
import { newLedger, startInput } from './ledger-fixture.js';

async function collect(fetchPage: (cursor?: string) => Promise<Page<Release>>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetchPage(cursor);
    ids.push(...page.items.map((r) => r.releaseId));
    cursor = page.cursor;
    pages++;
  } while (cursor !== undefined);
  return { ids, pages };
}

async function runReleases(ledger: Ledger, service: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const release = await ledger.startRelease(startInput({ service, version: `v${i}` }));
    await ledger.finishRelease({ ...release, from: 'PENDING', status: 'FAILED', outcome: 'TEST', reason: 'listing fixture' });
    ids.push(release.releaseId);
  }
  return ids;
}

describe('listing releases', () => {
  it('returns 250 releases of one service in pages, each exactly once, newest first', async () => {
    const { ledger } = await newLedger();
    const started = await runReleases(ledger, 'checkout', 250);
    await runReleases(ledger, 'payments', 3); // another service's releases never show up
    const { ids, pages } = await collect((cursor) =>
      ledger.listReleases({ service: 'checkout', environment: 'prod', limit: 40, ...(cursor === undefined ? {} : { cursor }) }),
    );
    expect(ids).toHaveLength(250);
    expect(new Set(ids).size).toBe(250);
    expect(ids).toEqual([...started].reverse());
    // 6 full pages and one of 10: the last page names no next one.
    expect(pages).toBe(7);
  }, 120_000);

  it('names no next page when the listing ends exactly at the limit (DynamoDB still returns a LastEvaluatedKey there)', async () => {
    const { ledger } = await newLedger();
    const started = await runReleases(ledger, 'checkout', 4);
    const full = await ledger.listReleases({ service: 'checkout', environment: 'prod', limit: 4 });
    expect(full.items.map((r) => r.releaseId)).toEqual([...started].reverse());
    expect(full.cursor).toBeUndefined();
    const partial = await ledger.listReleases({ service: 'checkout', environment: 'prod', limit: 3 });
    expect(partial.cursor).toBeDefined();
    const rest = await ledger.listReleases({ service: 'checkout', environment: 'prod', limit: 3, cursor: partial.cursor ?? '' });
    expect(rest.items.map((r) => r.releaseId)).toEqual([started[0]]);
    expect(rest.cursor).toBeUndefined();
    const recent = await ledger.listRecentReleases({ limit: 4 });
    expect(recent.items).toHaveLength(4);
    expect(recent.cursor).toBeUndefined();
  });

  it('lists recent releases across services newest first through the index', async () => {
    const { ledger } = await newLedger();
    const a = await runReleases(ledger, 'checkout', 3);
    const b = await runReleases(ledger, 'payments', 2);
    const c = await runReleases(ledger, 'checkout', 2);
    const { ids } = await collect((cursor) => ledger.listRecentReleases({ limit: 3, ...(cursor === undefined ? {} : { cursor }) }));
    expect(ids).toEqual([...a, ...b, ...c].reverse());
  });

  it('refuses a cursor from another listing or an altered one', async () => {
    const { ledger } = await newLedger();
    await runReleases(ledger, 'checkout', 3);
    await runReleases(ledger, 'payments', 3);
    const checkoutPage = await ledger.listReleases({ service: 'checkout', environment: 'prod', limit: 1 });
    expect(checkoutPage.cursor).toBeDefined();
    const cursor = checkoutPage.cursor ?? '';
    await expect(ledger.listReleases({ service: 'payments', environment: 'prod', cursor })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(ledger.listRecentReleases({ cursor })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(ledger.listReleases({ service: 'checkout', environment: 'prod', cursor: 'garbage!' })).rejects.toBeInstanceOf(
      InvalidCursorError,
    );
    await expect(ledger.listReleases({ service: 'checkout', environment: 'prod', limit: 0 })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'limit',
    });
  });
});
