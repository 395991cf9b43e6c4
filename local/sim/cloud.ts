/**
 * The simulated cloud: in-memory Fleet, TrafficRouter, AlarmSource, Migrator,
 * SmokeChecker, Notifier and TrafficMetrics that model the AWS behaviour the release flow
 * depends on — immutable fleets that take time to become healthy (or never
 * do), a listener whose weights are read back, a dark-canary header rule,
 * alarms that are in ALARM or not, a migration task that exits with a code.
 * Each scenario configures it; tests read its state to assert outcomes.
 */
import { periodStarts } from '../../functions/domain/traffic.js';
import type { FleetRef } from '../../functions/domain/fleet.js';
import type { Weights } from '../../functions/domain/weights.js';
import type {
  AlarmSource,
  ApprovalRequest,
  CreateFleetInput,
  Fleet,
  FleetHealth,
  FleetTarget,
  HeaderRoute,
  MigrationInput,
  MigrationStatus,
  Migrator,
  Notifier,
  SmokeCheck,
  SmokeChecker,
  SmokeResult,
  TargetGroupTraffic,
  TrafficMetrics,
  TrafficQuery,
  TrafficRouter,
  TrafficSplit,
  TrafficTarget,
} from '../../functions/ports.js';

/** How one version behaves in the simulated cloud. */
export interface VersionBehaviour {
  /** Health checks before the fleet is healthy; `'never'` keeps it unhealthy. @default 1 */
  readonly healthyAfterChecks?: number | 'never';
  /** Status the dark-canary smoke checks get from this version. @default 200 */
  readonly smokeStatus?: number;
  /** Exit code of this version's migration task; overrides {@link SimulatedCloudOptions.migration}'s. */
  readonly migrationExitCode?: number;
}

/**
 * What serves a simulated fleet, when something real does (the demo's HTTP
 * version servers, local/sim/http-cloud.ts). Without one, fleets are records
 * whose health follows {@link VersionBehaviour.healthyAfterChecks}.
 */
export interface FleetBackend {
  /** A fleet was created: start what serves it (fleets seeded at onboarding are the backend's to pick up). */
  fleetCreated(fleet: SimFleet): Promise<void>;
  /** Health as the target group sees it: replaces `healthyAfterChecks`. */
  fleetHealth(fleet: SimFleet): Promise<FleetHealth>;
  /** The fleet was retired: stop what serves it. */
  fleetRetired(fleet: SimFleet): Promise<void>;
  /** Dark-canary smoke checks through the header route, when the backend serves real requests. */
  smoke?(baseUrl: string, route: HeaderRoute, checks: readonly SmokeCheck[]): Promise<SmokeResult[]>;
  /** What the backend's router saw per target group, when it routes real requests. */
  readonly metrics?: TrafficMetrics;
}

export interface SimulatedCloudOptions {
  /** Per version; versions not listed behave with the defaults. */
  readonly versions?: Readonly<Record<string, VersionBehaviour>>;
  /** Migration exit code (0 succeeds); `checksToFinish` status checks before it stops (`'never'`: it runs until stopped). */
  readonly migration?: { readonly exitCode: number; readonly checksToFinish?: number | 'never' };
  /** What serves the fleets; see {@link FleetBackend}. @default fleets are records only */
  readonly backend?: FleetBackend;
}

export interface SimFleet {
  readonly ref: FleetRef;
  readonly version: string;
  readonly releaseId: string;
  healthChecks: number;
  retired: boolean;
  primary: boolean;
}

export interface SimMigration {
  readonly taskArn: string;
  readonly releaseId: string;
  readonly version: string;
  checks: number;
  /** Set once the task was stopped (Migrator.stop): why. */
  stoppedReason?: string;
}

type WeightListener = (weights: ReadonlyMap<string, number>, listenerArn: string) => void;
type ApprovalListener = (request: ApprovalRequest) => void;

export class SimulatedCloud implements TrafficRouter, AlarmSource, Migrator, SmokeChecker, Notifier, TrafficMetrics {
  /** Fleets by id, retired ones included. */
  public readonly fleetsById = new Map<string, SimFleet>();
  /** Percent per target group, per listener (or rule). */
  public readonly listeners = new Map<string, Map<string, number>>();
  public readonly headerRoutes = new Map<string, HeaderRoute & { readonly targetGroupArn: string }>();
  public readonly alarmsFiring = new Set<string>();
  public readonly migrations = new Map<string, SimMigration>();
  public readonly approvalRequests: ApprovalRequest[] = [];
  /** Every call a port received, in order, e.g. `fleet.create`. */
  public readonly calls: string[] = [];
  private readonly weightListeners: WeightListener[] = [];
  private readonly approvalListeners: ApprovalListener[] = [];

  public constructor(private readonly options: SimulatedCloudOptions = {}) {}

