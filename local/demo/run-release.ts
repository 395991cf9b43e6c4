/**
 * One scenario of the demo: the real release flow, started, watched and
 * decided with `rollgate` commands over the control API (./terminal.ts),
 * runs while steady HTTP load goes through the router ({@link startLoad}:
 * one generator for the whole demo, so the alarms see every period, between
 * releases too), its progress printed as it happens (the audit events the
 * control API answers, `rollgate watch`'s lines, and twice a second the
 * step, bake left, weights, requests and errors per version and alarm
 * states), and a report of how it ended.
 *
 * Rollback reaction time: from the moment the rollback was triggered — the
 * alarm evaluation that put an onboarded alarm in ALARM, or the approver's
 * rejection as the ledger records it — to the moment the listener was set
 * back to 100% on the stable target group (the router applies that to the
 * very next request). Null when nothing had to be restored.
 */
import * as z from 'zod';
import { ApprovalView, ReleaseDetail, ReleaseView } from '../../cli/commands/responses.js';
import { bakeLeft, pendingApproval } from '../../cli/format/release.js';
import { duration } from '../../cli/format/text.js';
import type { PlanInput } from '../../functions/domain/plan.js';
import type { LocalRuntime } from '../runtime.js';
import type { AlarmStateChange } from '../sim/alarm-evaluator.js';
import type { HttpCloud, VersionTraffic } from '../sim/http-cloud.js';
import { TrafficGenerator } from '../sim/traffic.js';
import type { ApprovalDriver } from './approvals.js';
import { PLAN, REQUESTS_PER_SECOND, SERVICE, SERVICE_KEY, type Scenario, type ScenarioName } from './scenarios.js';
import type { DemoTerminal } from './terminal.js';

export interface ReleaseReport {
  readonly scenario: ScenarioName;
  readonly version: string;
  readonly releaseId: string | null;
  /** The ledger's outcome (PROMOTED, ALARM, UNHEALTHY, MIGRATION_FAILED, REJECTED, ...). */
  readonly outcome: string | null;
  /** The release's final status (SUCCEEDED, ROLLED_BACK, FAILED, ...). */
  readonly status: string | null;
  readonly reason: string | null;
  readonly expected: { readonly status: string; readonly outcome: string };
  readonly asExpected: boolean;
  readonly durationMs: number;
  /** State transitions of the release's execution. */
  readonly transitions: number;
  /** Requests the router handled while the release ran, in all and per version. */
  readonly requests: { readonly total: number; readonly failed: number; readonly byVersion: Readonly<Record<string, VersionTraffic>> };
  readonly rollbackReactionMs: number | null;
  /** What set the rollback off, when there was one. */
  readonly rollbackTrigger: string | null;
}

/** What the releases run in; the load ({@link startLoad}) runs across all of them. */
export interface DemoWorld {
  readonly runtime: LocalRuntime;
  readonly http: HttpCloud;
  readonly approvals: ApprovalDriver;
  /** Where the scenarios' `rollgate` commands run, against the control API on loopback. */
  readonly terminal: DemoTerminal;
  /** A line that stays. */
  readonly say: (line: string) => void;
  /** Where the release is now: replaces the previous status line on a terminal. @default say */
  readonly status?: (line: string, release: ReleaseView) => void;
}

export interface RunOptions {
  /** Replaces the demo's plan (the bench compares plans). @default PLAN */
  readonly plan?: PlanInput;
  /** Awaited once the service's alarms are clear, right before the release starts (the bench times its releases with it). */
  readonly beforeStart?: () => Promise<void>;
}

const PROGRESS_EVERY_MS = 500;
/** The demo's own reads of the release (getRelease over loopback, for its events and approvals). */
const FOLLOW_EVERY_MS = 100;
/** `rollgate watch --interval`: bakes last seconds here, so a poll every half second. */
const WATCH_INTERVAL_SECONDS = '0.5';
const ALARMS_CLEAR_TIMEOUT_MS = 15_000;

