/**
 * ControlClient over loopback HTTP against the SigV4-verifying stand-in:
 * path parameters and queries that need encoding still verify, error answers
 * become named errors, an endpoint that does not answer is
 * ControlUnreachableError. And the local state file's contract.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlApiError, ControlClient, ControlUnreachableError } from '../../cli/control-client.js';
import { findLocalState, LocalServerNotRunningError, localStatePath, readLocalState, removeLocalState, writeLocalState, type LocalState } from '../../cli/local-state.js';
import { FAKE_CREDENTIALS, ok, REGION, startStandIn, type StandIn } from './rollgate-stand-in.js';

let standIn: StandIn;
let client: ControlClient;
beforeAll(async () => {
  standIn = await startStandIn({
    listReleases: (call) => ok({ items: [], echo: call.query }),
    getRelease: (call) => ok({ release: call.params }),
    approve: { status: 409, body: { error: { name: 'ApprovalDecidedError', message: 'approval already decided: APPROVED by bo', field: 'approvalId' } } },
    reject: { status: 502, body: 'Bad Gateway' },
  });
  client = new ControlClient({ endpoint: standIn.endpoint, region: REGION, credentials: FAKE_CREDENTIALS });
});
afterAll(async () => {
  await standIn.close();
});

describe('ControlClient', () => {
  it('signs requests whose path and query need encoding so that the verifier agrees, and they arrive decoded', async () => {
    const cursor = 'eyJwayI6IlNWQyNjaGVja291dCJ9+/= ~*';
    await expect(client.call('listReleases', { params: { service: 'check out', environment: 'prod/eu' }, query: { limit: 5, cursor, absent: undefined } })).resolves.toEqual({
      items: [],
      echo: { limit: '5', cursor },
    });
    await expect(client.call('getRelease', { params: { service: 'checkout', environment: 'prod', releaseId: '01JDX3R7Y2G8N1V6Q4K5M9T0AB' } })).resolves.toEqual({
      release: { service: 'checkout', environment: 'prod', releaseId: '01JDX3R7Y2G8N1V6Q4K5M9T0AB' },
    });
    expect(standIn.refused).toEqual([]);
    expect(standIn.calls[0]?.path).toBe('/services/check%20out/prod%2Feu/releases');
  });

  it('turns a ControlErrorBody into a ControlApiError with the name, message, field and status', async () => {
    const error = await client.call('approve', { params: { approvalId: 'apr_7f3a9c2e41b0d8aa' }, body: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlApiError);
    expect(error).toMatchObject({ name: 'ApprovalDecidedError', message: 'approval already decided: APPROVED by bo', field: 'approvalId', status: 409 });
  });

  it('names a gateway answer that is no ControlErrorBody by its status', async () => {
    await expect(client.call('reject', { params: { approvalId: 'apr_7f3a9c2e41b0d8aa' }, body: {} })).rejects.toMatchObject({ name: 'HttpError', message: '"Bad Gateway"', status: 502 });
    const unsigned = new ControlClient({ endpoint: standIn.endpoint, region: REGION, credentials: { accessKeyId: FAKE_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' } });
    await expect(unsigned.call('whoAmI')).rejects.toMatchObject({ name: 'AccessDeniedError', status: 403 });
  });

  it('reports an endpoint that does not answer as ControlUnreachableError naming it', async () => {
    // A port that was free a moment ago: nothing listens there now.
    const gone = await startStandIn({});
    await gone.close();
    const closed = new ControlClient({ endpoint: gone.endpoint, region: REGION, credentials: FAKE_CREDENTIALS });
    const error = await closed.call('whoAmI').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlUnreachableError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot reach the control API at ${gone.endpoint}: .*ECONNREFUSED`));
  });
});

describe('the local state file', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollgate-state-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const state = (pid: number): LocalState => ({
    version: 1,
    endpoint: 'http://127.0.0.1:4510',
    region: 'us-east-1',
    accessKeyId: 'LOCALKEY',
    secretAccessKey: 'local-secret',
    principalArn: 'arn:aws:iam::000000000000:user/local-operator',
    pid,
  });

  it('lives under XDG_STATE_HOME, else ~/.local/state, unless ROLLGATE_LOCAL_STATE names it', () => {
    expect(localStatePath({ XDG_STATE_HOME: '/var/state' })).toBe('/var/state/rollgate/local.json');
    expect(localStatePath({ XDG_STATE_HOME: 'relative/is/ignored', HOME: '/home/ana' })).toMatch(/\/\.local\/state\/rollgate\/local\.json$/);
    expect(localStatePath({ ROLLGATE_LOCAL_STATE: '/tmp/x.json', XDG_STATE_HOME: '/var/state' })).toBe('/tmp/x.json');
  });

  it('is written private (0600 in a 0700 directory) and read back while its process lives; removed only by that process', () => {
    const path = join(dir, 'nested', 'local.json');
    writeLocalState(state(process.pid), path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'nested')).mode & 0o777).toBe(0o700);
    expect(readLocalState(path)).toEqual(state(process.pid));
    removeLocalState(path, process.pid + 1);
    expect(findLocalState(path)).toEqual(state(process.pid));
    removeLocalState(path, process.pid);
    expect(findLocalState(path)).toBeUndefined();
    expect(() => readLocalState(path)).toThrow(LocalServerNotRunningError);
  });

  it('refuses a file it did not write, naming the field, and tells how to start the server', () => {
    const path = join(dir, 'bad.json');
    writeFileSync(path, JSON.stringify({ ...state(process.pid), endpoint: 'ftp://x' }));
    expect(() => findLocalState(path)).toThrow(/local\.json|bad\.json is not one rollgate wrote \(endpoint: .*\); delete it and start it with `npm start -- --serve`/);
    writeFileSync(path, '{');
    expect(() => findLocalState(path)).toThrow(/is not JSON; delete it and start it with `npm start -- --serve`/);
    expect(() => {
      writeLocalState({ ...state(process.pid), pid: 0 }, path);
    }).toThrow(/pid/);
    expect(readFileSync(path, 'utf8')).toBe('{');
  });
});
