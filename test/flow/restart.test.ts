/**
 * The local runtime started again on a ledger an earlier run left (the
 * persistent local mode keeps DynamoDB Local's tables on disk): it opens the
 * table instead of failing, and the simulated cloud starts from the stable
 * version and fleet the ledger names, not from the onboarding defaults.
 */
import { describe, expect, it } from 'vitest';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, liveCheckoutVersions, newRuntime, onlyRelease, releaseInput } from './flow-fixture.js';

describe('a runtime started again on the same ledger', () => {
  it('keeps the releases and starts from the promoted version on its fleet, with all traffic on it', async () => {
    const tableName = `rollgate-restart-${Math.random().toString(36).slice(2, 10)}`;
    const first = await newRuntime({ tableName });
    const result = await first.startRelease(releaseInput('v2', { plan: { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 1 }] } })).result;
    expect(result.status).toBe('SUCCEEDED');
    await first.settled();
    const promoted = await first.ledger.getStable(CHECKOUT);
    expect(promoted).toMatchObject({ version: 'v2', fleet: { targetGroup: TG_GREEN } });

    const second = await newRuntime({ tableName });

    expect(await second.ledger.getStable(CHECKOUT)).toEqual(promoted);
    expect(await onlyRelease(second)).toMatchObject({ status: 'SUCCEEDED', version: 'v2' });
    expect(liveCheckoutVersions(second)).toEqual(['v2']);
    expect(second.cloud.liveFleets().find((f) => f.version === 'v2')?.ref.id).toBe(promoted?.fleet.id);
    expect(second.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_GREEN, 100]]));

    // And the next release deploys beside it, onto the other target group.
    const next = await second.startRelease(releaseInput('v3', { plan: { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 1 }] } })).result;
    expect(next.status).toBe('SUCCEEDED');
    await second.settled();
    expect(await second.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v3', fleet: { targetGroup: TG_BLUE } });
    expect(liveCheckoutVersions(second)).toEqual(['v3']);
    expect(await second.ledger.getLock(CHECKOUT)).toBeUndefined();
  });
});