/**
 * Steady load through the service's router at {@link REQUESTS_PER_SECOND},
 * until stopped or `maxDurationMs` (it stops by itself then, whatever
 * happens), sent from the load generator's own thread: the engine being busy
 * does not thin the load out, nor does the load take the engine's time. One generator across all releases: a gap in the load would be
 * missing datapoints, and CloudWatch's missing-data rule would then let the
 * previous release's datapoints decide the next one's alarm.
 */
export function startLoad(http: HttpCloud, maxDurationMs: number): TrafficGenerator {
  return TrafficGenerator.start({
    url: http.routerUrl(SERVICE_KEY),
    ratePerSecond: REQUESTS_PER_SECOND,
    maxRequests: Math.ceil(REQUESTS_PER_SECOND * (maxDurationMs / 1000)),
    maxDurationMs,
    paths: ['/', '/api/cart', '/api/checkout'],
  });
}

/** What `rollgate release` answered: the execution it started and the release preflight recorded. */
const StartedDocument = z.looseObject({
  outcome: z.looseObject({ executionArn: z.string() }),
  release: ReleaseView,
});
/** getStatus's stable record, with the target group its fleet serves (the API passes the ledger's fleet through). */
const StableFleet = z.looseObject({ stable: z.looseObject({ version: z.string(), fleet: z.looseObject({ targetGroup: z.string().optional() }).optional() }).nullish() });

/**
 * Runs one scenario's release to its end, under the load {@link startLoad}
 * sends, and reports it. The scenario is a script of `rollgate` commands
 * over the control API ({@link DemoTerminal}): `rollgate release`, then
 * `rollgate watch` until it ends, and whatever the approver types when
 * asked. Figures (requests, alarm reaction) come from the simulated cloud
 * the release runs in, the state-transition count from the local engine.
 */
