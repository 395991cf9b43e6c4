/**
 * The simulated cloud serving real HTTP. Plugged into a {@link SimulatedCloud}
 * as its {@link FleetBackend}, it runs every fleet as HTTP version servers on
 * loopback (two tasks per fleet), puts one {@link WeightedRouter} in front of
 * each onboarded service's target groups, applying the listener weights and
 * the dark-canary header rule the release flow sets, and computes alarms from
 * what the routers saw — 5xx rate and p99 latency per target group, evaluated
 * with CloudWatch semantics — delivering their changes to ALARM as "CloudWatch
 * Alarm State Change" events to the alarm handler.
 *
 * Every routed request is recorded once per target group
 * (./router-traffic.ts): the alarms' datapoints come from that record, and
 * so does the local TrafficMetrics ({@link HttpCloud.metrics}).
 *
 * Fleet health is the version servers really answering their health check;
 * dark-canary smoke checks are real requests through the router with the
 * header.
 *
 * The version servers run on a thread of their own ({@link FleetServers}),
 * the routers and the alarms on the caller's (the engine's) event loop;
 * latency is the target-side time each server reports, as the ALB's
 * TargetResponseTime, so a busy engine cannot look like a slow version.
 */
import type { ServiceConfig } from '../../functions/config.js';
import { nearestRank } from '../../functions/domain/traffic.js';
import type { FleetHealth, HeaderRoute, SmokeCheck, SmokeResult, TrafficMetrics } from '../../functions/ports.js';
import { closedPeriods, MetricAlarm, periodStart, type AlarmDefinition, type AlarmState, type AlarmStateChange, type Datapoint, type Period } from './alarm-evaluator.js';
import type { FleetBackend, SimFleet, SimulatedCloud } from './cloud.js';
import { FleetServers, type FleetTask } from './fleet-servers.js';
import { httpGet } from './http-get.js';
import { RouterTraffic } from './router-traffic.js';
import { HEALTH_CHECK_PATH, type VersionServerBehaviour } from './version-server.js';
import { WeightedRouter, type HeaderRule, type RoutedRequest } from './weighted-router.js';

/** What an alarm watches, per target group of its service; with two target groups, the larger value (metric math MAX). */
export type RouterMetric = '5xx-rate' | 'p99-latency';

/** A metric alarm on what a service's router saw. */
export interface RouterAlarm extends AlarmDefinition {
  /** `service/environment` of an onboarded service. */
  readonly service: string;
  /**
   * `5xx-rate`: percent of requests to a target group answered 5xx (HTTPCode_Target_5XX_Count / RequestCount);
   * `p99-latency`: p99 of the response time in ms (TargetResponseTime). No requests in a period: no datapoint.
   */
  readonly metric: RouterMetric;
}

export interface HttpCloudOptions {
  /** Behaviour of each version's servers; versions not listed are healthy and fast. */
  readonly versions?: Readonly<Record<string, VersionServerBehaviour>>;
  /** Tasks (servers) per fleet. @default 2 */
  readonly tasksPerFleet?: number;
  readonly alarms?: readonly RouterAlarm[];
  /** Seed of the routers' weighted draws. @default 'rollgate' */
  readonly seed?: string;
  /**
   * Deregistration delay: a retired fleet's servers finish the requests they
   * have for this long before they stop (the ALB drains targets the same way). @default 250
   */
  readonly drainMs?: number;
}

/** What the HTTP cloud needs from the runtime it serves. */
export interface HttpCloudHost {
  readonly cloud: SimulatedCloud;
  readonly services: readonly ServiceConfig[];
  /** The alarm handler, as EventBridge feeds it. */
  deliverAlarm(alarmName: string, eventId: string, reason: string): Promise<unknown>;
}

/** Requests per version as the routers saw them. */
export interface VersionTraffic {
  readonly total: number;
  readonly failed: number;
}

interface AlarmEntry {
  readonly alarm: MetricAlarm;
  readonly definition: RouterAlarm;
  readonly targetGroups: readonly string[];
  /** Start of the first period not evaluated yet (aligned to the period). */
  nextStart: number;
  timer?: NodeJS.Timeout;
}

