/**
 * The control API over real HTTP (local control server, SigV4-signed
 * requests) against the real flow: what each route does to the ledger and to
 * the weights, who it records, and what it refuses — with the ledger and the
 * traffic left as they were.
 */
import { describe, expect, it } from 'vitest';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { DynamoDbLedger } from '../../functions/ledger/dynamodb-ledger.js';
import type { Approval } from '../../functions/domain/approval.js';
import type { Release } from '../../functions/domain/release.js';
import { localDynamoClient } from '../../local/ledger-table.js';
import { inject } from 'vitest';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, until } from '../flow/flow-fixture.js';
import {
  ALICE,
  APPROVAL_PLAN,
  BAKING_PLAN,
  DANA,
  ERIN,
  MALLORY,
  QUICK_PLAN,
  call,
  controlHarness,
  errorOf,
  type ControlHarness,
} from './control-fixture.js';

const SERVICE = '/services/checkout/prod';

interface Page {
  items: Release[];
  next?: string;
}

/** Starts a release of checkout/prod as Dana through the API and waits for its record. */
async function start(h: ControlHarness, version: string, plan: unknown): Promise<Release> {
  const started = await call<{ outcome: { started: boolean } }>(h.server, DANA, 'POST', `${SERVICE}/releases`, { body: { version, plan, commit: 'abc1234' } });
  expect(started.status).toBe(202);
  expect(started.body.outcome.started).toBe(true);
  return until(async () => (await h.runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === version));
}

/** The release once it matches `check`. */
function releaseWhen(h: ControlHarness, releaseId: string, check: (r: Release) => boolean): Promise<Release> {
  return until(async () => {
    const release = await h.runtime.ledger.getRelease({ ...CHECKOUT, releaseId });
    return release !== undefined && check(release) ? release : undefined;
  });
}

const baking = (weight: number) => (r: Release) => r.status === 'SHIFTING' && r.waiting?.kind === 'BAKE' && r.weights?.canary === weight;

/** Everything a refused request must leave as it was. */
async function snapshot(h: ControlHarness, releaseId?: string, approvalId?: string) {
  return {
    releases: (await h.runtime.ledger.listRecentReleases({ limit: 100 })).items,
    events: releaseId === undefined ? [] : await h.runtime.ledger.listEvents({ releaseId }),
    approval: approvalId === undefined ? undefined : await h.runtime.ledger.getApproval(approvalId),
    lock: await h.runtime.ledger.getLock(CHECKOUT),
    weights: h.runtime.cloud.weightsOn(LISTENER),
  };
}

