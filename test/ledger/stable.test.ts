import { describe, expect, it } from 'vitest';
import { LockNotOwnedError } from '../../functions/errors.js';
import type { FleetRef } from '../../functions/domain/fleet.js';
import { newLedger, startInput } from './ledger-fixture.js';

const blue: FleetRef = { kind: 'ecs-task-set', id: 'ecs-svc/1111', targetGroup: 'tg-blue' };
const green: FleetRef = { kind: 'ecs-task-set', id: 'ecs-svc/2222', targetGroup: 'tg-green' };
const env = { service: 'checkout', environment: 'prod' };

describe('the stable version', () => {
  it('is set at onboarding while no release runs, and read back', async () => {
    const { ledger } = await newLedger();
    expect(await ledger.getStable(env)).toBeUndefined();
    await ledger.setStable({ ...env, version: 'v1', fleet: blue });
    expect(await ledger.getStable(env)).toMatchObject({ ...env, version: 'v1', fleet: blue });
  });

  it('changes only by the release holding the lock', async () => {
    const { ledger } = await newLedger();
    await ledger.setStable({ ...env, version: 'v1', fleet: blue });
    const release = await ledger.startRelease(startInput());

    const onboarding = await ledger.setStable({ ...env, version: 'v9', fleet: green }).catch((e: unknown) => e);
    expect(onboarding).toBeInstanceOf(LockNotOwnedError);
    expect((onboarding as LockNotOwnedError).holderReleaseId).toBe(release.releaseId);
    const stranger = await ledger
      .setStable({ ...env, version: 'v9', fleet: green, releaseId: '01JAAAAAAAAAAAAAAAAAAAAAAA' })
      .catch((e: unknown) => e);
    expect(stranger).toBeInstanceOf(LockNotOwnedError);
    expect((await ledger.getStable(env))?.version).toBe('v1');

    await ledger.setStable({ ...env, version: 'v2', fleet: green, releaseId: release.releaseId });
    expect(await ledger.getStable(env)).toMatchObject({ version: 'v2', fleet: green, releaseId: release.releaseId });
  });

  it('refuses a fleet of an unknown kind, naming the field', async () => {
    const { ledger } = await newLedger();
    await expect(
      ledger.setStable({ ...env, version: 'v1', fleet: { ...blue, kind: 'lambda' as FleetRef['kind'] } }),
    ).rejects.toMatchObject({ name: 'InvalidInputError', field: 'fleet.kind' });
    expect(await ledger.getStable(env)).toBeUndefined();
  });
});