/** Per health check, from the version servers' thread. */
const HEALTH_TIMEOUT_MS = 1_000;
/**
 * Per smoke check, as the flow's HTTP smoke checker waits by default. The
 * check goes through the router, which shares the engine's event loop: a
 * short deadline would fail a healthy canary for the engine's lag.
 */
const SMOKE_TIMEOUT_MS = 5_000;

export class HttpCloud implements FleetBackend {
  /** Errors of alarm deliveries; the demo and tests assert there are none. */
  public readonly errors: unknown[] = [];
  /** The tasks of each fleet being served, by fleet id; retired fleets leave at once (their servers drain, then stop). */
  private readonly servers = new Map<string, FleetTask[]>();
  private readonly draining = new Set<NodeJS.Timeout>();
  private fleetServers: FleetServers | undefined;
  private readonly versionOfTarget = new Map<string, string>();
  private readonly routers = new Map<string, WeightedRouter>();
  private readonly traffic = new Map<string, { total: number; failed: number }>();
  /** Every routed request per target group: the alarms' datapoints and the local TrafficMetrics come from it. */
  private readonly routed = new RouterTraffic();
  private readonly alarms: AlarmEntry[] = [];
  private readonly alarmListeners: ((change: AlarmStateChange) => void)[] = [];
  private readonly deliveries = new Set<Promise<void>>();
  private host: HttpCloudHost | undefined;
  private closed = false;

  public constructor(private readonly options: HttpCloudOptions = {}) {}

  /**
   * Starts serving: servers for the fleets already in place (onboarding),
   * one router per service, and the alarm evaluations.
   */
  public async attach(host: HttpCloudHost): Promise<void> {
    this.host = host;
    for (const fleet of host.cloud.liveFleets()) await this.fleetCreated(fleet);
    for (const service of host.services) {
      const key = serviceKey(service);
      const router = await WeightedRouter.start({
        table: {
          weights: () => host.cloud.weightsOn(service.traffic.listenerArn, service.traffic.ruleArn),
          headerRules: () => this.headerRules(service),
          targets: (targetGroupArn) => this.targetsIn(targetGroupArn),
        },
        seed: `${this.options.seed ?? 'rollgate'}/${key}`,
        onRequest: (request) => { this.observe(request); },
      });
      this.routers.set(key, router);
    }
    for (const definition of this.options.alarms ?? []) {
      const service = host.services.find((s) => serviceKey(s) === definition.service);
      if (service === undefined) throw new RangeError(`alarm ${definition.alarmName} watches ${definition.service}, which is not onboarded`);
      const entry: AlarmEntry = {
        alarm: new MetricAlarm(definition),
        definition,
        targetGroups: service.traffic.targetGroupArns,
        nextStart: periodStart(Date.now(), definition.periodMs),
      };
      this.alarms.push(entry);
      this.schedule(entry);
    }
  }

  /** The router's URL for a service (`service/environment`). */
  public routerUrl(service: string): string {
    const router = this.routers.get(service);
    if (router === undefined) throw new RangeError(`no router for ${service}`);
    return router.url;
  }

  /** Called on every alarm state change (OK, ALARM, INSUFFICIENT_DATA). */
  public onAlarmStateChange(listener: (change: AlarmStateChange) => void): void {
    this.alarmListeners.push(listener);
  }

  public alarmStates(): ReadonlyMap<string, AlarmState> {
    return new Map(this.alarms.map(({ alarm }) => [alarm.definition.alarmName, alarm.state]));
  }

  /** The last datapoints of an alarm, oldest first. */
  public alarmDatapoints(alarmName: string, count: number): readonly Datapoint[] {
    return this.alarms.find(({ alarm }) => alarm.definition.alarmName === alarmName)?.alarm.recent(count) ?? [];
  }

  /** Request count, 5xx count and latency per target group and period, from what the routers saw (the local TrafficMetrics). */
  public get metrics(): TrafficMetrics {
    return this.routed;
  }

