/**
 * `rollgate --local` against the real local control plane: the control
 * server (the control Lambda's dispatcher behind SigV4 verification) over a
 * local runtime — the release state machine on the local engine, the ledger
 * on DynamoDB Local, the simulated cloud — found through the state file the
 * server's process writes, as `npm start -- --serve` does. The CLI runs
 * in-process (the function the bin calls) with real time; each command's
 * effect is asserted in the ledger and on the listener's weights.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Release } from '../../functions/domain/release.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { startLocalControlPlane, type LocalControlPlane } from './in-process.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, liveCheckoutVersions, newRuntime, until } from '../flow/flow-fixture.js';

const OPERATOR = { accessKeyId: 'LOCALOPERATOR1', secretAccessKey: 'operator-secret-for-tests', principalArn: 'arn:aws:iam::000000000000:user/operator' };
/** Long bakes, so a command lands while the release waits in one. */
const PLAN = { steps: [{ type: 'traffic', weight: 25, bakeSeconds: 60 }, { type: 'traffic', weight: 100, bakeSeconds: 60 }] };

let runtime: LocalRuntime;
let plane: LocalControlPlane;

beforeAll(async () => {
  // Bakes end only when told (promote) or after 60 s; the termination wait is long enough to roll back in.
  runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 }, waitTimeOverrides: { TerminationWait: 60_000 } } });
  plane = await startLocalControlPlane(runtime, OPERATOR);
});
afterAll(async () => {
  await plane.close();
});

/** Runs `rollgate --local --json …` in this process; its exit status and the one JSON document. */
async function rollgate(...argv: string[]): Promise<{ code: number; doc: Record<string, unknown>; stderr: string }> {
  const { code, stdout, stderr } = await plane.cli('--json', ...argv);
  return { code, doc: JSON.parse(stdout) as Record<string, unknown>, stderr };
}

const releaseOf = (doc: Record<string, unknown>) => doc.release as Release;
const ledgerRelease = async (releaseId: string) => runtime.ledger.getRelease({ ...CHECKOUT, releaseId });
const baking = (stepIndex: number) => async (): Promise<Release | undefined> => {
  const current = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
  return current?.waiting?.kind === 'BAKE' && current.waiting.stepIndex === stepIndex && runtime.stepsRunning === 0 ? current : undefined;
};

describe('rollgate --local, on the local control plane', () => {
  it('release → status → promote → rollback after promotion: each action lands, by the verified caller, and the rollback flips traffic back to the warm fleet', async () => {
    const started = await rollgate('release', 'checkout', 'v2', '--plan-file', writePlan(), '--reason', 'ship the cart fix');
    expect(started.code).toBe(0);
    const { releaseId } = releaseOf(started.doc);
    await until(baking(0));

    const status = await rollgate('status', 'checkout');
    expect(status.code).toBe(0);
    expect(status.doc).toMatchObject({
      stable: { version: 'v1' },
      activeRelease: { release: { releaseId, weights: { stable: 75, canary: 25 } }, alarms: [{ name: 'checkout-prod-5xx', state: 'OK' }, { name: 'checkout-prod-p99-latency', state: 'OK' }] },
      lock: { releaseId },
    });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 75], [TG_GREEN, 25]]));

    expect((await rollgate('promote', 'checkout', '--reason', 'metrics look fine')).code).toBe(0);
    await until(baking(1));
    expect((await rollgate('promote', 'checkout')).code).toBe(0);
    // Promoted: the old fleet stays warm for the termination wait.
    await until(async () => ((await runtime.ledger.getStable(CHECKOUT))?.version === 'v2' ? true : undefined));

    const recorded = await ledgerRelease(releaseId);
    expect(recorded?.trigger).toMatchObject({ source: 'control-api', reason: 'ship the cart fix', startedBy: { kind: 'iam-principal', id: OPERATOR.principalArn } });
    const events = await runtime.ledger.listEvents({ releaseId });
    expect(events.find((e) => e.type === 'RELEASE_STARTED')).toMatchObject({ actor: OPERATOR.principalArn, message: 'release of v2 to checkout/prod started: ship the cart fix' });
    expect(events.filter((e) => e.type === 'PROMOTE_NOW').map((e) => e.actor)).toEqual([OPERATOR.principalArn, OPERATOR.principalArn]);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));

    // Promoted, the old fleet still warm in the termination wait: rollback is a weight flip back to it.
    const back = await rollgate('rollback', 'checkout', '--reason', 'checkout errors after promotion');
    expect(back.code).toBe(0);
    expect(await ledgerRelease(releaseId)).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ROLLED_BACK_ON_REQUEST' });
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(await runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v1' });
    expect(liveCheckoutVersions(runtime)).toEqual(['v1']);
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
  });

  it('abort mid-bake: traffic back on stable, the release ABORTED with the reason, watch follows it to its end (exit 1); history lists both releases, newest first', async () => {
    const started = await rollgate('release', 'checkout', 'v3', '--plan-file', writePlan());
    const { releaseId } = releaseOf(started.doc);
    await until(baking(0));

    const aborted = await rollgate('abort', 'checkout', '--reason', 'latency creeping up');
    expect(aborted.code).toBe(0);
    // watch follows it to its end: rolled back is exit 1.
    const watched = await rollgate('watch', 'checkout', '--interval', '1');
    expect(watched.code).toBe(1);
    expect(releaseOf(watched.doc)).toMatchObject({ releaseId, status: 'ABORTED' });
    const ended = await ledgerRelease(releaseId);
    expect(ended).toMatchObject({ status: 'ABORTED' });
    expect(ended?.statusReason).toMatch(/aborted by arn:aws:iam::000000000000:user\/operator: latency creeping up/);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();

    const history = await rollgate('history', 'checkout');
    expect(history.code).toBe(0);
    expect((history.doc.items as Release[]).map((r) => [r.version, r.status])).toEqual([
      ['v3', 'ABORTED'],
      ['v2', 'ROLLED_BACK'],
    ]);
  });

  it('a refusal is exit 1 with the API error by name, and changes nothing', async () => {
    const before = await runtime.ledger.listReleases(CHECKOUT);
    const refused = await rollgate('promote', 'checkout');
    expect(refused.code).toBe(1);
    expect(refused.doc).toMatchObject({ error: { name: 'RefusedError', message: 'no release of checkout/prod is active: nothing to promote' } });
    expect(await runtime.ledger.listReleases(CHECKOUT)).toEqual(before);
  });
});

function writePlan(): string {
  return plane.writeJson('plan.json', PLAN);
}
