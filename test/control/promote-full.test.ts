/**
 * `promote` with `full` through the control API over real HTTP (SigV4, the
 * local control server) against the real flow: a full promotion from a bake
 * or from a pending approval skips every remaining step, under the approval
 * policy of each approval it passes (the caller's IAM principal, four-eyes
 * against the starter); a refusal is PromotionNotAllowedError (403) and
 * leaves the ledger and the weights as they were.
 */
import { describe, expect, it } from 'vitest';
import type { Approval } from '../../functions/domain/approval.js';
import type { Release } from '../../functions/domain/release.js';
import type { PlanInput } from '../../functions/domain/plan.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, settledViolations, until } from '../flow/flow-fixture.js';
import { ALICE, APPROVERS, DANA, MALLORY, call, controlHarness, errorOf, type ControlHarness } from './control-fixture.js';

const SERVICE = '/services/checkout/prod';

/** A long bake at 10%, an approval, a long bake at 50%, then 100%. */
const PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 10, bakeSeconds: 3600 },
    { type: 'approval', approvers: APPROVERS, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 50, bakeSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 0 },
  ],
};

/** Starts a release of checkout/prod as Dana through the API and waits for its record. */
async function start(h: ControlHarness, plan: PlanInput = PLAN): Promise<Release> {
  const started = await call(h.server, DANA, 'POST', `${SERVICE}/releases`, { body: { version: 'v2', plan } });
  expect(started.status).toBe(202);
  return until(async () => (await h.runtime.ledger.listReleases(CHECKOUT)).items[0]);
}

function releaseWhen(h: ControlHarness, releaseId: string, check: (r: Release) => boolean): Promise<Release> {
  return until(async () => {
    const release = await h.runtime.ledger.getRelease({ ...CHECKOUT, releaseId });
    return release !== undefined && check(release) && h.runtime.stepsRunning === 0 ? release : undefined;
  });
}

/** What a refused request must leave as it was. */
async function snapshot(h: ControlHarness, releaseId: string) {
  return {
    release: await h.runtime.ledger.getRelease({ ...CHECKOUT, releaseId }),
    events: await h.runtime.ledger.listEvents({ releaseId }),
    lock: await h.runtime.ledger.getLock(CHECKOUT),
    weights: h.runtime.cloud.weightsOn(LISTENER),
  };
}

const promote = (h: ControlHarness, who: typeof ALICE, releaseId: string, body: unknown) =>
  call<{ resumed: boolean; full?: boolean; approval?: Approval; release: Release }>(h.server, who, 'POST', `${SERVICE}/releases/${releaseId}/promote`, { body });

const weightSteps = async (h: ControlHarness, releaseId: string) =>
  (await h.runtime.ledger.listEvents({ releaseId })).filter((e) => e.type === 'WEIGHTS_SET').map((e) => (e.data as { step: number }).step);

describe('promote --full through the control API', () => {
  it('from a bake: refuses the starter (four-eyes on the approval ahead) and a non-approver by name; an allowed approver skips every remaining step to SUCCEEDED', async () => {
    const h = await controlHarness();
    const { releaseId } = await start(h);
    await releaseWhen(h, releaseId, (r) => r.status === 'SHIFTING' && r.waiting?.kind === 'BAKE' && r.weights?.canary === 10);
    const before = await snapshot(h, releaseId);

    const byStarter = await promote(h, DANA, releaseId, { full: true });
    expect(byStarter.status).toBe(403);
    expect(errorOf(byStarter)).toMatchObject({ name: 'PromotionNotAllowedError', message: expect.stringContaining('(plan step 1): whoever started the release may not approve it (four-eyes)') as string });
    const byOutsider = await promote(h, MALLORY, releaseId, { full: true, reason: 'ship it' });
    expect(byOutsider.status).toBe(403);
    expect(errorOf(byOutsider)).toMatchObject({ name: 'PromotionNotAllowedError', message: expect.stringContaining('(plan step 1): not one of the approvers') as string });
    const malformed = await promote(h, ALICE, releaseId, { full: 'yes' });
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed)).toMatchObject({ name: 'InvalidInputError', field: 'full' });
    expect(await snapshot(h, releaseId)).toEqual(before);

    const promoted = await promote(h, ALICE, releaseId, { full: true, reason: 'hotfix, metrics clean' });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ full: true, resumed: true, release: { releaseId, promoteFull: { by: ALICE.principalArn, via: 'api', stepIndex: 0 } } });
    const done = await releaseWhen(h, releaseId, (r) => r.status === 'SUCCEEDED');
    expect(done).toMatchObject({ outcome: 'PROMOTED' });
    const events = await h.runtime.ledger.listEvents({ releaseId });
    expect(events.find((e) => e.type === 'PROMOTE_FULL')).toMatchObject({
      actor: ALICE.principalArn,
      message: expect.stringContaining('hotfix, metrics clean') as string,
      data: { stepIndex: 0, skipped: 3, via: 'api', approvalsPassed: [1] },
    });
    // No approval was asked for, no later weights were set: Finalize went straight to 100%.
    expect(events.some((e) => e.type === 'APPROVAL_REQUESTED')).toBe(false);
    expect(await weightSteps(h, releaseId)).toEqual([0]);
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
    await h.runtime.settled();
    expect((await settledViolations(h.runtime)).found).toEqual([]);
  });

  it('from a pending approval: decides it APPROVED as the caller (via api) and skips the rest, the same path as Slack', async () => {
    const h = await controlHarness();
    const { releaseId } = await start(h);
    await releaseWhen(h, releaseId, (r) => r.status === 'SHIFTING' && r.waiting?.kind === 'BAKE');
    expect((await call(h.server, ALICE, 'POST', `${SERVICE}/releases/${releaseId}/promote`, { body: {} })).status).toBe(200);
    const waiting = await releaseWhen(h, releaseId, (r) => r.status === 'AWAITING_APPROVAL' && r.waiting?.approvalId !== undefined);
    const approvalId = waiting.waiting?.approvalId ?? '';

    const byStarter = await promote(h, DANA, releaseId, { full: true });
    expect(byStarter.status).toBe(403);
    expect(errorOf(byStarter).name).toBe('PromotionNotAllowedError');
    expect((await h.runtime.ledger.getApproval(approvalId))?.decision).toBeUndefined();

    const promoted = await promote(h, ALICE, releaseId, { full: true });
    expect(promoted.status).toBe(200);
    expect(promoted.body.approval).toMatchObject({ approvalId, decision: { outcome: 'APPROVED', by: ALICE.principalArn, via: 'api' } });
    await releaseWhen(h, releaseId, (r) => r.status === 'SUCCEEDED');
    expect(await weightSteps(h, releaseId)).toEqual([0]);
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
    expect(await h.runtime.ledger.getStable(CHECKOUT)).toMatchObject({ version: 'v2', releaseId });

    // Finished: nothing left to promote (ReleaseNotActiveError, 409), nothing changed.
    await h.runtime.settled();
    const before = await snapshot(h, releaseId);
    const late = await promote(h, ALICE, releaseId, { full: true });
    expect(late.status).toBe(409);
    expect(errorOf(late)).toMatchObject({ name: 'ReleaseNotActiveError', message: expect.stringContaining('SUCCEEDED, neither baking nor waiting for an approval') as string });
    expect(await snapshot(h, releaseId)).toEqual(before);
  });
});