  /** Requests per version since the start, as the routers saw them. */
  public trafficByVersion(): ReadonlyMap<string, VersionTraffic> {
    return new Map([...this.traffic].map(([version, counts]) => [version, { ...counts }]));
  }

  /** Resolves once alarm deliveries started so far are done. */
  public async settled(): Promise<void> {
    await Promise.all([...this.deliveries]);
  }

  public async close(): Promise<void> {
    this.closed = true;
    for (const { timer } of this.alarms) clearTimeout(timer);
    await this.settled();
    await Promise.all([...this.routers.values()].map((router) => router.close()));
    for (const timer of this.draining) clearTimeout(timer);
    this.draining.clear();
    await this.fleetServers?.close();
    this.routers.clear();
    this.servers.clear();
  }

  // ───────── FleetBackend ─────────

  public async fleetCreated(fleet: SimFleet): Promise<void> {
    if (this.servers.has(fleet.ref.id) || this.closed) return;
    const behaviour = this.options.versions?.[fleet.version] ?? {};
    this.fleetServers ??= new FleetServers();
    const tasks = await this.fleetServers.start(fleet.ref.id, fleet.version, behaviour, this.options.tasksPerFleet ?? 2);
    for (const task of tasks) this.versionOfTarget.set(task.url, fleet.version);
    this.servers.set(fleet.ref.id, tasks);
  }

  public async fleetHealth(fleet: SimFleet): Promise<FleetHealth> {
    const tasks = this.servers.get(fleet.ref.id) ?? [];
    const checks =
      tasks.length === 0 || this.fleetServers === undefined
        ? []
        : await this.fleetServers.health(fleet.ref.id, HEALTH_CHECK_PATH, HEALTH_TIMEOUT_MS).catch((error: unknown) => {
            const detail = error instanceof Error ? error.message : String(error);
            return tasks.map(() => ({ status: null, detail }));
          });
    const healthyCount = checks.filter((check) => check.status === 200).length;
    const healthy = !fleet.retired && tasks.length > 0 && healthyCount === tasks.length;
    const detail = healthy
      ? `${String(healthyCount)}/${String(tasks.length)} targets healthy`
      : `check ${String(fleet.healthChecks)}: ${String(healthyCount)}/${String(tasks.length)} targets healthy (${checks.map((c) => c.detail).join('; ')})`;
    return { healthy, desired: tasks.length, healthyCount, detail };
  }

  /** Deregisters the fleet's targets at once; they stop after the deregistration delay. */
  public fleetRetired(fleet: SimFleet): Promise<void> {
    if (!this.servers.delete(fleet.ref.id)) return Promise.resolve();
    const servers = this.fleetServers;
    const stop = setTimeout(() => {
      this.draining.delete(stop);
      void servers?.stop(fleet.ref.id).catch((error: unknown) => {
        if (!this.closed) this.errors.push(error);
      });
    }, this.options.drainMs ?? 250);
    stop.unref();
    this.draining.add(stop);
    return Promise.resolve();
  }

  /** Smoke checks through the service's router with the dark-canary header, as they would go through the ALB. */
  public async smoke(_baseUrl: string, route: HeaderRoute, checks: readonly SmokeCheck[]): Promise<SmokeResult[]> {
    const service = this.host?.services.find((s) => this.headerRules(s).some((r) => r.headerName === route.headerName && r.headerValue === route.headerValue));
    const router = service === undefined ? undefined : this.routers.get(serviceKey(service));
    if (router === undefined) return checks.map((check) => ({ path: check.path, ok: false, status: null, detail: 'no router has that header rule' }));
    return Promise.all(
      checks.map(async (check) => {
        const answer = await httpGet(`${router.url}${check.path}`, { [route.headerName]: route.headerValue }, SMOKE_TIMEOUT_MS);
        return { path: check.path, ok: answer.status === check.expectStatus, status: answer.status, detail: answer.detail };
      }),
    );
  }

  // ───────── routing and metrics ─────────

