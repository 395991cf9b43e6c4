/**
 * The version servers of every simulated fleet, on a thread of their own
 * (fleet-servers.worker.ts): the parent starts and stops a fleet's tasks and
 * asks for their health, and gets their URLs back. The routers stay with the
 * engine; requests reach the servers over loopback as they would reach a
 * target from the ALB. What happens on the engine's event loop cannot delay
 * an answer, nor the time a server reports taking for it.
 */
import type { GetResult } from './http-get.js';
import { SimWorker } from './sim-worker.js';
import type { VersionServerBehaviour } from './version-server.js';

/** One task of a fleet, as the worker started it. */
export interface FleetTask {
  readonly name: string;
  readonly url: string;
}

/** What the parent asks the worker to do. */
export type FleetServersCommand =
  | { readonly op: 'start'; readonly fleetId: string; readonly version: string; readonly behaviour: VersionServerBehaviour; readonly tasks: number }
  | { readonly op: 'stop'; readonly fleetId: string }
  | { readonly op: 'health'; readonly fleetId: string; readonly path: string; readonly timeoutMs: number }
  | { readonly op: 'close' };

const ENTRY = new URL(`./fleet-servers.worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class FleetServers {
  private readonly worker = new SimWorker<FleetServersCommand>(ENTRY, undefined, 'the version servers\' worker');

  /** Starts `tasks` servers of `version` for a fleet (its tasks fail its error rate together); their URLs. */
  public start(fleetId: string, version: string, behaviour: VersionServerBehaviour, tasks: number): Promise<FleetTask[]> {
    return this.worker.call<FleetTask[]>({ op: 'start', fleetId, version, behaviour, tasks });
  }

  /** Stops a fleet's servers: open connections are cut. */
  public stop(fleetId: string): Promise<void> {
    return this.worker.call<undefined>({ op: 'stop', fleetId });
  }

  /** The health check of each of the fleet's tasks, as the target group's checker sees it (none for a fleet it does not know). */
  public health(fleetId: string, path: string, timeoutMs: number): Promise<GetResult[]> {
    return this.worker.call<GetResult[]>({ op: 'health', fleetId, path, timeoutMs });
  }

  /** Stops every server, then the thread. */
  public async close(): Promise<void> {
    try {
      await this.worker.call<undefined>({ op: 'close' });
    } catch {
      // Gone already: nothing left to stop.
    }
    await this.worker.terminate();
  }
}
