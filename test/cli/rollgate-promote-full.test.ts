/**
 * `rollgate promote <service> --full` against the real local control plane
 * (the control server over a local runtime, found through a state file):
 * refused for the release's starter (four-eyes on the approval it would
 * pass) with exit status 1 and the API's error by name in --json, nothing
 * changed; an allowed approver's full promotion skips every remaining step.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLocalState } from '../../cli/local-state.js';
import { run } from '../../cli/rollgate.js';
import type { Release } from '../../functions/domain/release.js';
import { ControlServer, type RunningControlServer } from '../../local/control-server.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, newRuntime, settledViolations, until } from '../flow/flow-fixture.js';

const STARTER = { accessKeyId: 'LOCALSTARTER1', secretAccessKey: 'starter-secret-for-tests', principalArn: 'arn:aws:iam::000000000000:user/starter' };
const APPROVER = { accessKeyId: 'LOCALAPPROVER1', secretAccessKey: 'approver-secret-for-tests', principalArn: 'arn:aws:iam::000000000000:user/approver' };
/** A long bake at 25%, an approval both may decide (four-eyes keeps the starter from approving), then 100%. */
const PLAN = {
  steps: [
    { type: 'traffic', weight: 25, bakeSeconds: 60 },
    { type: 'approval', approvers: { principals: [STARTER.principalArn, APPROVER.principalArn] }, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 60 },
  ],
};

let dir: string;
let runtime: LocalRuntime;
let server: RunningControlServer;
const statePaths: Record<'starter' | 'approver', string> = { starter: '', approver: '' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rollgate-promote-full-'));
  runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
  server = await ControlServer.start({ runtime, credentials: [STARTER, APPROVER] });
  for (const [who, credential] of [['starter', STARTER], ['approver', APPROVER]] as const) {
    statePaths[who] = join(dir, `${who}.json`);
    writeLocalState({ version: 1, endpoint: server.endpoint, region: 'us-east-1', ...credential, pid: process.pid }, statePaths[who]);
  }
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `rollgate --local --json …` in this process as `who`; its exit status and the one JSON document. */
async function rollgate(who: 'starter' | 'approver', ...argv: string[]): Promise<{ code: number; doc: Record<string, unknown> }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  out.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  err.resume();
  const code = await run(['--local', '--json', ...argv], { out, err, isTTY: false, now: () => Date.now(), sleep: (ms) => sleep(ms) }, { ROLLGATE_LOCAL_STATE: statePaths[who] });
  return { code, doc: JSON.parse(stdout) as Record<string, unknown> };
}

const baking = async (): Promise<Release | undefined> => {
  const current = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
  return current?.waiting?.kind === 'BAKE' && current.waiting.stepIndex === 0 && runtime.stepsRunning === 0 ? current : undefined;
};

describe('rollgate promote --full, on the local control plane', () => {
  it('refuses the starter with exit 1 and PromotionNotAllowedError, nothing changed; the approver promotes fully, every remaining step skipped', async () => {
    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(PLAN));
    const started = await rollgate('starter', 'release', 'checkout', 'v2', '--plan-file', planFile);
    expect(started.code).toBe(0);
    const { releaseId } = started.doc.release as Release;
    const before = await until(baking);
    const events = await runtime.ledger.listEvents({ releaseId });

    const refused = await rollgate('starter', 'promote', 'checkout', '--full');
    expect(refused.code).toBe(1);
    expect(refused.doc).toMatchObject({ error: { name: 'PromotionNotAllowedError', message: expect.stringContaining('(plan step 1)') as string } });
    expect(await runtime.ledger.getRelease({ ...CHECKOUT, releaseId })).toEqual(before);
    expect(await runtime.ledger.listEvents({ releaseId })).toEqual(events);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 75], [TG_GREEN, 25]]));

    const promoted = await rollgate('approver', 'promote', 'checkout', '--full', '--reason', 'incident fix');
    expect(promoted.code).toBe(0);
    expect(promoted.doc).toMatchObject({ full: true, release: { releaseId, promoteFull: { by: APPROVER.principalArn, via: 'api' } } });
    const watched = await rollgate('approver', 'watch', 'checkout', '--interval', '1');
    expect(watched.code).toBe(0);
    expect(await runtime.ledger.getRelease({ ...CHECKOUT, releaseId })).toMatchObject({ status: 'SUCCEEDED', outcome: 'PROMOTED' });
    const after = await runtime.ledger.listEvents({ releaseId });
    expect(after.find((e) => e.type === 'PROMOTE_FULL')).toMatchObject({ actor: APPROVER.principalArn, data: { approvalsPassed: [1], skipped: 2 } });
    expect(after.filter((e) => e.type === 'WEIGHTS_SET').map((e) => (e.data as { step: number }).step)).toEqual([0]);
    expect(after.some((e) => e.type === 'APPROVAL_REQUESTED')).toBe(false);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 0], [TG_GREEN, 100]]));
    await runtime.settled();
    expect((await settledViolations(runtime)).found).toEqual([]);
  });
});