  private headerRules(service: ServiceConfig): HeaderRule[] {
    const prefix = `${service.traffic.listenerArn}#`;
    const rules: HeaderRule[] = [];
    for (const [key, route] of this.host?.cloud.headerRoutes ?? []) {
      if (key.startsWith(prefix) && service.traffic.targetGroupArns.some((tg) => tg === route.targetGroupArn)) rules.push(route);
    }
    return rules;
  }

  private fleetIn(targetGroupArn: string): SimFleet | undefined {
    return this.host?.cloud.liveFleets().find((fleet) => fleet.ref.targetGroup === targetGroupArn);
  }

  private targetsIn(targetGroupArn: string): string[] {
    const fleet = this.fleetIn(targetGroupArn);
    return fleet === undefined ? [] : (this.servers.get(fleet.ref.id) ?? []).map((task) => task.url);
  }

  private observe(request: RoutedRequest): void {
    if (request.targetGroupArn === undefined) return;
    // The version that served it: the target's, even if its fleet was retired while it answered.
    const version = (request.target === undefined ? undefined : this.versionOfTarget.get(request.target)) ?? 'none';
    const counts = this.traffic.get(version) ?? { total: 0, failed: 0 };
    counts.total++;
    if (request.status >= 500) counts.failed++;
    this.traffic.set(version, counts);
    this.routed.record(request.targetGroupArn, { at: request.at, status: request.status, latencyMs: request.latencyMs });
  }

  /** Wakes up when the alarm's next period ends; a late wake-up evaluates every period that ended meanwhile. */
  private schedule(entry: AlarmEntry): void {
    if (this.closed) return;
    const due = entry.nextStart + entry.definition.periodMs;
    entry.timer = setTimeout(() => {
      const now = Date.now();
      for (const period of closedPeriods(entry.nextStart, now, entry.definition.periodMs)) {
        this.evaluate(entry, period, now);
        entry.nextStart = period.end;
      }
      this.prune();
      this.schedule(entry);
    }, Math.max(0, due - Date.now()));
  }

  /** Records the datapoint of a period that has ended: the requests answered within it, per target group, the largest value. */
  private evaluate(entry: AlarmEntry, period: Period, now: number): void {
    const { definition, alarm, targetGroups } = entry;
    const values = targetGroups
      .map((tg) => metricValue(definition.metric, this.routed.between(tg, period.start, period.end)))
      .filter((value): value is number => value !== undefined);
    const change = alarm.record(values.length === 0 ? undefined : Math.max(...values), now);
    if (change === undefined) return;
    const host = this.host;
    if (host === undefined) return;
    if (change.state === 'ALARM') host.cloud.alarmsFiring.add(change.alarmName);
    else host.cloud.alarmsFiring.delete(change.alarmName);
    for (const listener of this.alarmListeners) listener(change);
    if (change.state !== 'ALARM' || this.closed) return;
    // EventBridge delivers the state change to the alarm handler (the rule matches state ALARM).
    const delivery = host.deliverAlarm(change.alarmName, `${change.alarmName}-${String(period.end)}`, change.reason).then(
      () => undefined,
      (error: unknown) => {
        this.errors.push(error);
      },
    );
    this.deliveries.add(delivery);
    void delivery.finally(() => this.deliveries.delete(delivery));
  }

  /** Drops requests every alarm has evaluated the period of and that are past the metrics' retention. */
  private prune(): void {
    this.routed.prune(Math.min(...this.alarms.map((entry) => entry.nextStart)));
  }
}

function serviceKey(service: { service: string; environment: string }): string {
  return `${service.service}/${service.environment}`;
}

/** One period's value of a metric over the requests of one target group; undefined without requests. */
export function metricValue(metric: RouterMetric, requests: readonly { status: number; latencyMs: number }[]): number | undefined {
  if (requests.length === 0) return undefined;
  if (metric === '5xx-rate') return (requests.filter((r) => r.status >= 500).length / requests.length) * 100;
  // Nearest-rank percentile, as CloudWatch's pNN statistics.
  return nearestRank(
    requests.map((r) => r.latencyMs).sort((a, b) => a - b),
    99,
  );
}