  /** Puts a fleet in place as if it had been deployed before rollgate (onboarding). */
  public seedFleet(ref: FleetRef, version: string, target: { listenerArn: string; ruleArn?: string }): void {
    this.fleetsById.set(ref.id, { ref, version, releaseId: 'onboarding', healthChecks: 0, retired: false, primary: true });
    this.listeners.set(listenerKey(target), new Map([[ref.targetGroup, 100]]));
  }

  /** Called after every approval request, once it is recorded in {@link approvalRequests}. */
  public onApprovalRequested(listener: ApprovalListener): void {
    this.approvalListeners.push(listener);
  }

  /** Called after every weight change with the percent per target group. */
  public onWeightsChanged(listener: WeightListener): void {
    this.weightListeners.push(listener);
  }

  /** The live (not retired) fleets. */
  public liveFleets(): SimFleet[] {
    return [...this.fleetsById.values()].filter((f) => !f.retired);
  }

  /** Percent per target group on a listener. */
  public weightsOn(listenerArn: string, ruleArn?: string): Map<string, number> {
    return new Map(this.listeners.get(listenerKey({ listenerArn, ...(ruleArn === undefined ? {} : { ruleArn }) })) ?? []);
  }

  // ───────── Fleet (one adapter serves both kinds) ─────────

  public readonly fleet: Fleet = {
    create: (input: CreateFleetInput): Promise<FleetRef> => {
      this.calls.push('fleet.create');
      const existing = [...this.fleetsById.values()].find((f) => f.releaseId === input.releaseId && !f.retired);
      if (existing !== undefined) return Promise.resolve(existing.ref);
      const ref: FleetRef = {
        kind: input.target.kind === 'ecs' ? 'ecs-task-set' : 'auto-scaling-group',
        id: `${input.target.kind === 'ecs' ? 'ts' : 'asg'}-${input.service}-${input.releaseId.toLowerCase()}`,
        targetGroup: input.targetGroupArn,
      };
      const fleet: SimFleet = { ref, version: input.version, releaseId: input.releaseId, healthChecks: 0, retired: false, primary: false };
      this.fleetsById.set(ref.id, fleet);
      const backend = this.options.backend;
      return backend === undefined ? Promise.resolve(ref) : backend.fleetCreated(fleet).then(() => ref);
    },
    health: (_target: FleetTarget, ref: FleetRef): Promise<FleetHealth> => {
      this.calls.push('fleet.health');
      const fleet = this.requireFleet(ref);
      fleet.healthChecks++;
      if (this.options.backend !== undefined) return this.options.backend.fleetHealth(fleet);
      const after = this.behaviour(fleet.version).healthyAfterChecks ?? 1;
      const healthy = !fleet.retired && after !== 'never' && fleet.healthChecks >= after;
      return Promise.resolve({
        healthy,
        desired: 2,
        healthyCount: healthy ? 2 : 0,
        detail: healthy ? 'STEADY_STATE, 2/2 targets healthy' : `check ${String(fleet.healthChecks)}: 0/2 targets healthy`,
      });
    },
    promote: (_target: FleetTarget, ref: FleetRef): Promise<void> => {
      this.calls.push('fleet.promote');
      for (const fleet of this.fleetsById.values()) fleet.primary = fleet.ref.id === ref.id;
      return Promise.resolve();
    },
    retire: (_target: FleetTarget, ref: FleetRef): Promise<void> => {
      this.calls.push('fleet.retire');
      const fleet = this.fleetsById.get(ref.id);
      if (fleet === undefined || fleet.retired) return Promise.resolve();
      fleet.retired = true;
      return this.options.backend?.fleetRetired(fleet) ?? Promise.resolve();
    },
  };

  // ───────── TrafficRouter ─────────

  public setWeights(target: TrafficTarget, split: TrafficSplit, weights: Weights): Promise<void> {
    this.calls.push('router.setWeights');
    const percent = new Map([
      [split.stableTargetGroupArn, weights.stable],
      [split.canaryTargetGroupArn, weights.canary],
    ]);
    this.listeners.set(listenerKey(target), percent);
    for (const listener of this.weightListeners) listener(percent, target.listenerArn);
    return Promise.resolve();
  }

  public getWeights(target: TrafficTarget, split: TrafficSplit): Promise<Weights> {
    this.calls.push('router.getWeights');
    const percent = this.listeners.get(listenerKey(target)) ?? new Map<string, number>();
    return Promise.resolve({ stable: percent.get(split.stableTargetGroupArn) ?? 0, canary: percent.get(split.canaryTargetGroupArn) ?? 0 });
  }

  public setHeaderRoute(target: TrafficTarget, split: TrafficSplit, route: HeaderRoute): Promise<void> {
    this.calls.push('router.setHeaderRoute');
    this.headerRoutes.set(routeKey(target, route), { ...route, targetGroupArn: split.canaryTargetGroupArn });
    return Promise.resolve();
  }

  public removeHeaderRoute(target: TrafficTarget, route: HeaderRoute): Promise<void> {
    this.calls.push('router.removeHeaderRoute');
    this.headerRoutes.delete(routeKey(target, route));
    return Promise.resolve();
  }