describe('the control API over HTTP', () => {
  it('starts a release as the caller, shows it without task tokens, promotes it and aborts it, recording who did each', async () => {
    const h = await controlHarness();
    const { releaseId } = await start(h, 'v2', BAKING_PLAN);
    await releaseWhen(h, releaseId, baking(10));

    const got = await call<Record<string, unknown>>(h.server, ALICE, 'GET', `${SERVICE}/releases/${releaseId}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      status: 'SHIFTING',
      currentStep: { index: 0 },
      weights: { stable: 90, canary: 10 },
      alarms: [
        { name: 'checkout-prod-5xx', state: 'OK' },
        { name: 'checkout-prod-p99-latency', state: 'OK' },
      ],
      approval: null,
      release: { trigger: { source: 'control-api', startedBy: { kind: 'iam-principal', id: DANA.principalArn }, commit: 'abc1234' }, waiting: { kind: 'BAKE' } },
    });
    expect(JSON.stringify(got.body)).not.toContain('taskToken');
    const events = got.body.events as { type: string; actor?: string }[];
    expect(events.find((e) => e.type === 'RELEASE_STARTED')?.actor).toBe(DANA.principalArn);

    const status = await call<{ activeRelease: { releaseId: string }; lock: { releaseId: string } }>(h.server, MALLORY, 'GET', `${SERVICE}/status`);
    expect(status.body).toMatchObject({ activeRelease: { releaseId }, lock: { releaseId }, stable: { version: 'v1' } });
    expect(JSON.stringify(status.body)).not.toContain('taskToken');

    expect(await call(h.server, ALICE, 'POST', `${SERVICE}/releases/${releaseId}/promote`, { body: { reason: 'looks fine' } })).toMatchObject({ status: 200, body: { resumed: true, release: { releaseId } } });
    await releaseWhen(h, releaseId, baking(50));
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 50], [TG_GREEN, 50]]));

    expect(await call(h.server, ALICE, 'POST', `${SERVICE}/releases/${releaseId}/abort`, { body: { reason: 'latency creeping up' } })).toMatchObject({ status: 200, body: { resumed: true, release: { releaseId, status: 'ROLLING_BACK' } } });
    const ended = await releaseWhen(h, releaseId, (r) => r.finishedAt !== undefined);
    expect(ended).toMatchObject({ status: 'ABORTED' });
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
    expect(await h.runtime.ledger.getLock(CHECKOUT)).toBeUndefined();

    const log = await h.runtime.ledger.listEvents({ releaseId });
    expect(log.find((e) => e.type === 'PROMOTE_NOW')).toMatchObject({ actor: ALICE.principalArn });
    expect(log.find((e) => e.type === 'STATUS_CHANGED' && e.message?.includes('ROLLING_BACK') === true)).toMatchObject({ actor: ALICE.principalArn });
    expect(await call(h.server, ALICE, 'GET', '/whoami')).toEqual({ status: 200, body: { principalArn: ALICE.principalArn, person: 'alice' } });
  });

  it('records a caller whose IAM ARN is longer than 256 characters in full (a user under a long path)', async () => {
    expect(ERIN.principalArn.length).toBeGreaterThan(500);
    const h = await controlHarness();
    const started = await call<{ outcome: { started: boolean } }>(h.server, ERIN, 'POST', `${SERVICE}/releases`, { body: { version: 'v2', plan: BAKING_PLAN, reason: 'cart fix' } });
    expect(started).toMatchObject({ status: 202, body: { outcome: { started: true } } });
    const release = await until(async () => (await h.runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === 'v2'));
    const { releaseId } = await releaseWhen(h, release.releaseId, baking(10));
    expect(await call(h.server, ERIN, 'POST', `${SERVICE}/releases/${releaseId}/abort`, { body: { reason: 'wrong build' } })).toMatchObject({ status: 200, body: { resumed: true } });
    expect(await releaseWhen(h, releaseId, (r) => r.finishedAt !== undefined)).toMatchObject({ status: 'ABORTED', trigger: { reason: 'cart fix', startedBy: { id: ERIN.principalArn } } });
    const log = await h.runtime.ledger.listEvents({ releaseId });
    expect(log.find((e) => e.type === 'RELEASE_STARTED')).toMatchObject({ actor: ERIN.principalArn, message: 'release of v2 to checkout/prod started: cart fix' });
    expect(log.find((e) => e.type === 'STATUS_CHANGED' && e.message?.includes('ROLLING_BACK') === true)).toMatchObject({ actor: ERIN.principalArn });

    // The rollback route checks its caller as an IAM principal ARN: the long one passes too.
    await call(h.server, ERIN, 'POST', `${SERVICE}/releases`, { body: { version: 'v3', plan: BAKING_PLAN } });
    const second = await until(async () => (await h.runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === 'v3'));
    await releaseWhen(h, second.releaseId, baking(10));
    expect(await call(h.server, ERIN, 'POST', `${SERVICE}/releases/${second.releaseId}/rollback`, { body: { reason: 'errors' } })).toMatchObject({ status: 200, body: { phase: 'before-promotion' } });
    expect(await releaseWhen(h, second.releaseId, (r) => r.finishedAt !== undefined)).toMatchObject({ status: 'ROLLED_BACK', rollbackCause: 'rollback' });
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));
  });

  it('lets an allowed IAM principal approve through the same decision path, recorded with its ARN', async () => {
    const h = await controlHarness();
    const { releaseId } = await start(h, 'v2', APPROVAL_PLAN);
    const { approvalId } = await until(() => h.runtime.cloud.approvalRequests[0]);

    const shown = await call<{ approval: { approvalId: string } }>(h.server, ALICE, 'GET', `${SERVICE}/releases/${releaseId}`);
    expect(shown.body.approval).toMatchObject({ approvalId, approvers: { principals: [`arn:aws:sts::000000000000:assumed-role/Operators/*`] } });
    const approval = await call(h.server, ALICE, 'GET', `/approvals/${approvalId}`);
    expect(approval.status).toBe(200);
    expect(JSON.stringify([shown.body, approval.body])).not.toContain('taskToken');

    const decided = await call<{ approval: Approval }>(h.server, ALICE, 'POST', `/approvals/${approvalId}/approve`, { body: { comment: 'ship it' } });
    expect(decided.status).toBe(200);
    expect(decided.body.approval.decision).toMatchObject({ outcome: 'APPROVED', by: ALICE.principalArn, via: 'api', comment: 'ship it' });
    expect(await releaseWhen(h, releaseId, (r) => r.finishedAt !== undefined)).toMatchObject({ status: 'SUCCEEDED' });
    expect(h.runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
    const requested = (await h.runtime.ledger.listEvents({ releaseId })).find((e) => e.type === 'APPROVAL_REQUESTED');
    expect(requested?.message).toMatch(/^step 0 waits for U01ALICE, arn:aws:sts::000000000000:assumed-role\/Operators\/\* until /);

    const again = await call(h.server, ALICE, 'POST', `/approvals/${approvalId}/reject`, {});
    expect(again.status).toBe(409);
    expect(errorOf(again).name).toBe('AlreadyDecidedError');
  });

  it('refuses a caller who is not an approver (NotAnApproverError, 403) and leaves the ledger as it was', async () => {
    const h = await controlHarness();
    const { releaseId } = await start(h, 'v2', APPROVAL_PLAN);
    const { approvalId } = await until(() => h.runtime.cloud.approvalRequests[0]);
    const before = await snapshot(h, releaseId, approvalId);

    const refused = await call(h.server, MALLORY, 'POST', `/approvals/${approvalId}/approve`, {});
    expect(refused.status).toBe(403);
    expect(errorOf(refused)).toMatchObject({ name: 'NotAnApproverError' });
    expect(errorOf(refused).message).toContain(MALLORY.principalArn);
    expect(await snapshot(h, releaseId, approvalId)).toEqual(before);
  });

  it('four-eyes: refuses the starter approving their own release (SelfApprovalError), though their role may approve', async () => {
    const h = await controlHarness();
    const { releaseId } = await start(h, 'v2', APPROVAL_PLAN);
    const { approvalId } = await until(() => h.runtime.cloud.approvalRequests[0]);
    const before = await snapshot(h, releaseId, approvalId);

    const refused = await call(h.server, DANA, 'POST', `/approvals/${approvalId}/approve`, {});
    expect(refused.status).toBe(403);
    expect(errorOf(refused).name).toBe('SelfApprovalError');
    expect(await snapshot(h, releaseId, approvalId)).toEqual(before);

    // The local runtime's decide takes the same path and refuses the same way.
    await expect(h.runtime.decide(approvalId, 'APPROVED', DANA.principalArn)).rejects.toMatchObject({ name: 'SelfApprovalError' });
    // Rejecting is allowed to the starter.
    expect((await call(h.server, DANA, 'POST', `/approvals/${approvalId}/reject`, { body: { comment: 'wrong build' } })).status).toBe(200);
    expect(await releaseWhen(h, releaseId, (r) => r.finishedAt !== undefined)).toMatchObject({ status: 'FAILED', outcome: 'REJECTED' }); // no traffic ever moved: FAILED, not ROLLED_BACK
  });

  it('lists releases newest first, a page at a time, per service and across services', async () => {
    const h = await controlHarness();
    for (const version of ['v2', 'v3', 'v4']) {
      const { releaseId } = await start(h, version, QUICK_PLAN);
      await releaseWhen(h, releaseId, (r) => r.finishedAt !== undefined);
      await until(async () => ((await h.runtime.ledger.getLock(CHECKOUT)) === undefined ? true : undefined));
    }
    const first = await call<Page>(h.server, MALLORY, 'GET', `${SERVICE}/releases`, { query: { limit: '2' } });
    expect(first.status).toBe(200);
    expect(first.body.items.map((r) => r.version)).toEqual(['v4', 'v3']);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await call<Page>(h.server, MALLORY, 'GET', `${SERVICE}/releases`, { query: { limit: '2', cursor: first.body.next ?? '' } });
    expect(second.body.items.map((r) => r.version)).toEqual(['v2']);
    expect(second.body.next).toBeUndefined();

    const recent = await call<Page>(h.server, MALLORY, 'GET', '/releases', { query: { limit: '1' } });
    expect(recent.body.items.map((r) => r.version)).toEqual(['v4']);
    const bad = await call(h.server, MALLORY, 'GET', '/releases', { query: { cursor: 'not-a-cursor' } });
    expect(bad.status).toBe(400);
    expect(errorOf(bad).name).toBe('InvalidCursorError');
  });

  it('refuses bad input naming the field, before anything starts or changes', async () => {
    const h = await controlHarness();
    const before = await snapshot(h);
    const cases: [string, 'GET' | 'POST', string, { query?: Record<string, string>; body?: unknown }, number, { name: string; field?: string }][] = [
      ['an unknown body field', 'POST', `${SERVICE}/releases`, { body: { version: 'v2', colour: 'blue' } }, 400, { name: 'InvalidInputError', field: 'colour' }],
      ['a missing version', 'POST', `${SERVICE}/releases`, { body: {} }, 400, { name: 'InvalidInputError', field: 'version' }],
      ['a version with a newline', 'POST', `${SERVICE}/releases`, { body: { version: 'v2\nrm' } }, 400, { name: 'InvalidInputError', field: 'version' }],
      ['a plan that drops nothing but is malformed', 'POST', `${SERVICE}/releases`, { body: { version: 'v2', plan: { steps: [{ type: 'traffic', weight: 500 }] } } }, 400, { name: 'InvalidInputError', field: 'steps.0.weight' }],
      ['an abort without a reason', 'POST', `${SERVICE}/releases/01J0000000000000000000000A/abort`, { body: {} }, 400, { name: 'InvalidInputError', field: 'reason' }],
      ['a release id that is not a ULID', 'GET', `${SERVICE}/releases/not-a-ulid`, {}, 400, { name: 'InvalidInputError', field: 'releaseId' }],
      ['a limit of 0', 'GET', `${SERVICE}/releases`, { query: { limit: '0' } }, 400, { name: 'InvalidInputError', field: 'limit' }],
      ['an unknown query parameter', 'GET', `${SERVICE}/releases`, { query: { page: '2' } }, 400, { name: 'InvalidInputError', field: 'page' }],
      ['a query on a route that takes none', 'GET', `${SERVICE}/status`, { query: { verbose: '1' } }, 400, { name: 'InvalidInputError', field: 'verbose' }],
      ['a service name with a #', 'GET', '/services/check%23out/prod/status', {}, 400, { name: 'InvalidInputError', field: 'service' }],
      ['a service not onboarded', 'POST', '/services/payments/prod/releases', { body: { version: 'v2' } }, 404, { name: 'UnknownServiceError' }],
      ['a release that does not exist', 'GET', `${SERVICE}/releases/01J0000000000000000000000A`, {}, 404, { name: 'ReleaseNotFoundError' }],
    ];
    for (const [what, method, path, options, status, error] of cases) {
      const result = await call(h.server, DANA, method, path, options);
      expect({ what, status: result.status, error: errorOf(result) }).toMatchObject({ what, status, error });
    }
    const unknown = await call(h.server, DANA, 'DELETE' as 'GET', '/releases');
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown)).toMatchObject({ name: 'RouteNotFoundError', message: 'no control route DELETE /releases' });
    expect(await snapshot(h)).toEqual(before);
    expect(h.runtime.engine.listExecutions()).toEqual([]);
  });

  it('refuses unsigned, forged, tampered and stale requests with 403, the release and its weights untouched', async () => {
    const h = await controlHarness();
    const { releaseId } = await start(h, 'v2', BAKING_PLAN);
    await releaseWhen(h, releaseId, baking(10));
    const before = await snapshot(h, releaseId);
    const abort = `${SERVICE}/releases/${releaseId}/abort`;
    const body = { reason: 'let me in' };

    const unsigned = await call(h.server, ALICE, 'POST', abort, { body, unsigned: true });
    expect([unsigned.status, errorOf(unsigned).name]).toEqual([403, 'MissingIdentityError']);
    const forged = await call(h.server, ALICE, 'POST', abort, { body, secret: 'guessed-secret' });
    expect([forged.status, errorOf(forged).name]).toEqual([403, 'SignatureMismatchError']);
    const tampered = await call(h.server, ALICE, 'POST', `${SERVICE}/releases/${releaseId}/promote`, { body: {}, sendBody: JSON.stringify({ reason: 'x'.repeat(2) }) });
    expect([tampered.status, errorOf(tampered).name]).toEqual([403, 'SignatureMismatchError']);
    expect(errorOf(tampered).message).toContain('body');
    const stale = await call(h.server, ALICE, 'POST', abort, { body, signingDate: new Date(Date.now() - 10 * 60_000) });
    expect([stale.status, errorOf(stale).name]).toEqual([403, 'SignatureMismatchError']);
    expect(errorOf(stale).message).toContain('5 minutes');
    const stranger = await call(h.server, { accessKeyId: 'AKIDSTRANGER', secretAccessKey: 's', principalArn: 'arn:aws:iam::000000000000:user/x' }, 'GET', '/whoami');
    expect([stranger.status, errorOf(stranger).name]).toEqual([403, 'SignatureMismatchError']);

    expect(await snapshot(h, releaseId)).toEqual(before);
    expect((await h.runtime.ledger.getRelease({ ...CHECKOUT, releaseId }))?.status).toBe('SHIFTING');
  });

  it('refuses to take over a lock while its holder runs (LockHeldError, 409), the lock and the release untouched', async () => {
    const h = await controlHarness();
    const { releaseId } = await start(h, 'v2', BAKING_PLAN);
    await releaseWhen(h, releaseId, baking(10));
    const before = await snapshot(h, releaseId);

    const refused = await call(h.server, ALICE, 'POST', `${SERVICE}/lock/take-over`, { body: { reason: 'it looks stuck' } });
    expect(refused.status).toBe(409);
    expect(errorOf(refused)).toMatchObject({ name: 'LockHeldError' });
    expect(await snapshot(h, releaseId)).toEqual(before);
    expect(errorOf(await call(h.server, ALICE, 'POST', `${SERVICE}/lock/take-over`, { body: {} }))).toMatchObject({ name: 'InvalidInputError', field: 'reason' });
  });

  it('frees a lock whose lease expired, recording who and why on the holder', async () => {
    const tableName = `rollgate-ledger-ctl-${Math.random().toString(36).slice(2, 10)}`;
    const h = await controlHarness({ tableName });
    // A holder from an hour ago whose lease (60 s) ran out, and whose execution nobody recorded.
    const past = new DynamoDbLedger({ client: ledgerDocumentClient(localDynamoClient(inject('dynamodbEndpoint'))), tableName, now: () => new Date(Date.now() - 3_600_000) });
    const holder = await past.startRelease({ ...CHECKOUT, version: 'v9', trigger: { source: 'test' }, leaseSeconds: 60 });

    const freed = await call(h.server, ALICE, 'POST', `${SERVICE}/lock/take-over`, { body: { reason: 'holder died with the old account' } });
    expect(freed).toMatchObject({ status: 200, body: { freed: { releaseId: holder.releaseId, leaseExpired: true, executionStatus: 'UNKNOWN' } } });
    expect(await h.runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    const event = (await h.runtime.ledger.listEvents(holder)).find((e) => e.type === 'LOCK_TAKEN_OVER');
    expect(event).toMatchObject({ actor: ALICE.principalArn });
    expect(event?.message).toContain('holder died with the old account');

    const none = await call(h.server, ALICE, 'POST', `${SERVICE}/lock/take-over`, { body: { reason: 'again' } });
    expect([none.status, errorOf(none).name]).toEqual([409, 'LockNotHeldError']);
  });
});