export async function runScenario(world: DemoWorld, scenario: Scenario, options: RunOptions = {}): Promise<ReleaseReport> {
  const { runtime, http, say, terminal } = world;
  const service = runtime.deps.config.services.find((s) => s.service === SERVICE.service && s.environment === SERVICE.environment);
  if (service === undefined) throw new Error(`${SERVICE_KEY} is not onboarded`);
  await alarmsClear(world, service.alarms);
  await options.beforeStart?.();

  const stable = StableFleet.parse(await terminal.client().call('getStatus', { params: SERVICE })).stable ?? undefined;
  const stableTg = stable?.fleet?.targetGroup ?? service.traffic.targetGroupArns[0];
  const canaryTg = service.traffic.targetGroupArns.find((tg) => tg !== stableTg) ?? service.traffic.targetGroupArns[1];
  say(`\n== ${scenario.name}: ${scenario.version} ${scenario.story} (stable: ${stable?.version ?? 'none'})`);

  const watch = { alarmAt: undefined as number | undefined, alarm: undefined as string | undefined, restoredAt: undefined as number | undefined, done: false };
  const onAlarm = (change: AlarmStateChange) => {
    if (watch.done) return;
    say(`   ${clock(change.at)}  alarm ${change.alarmName}: ${change.previous} -> ${change.state}`);
    if (change.state === 'ALARM' && watch.alarmAt === undefined && service.alarms.includes(change.alarmName)) {
      watch.alarmAt = change.at;
      watch.alarm = change.alarmName;
    }
  };
  const onWeights = (weights: ReadonlyMap<string, number>, listenerArn: string) => {
    if (watch.done || listenerArn !== service.traffic.listenerArn) return;
    if (weights.get(canaryTg) === 0 && weights.get(stableTg) === 100) watch.restoredAt ??= Date.now();
    else watch.restoredAt = undefined;
  };
  world.http.onAlarmStateChange(onAlarm);
  runtime.cloud.onWeightsChanged(onWeights);

  const before = http.trafficByVersion();
  const started = Date.now();
  // Started by Dana with her credentials: a verified starter, so one approver (not Dana) is enough under four-eyes.
  const { document } = await terminal.run([
    'release',
    SERVICE.service,
    scenario.version,
    '--env',
    SERVICE.environment,
    '--plan-file',
    terminal.planFile(options.plan ?? PLAN),
    '--commit',
    `c0ffee-${scenario.version}`,
  ]);
  const begun = StartedDocument.parse(document);
  const ref = { ...SERVICE, releaseId: begun.release.releaseId };
  const execution = runtime.engine.execution(begun.outcome.executionArn);
  // watch exits 1 for a release that did not succeed: for the scenarios that end so, that is the expected end.
  const watching = terminal.run(['watch', ref.releaseId, '--service', ref.service, '--env', ref.environment, '--interval', WATCH_INTERVAL_SECONDS], { exitCodes: [0, 1] });
  // Awaited below; a failure before then (the demo stopped, its control server closed) must not crash the process meanwhile.
  watching.catch(() => undefined);
  const follow = followRelease(world, scenario, ref, started, before, stableTg, canaryTg);
  let result;
  try {
    result = await execution.result;
    await runtime.settled();
    await http.settled();
  } finally {
    await follow.stop();
    watch.done = true;
  }
  await watching;
  const durationMs = Date.now() - started;
  const release = follow.release();
  const traffic = diffTraffic(before, http.trafficByVersion());

  let triggerAt = watch.alarmAt;
  let trigger = watch.alarm === undefined ? null : `${watch.alarm} in ALARM`;
  if (release?.outcome === 'REJECTED') {
    const approvalId = follow.approvalId();
    const decision = approvalId === undefined ? undefined : ApprovalView.parse(await terminal.client().call('getApproval', { params: { approvalId } })).decision;
    if (decision?.at !== undefined) {
      triggerAt = Date.parse(decision.at);
      trigger = `rejected by ${decision.by}`;
    }
  }
  const rolledBack = release?.status === 'ROLLED_BACK' || release?.status === 'ABORTED';
  const rollbackReactionMs =
    rolledBack && triggerAt !== undefined && watch.restoredAt !== undefined ? Math.max(0, watch.restoredAt - triggerAt) : null;

  const status = release?.status ?? null;
  const outcome = release?.outcome ?? null;
  return {
    scenario: scenario.name,
    version: scenario.version,
    releaseId: release?.releaseId ?? ref.releaseId,
    outcome,
    status,
    reason: release?.reason ?? null,
    expected: { status: scenario.expected.status, outcome: scenario.expected.outcome },
    asExpected: status === scenario.expected.status && outcome === scenario.expected.outcome && scenario.expected.reason.test(release?.reason ?? ''),
    durationMs,
    transitions: result.transitions.total,
    requests: {
      total: Object.values(traffic).reduce((sum, t) => sum + t.total, 0),
      failed: Object.values(traffic).reduce((sum, t) => sum + t.failed, 0),
      byVersion: traffic,
    },
    rollbackReactionMs: rollbackReactionMs === null ? null : Math.round(rollbackReactionMs),
    rollbackTrigger: rollbackReactionMs === null ? null : trigger,
  };
}