  // ───────── AlarmSource ─────────

  public alarmsInAlarm(alarmNames: readonly string[]): Promise<string[]> {
    this.calls.push('alarms.inAlarm');
    return Promise.resolve(alarmNames.filter((name) => this.alarmsFiring.has(name)));
  }

  // ───────── Migrator ─────────

  public start(input: MigrationInput): Promise<MigrationStatus> {
    this.calls.push('migrator.start');
    const taskArn = `arn:aws:ecs:us-east-1:000000000000:task/${input.target.cluster}/migrate-${input.releaseId.toLowerCase()}`;
    if (!this.migrations.has(taskArn)) this.migrations.set(taskArn, { taskArn, releaseId: input.releaseId, version: input.version, checks: 0 });
    return Promise.resolve({ state: 'RUNNING', taskArn });
  }

  public status(_input: MigrationInput, taskArn: string): Promise<MigrationStatus> {
    this.calls.push('migrator.status');
    const migration = this.migrations.get(taskArn);
    if (migration === undefined) return Promise.resolve({ state: 'FAILED', taskArn, exitCode: null, reason: 'task not found' });
    migration.checks++;
    // ECS: a task stopped by StopTask ends with stop code UserInitiated and the reason it was given.
    if (migration.stoppedReason !== undefined) return Promise.resolve({ state: 'FAILED', taskArn, exitCode: null, reason: `UserInitiated: ${migration.stoppedReason}` });
    const { exitCode: configured, checksToFinish = 1 } = this.options.migration ?? { exitCode: 0 };
    const exitCode = this.behaviour(migration.version).migrationExitCode ?? configured;
    if (checksToFinish === 'never' || migration.checks < checksToFinish) return Promise.resolve({ state: 'RUNNING', taskArn });
    return Promise.resolve(
      exitCode === 0
        ? { state: 'SUCCEEDED', taskArn }
        : { state: 'FAILED', taskArn, exitCode, reason: `Essential container in task exited (exit code ${String(exitCode)})` },
    );
  }

  public stop(_input: MigrationInput, taskArn: string, reason: string): Promise<void> {
    this.calls.push('migrator.stop');
    const migration = this.migrations.get(taskArn);
    // A task that is gone or already stopped stays as it is, as StopTask leaves it.
    if (migration !== undefined && migration.stoppedReason === undefined) migration.stoppedReason = reason;
    return Promise.resolve();
  }

  // ───────── SmokeChecker ─────────

  public run(baseUrl: string, route: HeaderRoute, checks: readonly SmokeCheck[]): Promise<SmokeResult[]> {
    this.calls.push('smoke.run');
    if (this.options.backend?.smoke !== undefined) return this.options.backend.smoke(baseUrl, route, checks);
    const rule = [...this.headerRoutes.values()].find((r) => r.headerName === route.headerName && r.headerValue === route.headerValue);
    const fleet = this.liveFleets().find((f) => f.ref.targetGroup === rule?.targetGroupArn && !f.primary);
    return Promise.resolve(
      checks.map((check) => {
        const status = fleet === undefined ? null : (this.behaviour(fleet.version).smokeStatus ?? 200);
        return {
          path: check.path,
          ok: status === check.expectStatus,
          status,
          detail: status === null ? 'no fleet behind the header route' : `HTTP ${String(status)}`,
        };
      }),
    );
  }

  // ───────── TrafficMetrics ─────────

  /** What the backend's router saw; without one nothing serves requests, so every period has none. */
  public read(query: TrafficQuery): Promise<TargetGroupTraffic[]> {
    this.calls.push('metrics.read');
    const metrics = this.options.backend?.metrics;
    if (metrics !== undefined) return metrics.read(query);
    const starts = periodStarts(query.start, query.end, query.periodSeconds);
    return Promise.resolve(
      query.targets.map((t) => ({ targetGroupArn: t.targetGroupArn, periods: starts.map((start) => ({ start, requests: 0, errors5xx: 0, p50Ms: null, p90Ms: null, p99Ms: null })) })),
    );
  }

  // ───────── Notifier ─────────

  public requestApproval(request: ApprovalRequest): Promise<void> {
    this.calls.push('notifier.requestApproval');
    this.approvalRequests.push(request);
    for (const listener of this.approvalListeners) listener(request);
    return Promise.resolve();
  }

  private behaviour(version: string): VersionBehaviour {
    return this.options.versions?.[version] ?? {};
  }

  private requireFleet(ref: FleetRef): SimFleet {
    const fleet = this.fleetsById.get(ref.id);
    if (fleet === undefined) throw new Error(`simulated fleet ${ref.id} does not exist`);
    return fleet;
  }
}

function listenerKey(target: { listenerArn: string; ruleArn?: string }): string {
  return target.ruleArn ?? target.listenerArn;
}

function routeKey(target: TrafficTarget, route: HeaderRoute): string {
  return `${target.listenerArn}#${String(route.priority)}`;
}
