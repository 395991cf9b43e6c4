/**
 * Worker entry of {@link FleetServers}: hosts the version servers of every
 * fleet and checks their health from this thread, as an ALB's health checker
 * runs apart from the targets' callers.
 */
import type { FleetServersCommand, FleetTask } from './fleet-servers.js';
import { httpGet, type GetResult } from './http-get.js';
import { SimWorkerPort } from './sim-worker.js';
import { ErrorSequence, VersionServer } from './version-server.js';

const fleets = new Map<string, VersionServer[]>();

async function handle(command: FleetServersCommand): Promise<FleetTask[] | GetResult[] | undefined> {
  switch (command.op) {
    case 'start': {
      if (fleets.has(command.fleetId)) throw new Error(`fleet ${command.fleetId} is already served`);
      // The fleet's tasks fail its share of requests together, evenly over the fleet's requests.
      const errors = new ErrorSequence();
      const tasks = await Promise.all(
        Array.from({ length: command.tasks }, (_, i) => VersionServer.start(command.version, `${command.fleetId}/task-${String(i + 1)}`, command.behaviour, errors)),
      );
      fleets.set(command.fleetId, tasks);
      return tasks.map((task) => ({ name: task.name, url: task.url }));
    }
    case 'stop': {
      const tasks = fleets.get(command.fleetId) ?? [];
      fleets.delete(command.fleetId);
      await Promise.all(tasks.map((task) => task.close()));
      return undefined;
    }
    case 'health':
      return Promise.all((fleets.get(command.fleetId) ?? []).map((task) => httpGet(`${task.url}${command.path}`, {}, command.timeoutMs)));
    case 'close': {
      const tasks = [...fleets.values()].flat();
      fleets.clear();
      await Promise.all(tasks.map((task) => task.close()));
      return undefined;
    }
  }
}

new SimWorkerPort<FleetServersCommand>(handle);
