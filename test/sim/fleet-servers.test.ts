import { afterEach, describe, expect, it } from 'vitest';
import { FleetServers } from '../../local/sim/fleet-servers.js';
import { HEALTH_CHECK_PATH } from '../../local/sim/version-server.js';
import { getVersion as get } from './get-version.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function servers(): FleetServers {
  const fleetServers = new FleetServers();
  closers.push(() => fleetServers.close());
  return fleetServers;
}

describe('FleetServers (version servers on their own thread)', () => {
  it('starts a fleet\'s tasks, which answer as their version and pass their health check until stopped', async () => {
    const fleets = servers();
    const tasks = await fleets.start('ts-a', 'v2', { latencyMs: 1 }, 2);
    expect(tasks.map((t) => t.name)).toEqual(['ts-a/task-1', 'ts-a/task-2']);
    expect(await Promise.all(tasks.map((t) => get(t.url)))).toEqual([
      { status: 200, version: 'v2' },
      { status: 200, version: 'v2' },
    ]);
    expect((await fleets.health('ts-a', HEALTH_CHECK_PATH, 1_000)).map((c) => c.status)).toEqual([200, 200]);

    await fleets.stop('ts-a');
    expect(await fleets.health('ts-a', HEALTH_CHECK_PATH, 1_000)).toEqual([]);
    await expect(get(tasks[0]?.url ?? '')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('reports a crashed fleet\'s health checks as refused, and a never-healthy one\'s as 503', async () => {
    const fleets = servers();
    await fleets.start('ts-crash', 'v4', { crashOnStart: true }, 2);
    await fleets.start('ts-sick', 'v8', { neverHealthy: true }, 1);
    expect(await fleets.health('ts-crash', HEALTH_CHECK_PATH, 1_000)).toEqual([
      { status: null, detail: 'connection refused' },
      { status: null, detail: 'connection refused' },
    ]);
    expect(await fleets.health('ts-sick', HEALTH_CHECK_PATH, 1_000)).toEqual([{ status: 503, detail: 'HTTP 503' }]);
  });

  it('refuses to serve a fleet twice, with the worker\'s error message', async () => {
    const fleets = servers();
    await fleets.start('ts-a', 'v2', {}, 1);
    await expect(fleets.start('ts-a', 'v2', {}, 1)).rejects.toThrow('fleet ts-a is already served');
  });

  it('rejects calls once closed with SimWorkerExited, naming the worker', async () => {
    const fleets = new FleetServers();
    await fleets.start('ts-a', 'v2', {}, 1);
    await fleets.close();
    await expect(fleets.start('ts-b', 'v2', {}, 1)).rejects.toMatchObject({ name: 'SimWorkerExited', message: expect.stringMatching(/^the version servers' worker exited/) as unknown });
  });
});