/** Waits until none of the service's alarms is in ALARM (the next release's preflight would refuse to start). */
async function alarmsClear(world: DemoWorld, alarms: readonly string[]): Promise<void> {
  const firing = () => alarms.filter((name) => world.runtime.cloud.alarmsFiring.has(name));
  if (firing().length === 0) return;
  world.say(`\n   waiting for ${firing().join(', ')} to leave ALARM before the next release`);
  const deadline = Date.now() + ALARMS_CLEAR_TIMEOUT_MS;
  while (firing().length > 0) {
    if (Date.now() > deadline) throw new Error(`${firing().join(', ')} still in ALARM after ${String(ALARMS_CLEAR_TIMEOUT_MS)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface Follow {
  stop(): Promise<void>;
  release(): ReleaseView | undefined;
  approvalId(): string | undefined;
}

/**
 * Prints the release's audit events as the control API answers them
 * (getRelease, what `rollgate watch` and `rollgate get` read), and a
 * progress line twice a second; hands each approval it waits on to the approver.
 */
function followRelease(
  world: DemoWorld,
  scenario: Scenario,
  ref: { readonly service: string; readonly environment: string; readonly releaseId: string },
  started: number,
  before: ReadonlyMap<string, VersionTraffic>,
  stableTg: string,
  canaryTg: string,
): Follow {
  const { say } = world;
  const client = world.terminal.client();
  const printed = new Set<string>();
  const state = { running: true, release: undefined as ReleaseView | undefined, approvalId: undefined as string | undefined, lastProgress: 0 };
  const approvals: Promise<void>[] = [];
  const print = async () => {
    const detail = ReleaseDetail.parse(await client.call('getRelease', { params: ref }));
    const { release } = detail;
    state.release = release;
    for (const event of detail.events ?? []) {
      const key = `${event.at}|${event.type}|${event.message ?? ''}|${event.actor ?? ''}`;
      if (printed.has(key)) continue;
      printed.add(key);
      say(`   ${event.at.slice(11, 23)}  ${event.type.padEnd(19)} ${describe(event)}`);
    }
    const approvalId = pendingApproval(detail);
    if (approvalId !== undefined && state.approvalId !== approvalId) {
      state.approvalId = approvalId;
      approvals.push(
        world.approvals.handle(release, approvalId, scenario).catch((error: unknown) => {
          say(`   approval could not be decided: ${error instanceof Error ? error.message : String(error)}`);
        }),
      );
    }
    if (Date.now() - state.lastProgress >= PROGRESS_EVERY_MS && release.finishedAt === undefined) {
      state.lastProgress = Date.now();
      (world.status ?? say)(progressLine(world, release, started, before, stableTg, canaryTg), release);
    }
  };
  const loop = (async () => {
    while (state.running) {
      await print();
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_EVERY_MS));
    }
    await print();
    await Promise.all(approvals);
  })();
  // Its failure is stop()'s to report; until then it must not be an unhandled rejection.
  loop.catch(() => undefined);
  return {
    stop: async () => {
      state.running = false;
      await loop;
    },
    release: () => state.release,
    approvalId: () => state.approvalId,
  };
}

function progressLine(world: DemoWorld, release: ReleaseView, started: number, before: ReadonlyMap<string, VersionTraffic>, stableTg: string, canaryTg: string): string {
  const { runtime, http } = world;
  const service = runtime.deps.config.services[0];
  const weights = service === undefined ? new Map<string, number>() : runtime.cloud.weightsOn(service.traffic.listenerArn, service.traffic.ruleArn);
  const versionIn = (tg: string) => runtime.cloud.liveFleets().find((f) => f.ref.targetGroup === tg)?.version;
  const split = [stableTg, canaryTg]
    .map((tg) => ({ version: versionIn(tg), percent: weights.get(tg) ?? 0 }))
    .filter((s) => s.version !== undefined)
    .map((s) => `${s.version ?? ''} ${String(s.percent)}%`)
    .join(' / ');
  const traffic = Object.entries(diffTraffic(before, http.trafficByVersion()))
    .map(([version, t]) => `${version} ${String(t.total)} req ${String(t.failed)} err`)
    .join(', ');
  const alarms = [...http.alarmStates()].map(([name, state]) => `${name.replace(/^checkout-prod-/, '')} ${state}`).join(', ');
  const step = release.currentStep === undefined ? '' : ` step ${String(release.currentStep.index)} (${release.currentStep.name})`;
  const now = Date.now();
  const elapsed = `+${((now - started) / 1000).toFixed(1)}s`;
  // Bake time left as `rollgate watch` computes it, from the wait the ledger records (the compressed one, locally).
  const left = bakeLeft(release, now);
  const bake = left === undefined ? '' : ` | bake ${duration(left)} left`;
  return `   ${elapsed.padStart(12)}  ${release.status}${step}${bake} | ${split === '' ? 'no traffic' : split} | ${traffic === '' ? 'no requests yet' : traffic} | alarms: ${alarms}`;
}

function diffTraffic(before: ReadonlyMap<string, VersionTraffic>, after: ReadonlyMap<string, VersionTraffic>): Record<string, VersionTraffic> {
  const result: Record<string, VersionTraffic> = {};
  for (const [version, now] of after) {
    const then = before.get(version) ?? { total: 0, failed: 0 };
    const total = now.total - then.total;
    if (total > 0) result[version] = { total, failed: now.failed - then.failed };
  }
  return result;
}

function describe(event: { readonly actor?: string | undefined; readonly message?: string | undefined }): string {
  return event.actor === undefined || event.actor === 'flow' ? (event.message ?? '') : `${event.message ?? ''}  [${event.actor}]`;
}

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 23);
}
