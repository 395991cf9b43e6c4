/**
 * Release figures on the local runtime (the real ASL and steps, DynamoDB
 * Local): state transitions and wall time of a standard release with bakes at
 * zero, 50 concurrent releases of different services, alarm-to-traffic-
 * restored latency, and the failed requests a bad version causes under the
 * canary plan versus all at once, with real HTTP load through the local router.
 */
import { performance } from 'node:perf_hooks';
import type { RollgateConfigInput, ServiceConfigInput } from '../functions/config.js';
import type { PlanInput } from '../functions/domain/plan.js';
import { DemoApprovals } from '../local/demo/approvals.js';
import { runScenario, startLoad } from '../local/demo/run-release.js';
import { DemoTerminal } from '../local/demo/terminal.js';
import { ALARM_PERIOD_MS, DEMO_CONFIG, OVERRIDES, PLAN, REQUESTS_PER_SECOND, SCENARIOS, demoAlarms } from '../local/demo/scenarios.js';
import type { ExecutionOverrides } from '../local/engine/index.js';
import { LocalRuntime } from '../local/runtime.js';
import { CHECKOUT_SERVICE, SAMPLE_SLACK } from '../local/sample-config.js';
import { periodStart } from '../local/sim/alarm-evaluator.js';
import { HttpCloud } from '../local/sim/http-cloud.js';

const TASK_STATES = ['Preflight', 'StartMigration', 'CheckMigration', 'Deploy', 'CheckHealth', 'DarkCanary', 'ShiftTraffic', 'Bake', 'Approval', 'Finalize', 'Retire', 'Rollback'];

/** Waits and retry intervals at (almost) zero: what is left is the orchestration itself. */
const ZERO: ExecutionOverrides = {
  waitTimeOverrides: { WaitForHealth: 0, WaitForMigration: 0, TerminationWait: 0 },
  retryIntervalOverrides: Object.fromEntries(TASK_STATES.map((s) => [s, 5])),
  // A bake timeout shorter than the Bake step's own ledger writes races them (see the report); the flow tests' value.
  taskTimeoutOverrides: { Bake: 150 },
};

/** Three traffic steps and one approval, as the README's standard release. */
const STANDARD_PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 10, bakeSeconds: 60 },
    { type: 'traffic', weight: 50, bakeSeconds: 60 },
    { type: 'approval', approvers: { users: ['U01ALICE'] }, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 60 },
  ],
};

/** The same plan with its bakes at zero: no Bake state at all, each traffic step goes straight on. */
const ZERO_BAKE_PLAN: PlanInput = {
  steps: STANDARD_PLAN.steps.map((step) => (step.type === 'traffic' ? { ...step, bakeSeconds: 0 } : step)),
};

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const elb = (resource: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${resource}`;

/** `count` services like checkout, each with its own listener, target groups and alarm. */
function servicesConfig(count: number): RollgateConfigInput {
  const services: ServiceConfigInput[] = Array.from({ length: count }, (_, i) => {
    const name = `svc-${String(i).padStart(2, '0')}`;
    return {
      service: name,
      environment: 'prod',
      fleet: { ...CHECKOUT_SERVICE.fleet, service: name },
      traffic: {
        listenerArn: elb(`listener/app/bench/50dc6c495c0c9188/${hex(i, 16)}`),
        targetGroupArns: [elb(`targetgroup/${name}-blue/${hex(i, 16)}`), elb(`targetgroup/${name}-green/${hex(i + 4096, 16)}`)],
      },
      alarms: [`${name}-prod-5xx`],
      // No approval floor: the bench's start inputs bring plans with and without an approval.
      plan: { steps: STANDARD_PLAN.steps.filter((step) => step.type !== 'approval') },
      healthGate: { timeoutSeconds: 60, intervalSeconds: 1 },
      terminationWaitSeconds: 0,
    };
  });
  return { services, slack: SAMPLE_SLACK };
}

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}
const round = (ms: number) => Math.round(ms * 10) / 10;

/** Approves every approval request as soon as it is posted. */
function autoApprove(runtime: LocalRuntime): void {
  runtime.cloud.onApprovalRequested((request) => {
    setTimeout(() => {
      void runtime.decide(request.approvalId, 'APPROVED', 'U01ALICE').catch((error: unknown) => runtime.reconcileErrors.push(error));
    }, 1);
  });
}

/** Per run: requests failed and served while the bad release ran, and how long it ran. */
interface PlanRuns {
  readonly failed: number[];
  readonly total: number[];
  readonly durationMs: number[];
  /** The release's recorded reason (which alarm, at which step). */
  readonly reasons: string[];
  /** Where in its alarm period the first traffic shift to the bad version fell, in ms. */
  readonly shiftPhaseMs: number[];
}

export interface ReleaseFigures {
  readonly standardRelease: {
    /** With its three bakes (compressed to 150 ms). */
    readonly stateTransitions: number;
    /** The same plan with bakeSeconds 0 (no Bake states). */
    readonly stateTransitionsBakesAtZero: number;
    readonly wallMsBakesAtZero: { median: number; p99: number; runs: number };
  };
  readonly concurrentReleases: { readonly services: number; readonly allSucceeded: boolean; readonly succeeded: number; readonly totalWallMs: number };
  readonly alarmToTrafficRestoredMs: { readonly median: number; readonly p99: number; readonly runs: number };
  readonly badReleaseFailedRequests: {
    readonly requestsPerSecond: number;
    /** Runs per plan; run i starts (i + 0.5) / runs of the way into an alarm period. */
    readonly runsPerPlan: number;
    readonly canaryPlan: PlanRuns;
    readonly allAtOncePlan: PlanRuns;
    /** Failed requests under the canary plan divided by those all at once (sums over the runs). */
    readonly canaryToAllAtOnceRatio: number;
  };
}

async function standardReleases(endpoint: string, runs: number): Promise<ReleaseFigures['standardRelease']> {
  const config = servicesConfig(1);
  const runtime = await LocalRuntime.create({ dynamodbEndpoint: endpoint, config, overrides: ZERO });
  autoApprove(runtime);
  const release = async (version: string, plan: PlanInput) => {
    const started = performance.now();
    // A verified starter: four-eyes then wants one approver (U01ALICE), not two distinct ones.
    const result = await runtime
      .startRelease({ service: 'svc-00', environment: 'prod', version, trigger: { source: 'bench', startedBy: { kind: 'slack-user', id: 'U03BENCH' } }, plan })
      .result;
    await runtime.settled();
    if (result.status !== 'SUCCEEDED') throw new Error(`release ${version} ended ${result.status}: ${result.cause ?? ''}`);
    return { ms: performance.now() - started, transitions: result.transitions.total };
  };
  const baked = await release('v1-baked', STANDARD_PLAN);
  const walls: number[] = [];
  const transitions = new Set<number>();
  for (let i = 0; i < runs; i++) {
    const run = await release(`v${String(i + 2)}`, ZERO_BAKE_PLAN);
    walls.push(run.ms);
    transitions.add(run.transitions);
  }
  if (transitions.size !== 1) throw new Error(`releases took different numbers of transitions: ${[...transitions].join(', ')}`);
  return {
    stateTransitions: baked.transitions,
    stateTransitionsBakesAtZero: [...transitions][0] ?? 0,
    wallMsBakesAtZero: { median: round(percentile(walls, 50)), p99: round(percentile(walls, 99)), runs },
  };
}

async function concurrentReleases(endpoint: string, count: number): Promise<ReleaseFigures['concurrentReleases']> {
  const runtime = await LocalRuntime.create({ dynamodbEndpoint: endpoint, config: servicesConfig(count), overrides: ZERO });
  autoApprove(runtime);
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      runtime.startRelease({ service: `svc-${String(i).padStart(2, '0')}`, environment: 'prod', version: 'v2', trigger: { source: 'bench' }, plan: ZERO_BAKE_PLAN }).result,
    ),
  );
  await runtime.settled();
  const totalWallMs = performance.now() - started;
  // Correct: every execution succeeded, every ledger record says SUCCEEDED, every listener is 100% on the new fleet.
  let succeeded = 0;
  for (const [i, result] of results.entries()) {
    const service = runtime.deps.config.services[i];
    if (service === undefined || result.status !== 'SUCCEEDED') continue;
    const ref = { service: service.service, environment: service.environment };
    const release = (await runtime.ledger.listReleases(ref)).items[0];
    const weights = runtime.cloud.weightsOn(service.traffic.listenerArn);
    if (release?.status === 'SUCCEEDED' && weights.get(service.traffic.targetGroupArns[1]) === 100 && (await runtime.ledger.getStable(ref))?.version === 'v2') succeeded++;
  }
  return { services: count, allSucceeded: succeeded === count && runtime.reconcileErrors.length === 0, succeeded, totalWallMs: round(totalWallMs) };
}

/** From the alarm's state change to ALARM (the event delivered to the alarm handler) to the listener back at 100% stable. */
async function alarmLatency(endpoint: string, runs: number): Promise<ReleaseFigures['alarmToTrafficRestoredMs']> {
  const runtime = await LocalRuntime.create({ dynamodbEndpoint: endpoint, config: servicesConfig(1), overrides: { ...ZERO, taskTimeoutOverrides: { Bake: 60_000 } } });
  const service = runtime.deps.config.services[0];
  if (service === undefined) throw new Error('no service');
  const [blue, green] = service.traffic.targetGroupArns;
  const alarm = 'svc-00-prod-5xx';
  const restoredAt: number[] = [];
  runtime.cloud.onWeightsChanged((weights) => {
    if (weights.get(green) === 0 && weights.get(blue) === 100) restoredAt.push(performance.now());
  });
  const samples: number[] = [];
  const plan: PlanInput = { steps: [{ type: 'traffic', weight: 10, bakeSeconds: 300 }, { type: 'traffic', weight: 100, bakeSeconds: 300 }] };
  for (let i = 0; i < runs; i++) {
    const execution = runtime.startRelease({ service: 'svc-00', environment: 'prod', version: `bad-${String(i)}`, trigger: { source: 'bench' }, plan });
    for (;;) {
      const release = (await runtime.ledger.listReleases({ service: service.service, environment: service.environment })).items[0];
      if (release?.waiting?.kind === 'BAKE' && release.version === `bad-${String(i)}`) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    restoredAt.length = 0;
    runtime.cloud.alarmsFiring.add(alarm);
    const fired = performance.now();
    await runtime.deliverAlarm(alarm, `bench-${String(i)}`);
    const restored = restoredAt[0];
    if (restored === undefined) throw new Error('the alarm handler did not restore traffic');
    samples.push(restored - fired);
    const result = await execution.result;
    await runtime.settled();
    runtime.cloud.alarmsFiring.delete(alarm);
    if (result.status !== 'FAILED') throw new Error(`bad release ${String(i)} ended ${result.status}`);
  }
  return { median: round(percentile(samples, 50)), p99: round(percentile(samples, 99)), runs };
}

/** Waits until the clock is `offsetMs` into a period of `periodMs` (aligned since the epoch, like the alarms' periods). */
async function untilPhase(periodMs: number, offsetMs: number): Promise<void> {
  const now = Date.now();
  let at = periodStart(now, periodMs) + (offsetMs % periodMs);
  if (at < now) at += periodMs;
  await new Promise((resolve) => setTimeout(resolve, at - now));
}

/**
 * A bad version (5xx on 20%) under the demo's canary plan and all at once,
 * same load, same alarms, real HTTP.
 *
 * How many requests fail before the alarm fires depends on where the first
 * traffic shift falls in the alarm's period: a shift early in a period gives
 * that period's datapoint enough bad requests to breach, and 2 of 3 are
 * reached a period sooner than after a shift late in a period (about 12
 * instead of about 20 failed requests all at once). CloudWatch behaves the
 * same; what the figure must not do is follow how fast the machine happens
 * to be. So one steady load runs across all the releases (a gap in it would
 * be missing datapoints, through which the previous release's breaching
 * datapoints would count for the next), and run i of each plan starts
 * (i + 0.5) / runs of the way into a period rather than right after the
 * previous release's alarm evaluation; where each shift fell is reported.
 */
export async function failedRequests(endpoint: string, runs: number): Promise<ReleaseFigures['badReleaseFailedRequests']> {
  const bad = SCENARIOS.bad;
  const versions = Array.from({ length: runs }, (_, i) => [`c${String(i)}`, `a${String(i)}`]).flat();
  const http = new HttpCloud({ versions: Object.fromEntries(versions.map((v) => [v, bad.behaviour])), alarms: demoAlarms() });
  const approvals = await DemoApprovals.start({ interactive: false, say: () => undefined });
  let terminal: DemoTerminal | undefined;
  try {
    const runtime = await LocalRuntime.create({ dynamodbEndpoint: endpoint, config: DEMO_CONFIG, cloud: { backend: http }, overrides: OVERRIDES, notifier: approvals.notifier });
    // The demo's releases are rollgate commands over the control API: so are these.
    terminal = await DemoTerminal.start(runtime, () => undefined);
    await http.attach({ cloud: runtime.cloud, services: runtime.deps.config.services, deliverAlarm: (name, id, reason) => runtime.deliverAlarm(name, id, reason) });
    await approvals.serve({ ledger: runtime.ledger, callbacks: runtime.engine.callbacks, config: runtime.deps.config });
    const service = runtime.deps.config.services[0];
    if (service === undefined) throw new Error('no service');
    const [stableTg] = service.traffic.targetGroupArns;
    const shift = { at: undefined as number | undefined };
    runtime.cloud.onWeightsChanged((weights, listenerArn) => {
      if (listenerArn !== service.traffic.listenerArn) return;
      if ([...weights].some(([tg, weight]) => tg !== stableTg && weight > 0)) shift.at ??= Date.now();
    });

    const world = { runtime, http, approvals, terminal, say: () => undefined };
    const allAtOnce: PlanInput = { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 300 }] };
    const plans = [
      { plan: PLAN, prefix: 'c', into: { failed: [], total: [], durationMs: [], reasons: [], shiftPhaseMs: [] } as PlanRuns },
      { plan: allAtOnce, prefix: 'a', into: { failed: [], total: [], durationMs: [], reasons: [], shiftPhaseMs: [] } as PlanRuns },
    ];
    const load = startLoad(http, 10 * 60_000);
    try {
      for (let i = 0; i < runs; i++) {
        for (const { plan, prefix, into } of plans) {
          const version = `${prefix}${String(i)}`;
          const beforeStart = async () => {
            await untilPhase(ALARM_PERIOD_MS, ((i + 0.5) / runs) * ALARM_PERIOD_MS);
            shift.at = undefined;
          };
          const report = await runScenario(world, { ...bad, version }, { plan, beforeStart });
          if (report.status !== 'ROLLED_BACK' || report.outcome !== 'ALARM') throw new Error(`bad release ${version} ended ${report.status ?? '?'}/${report.outcome ?? '?'}`);
          const shiftedAt = shift.at;
          if (shiftedAt === undefined) throw new Error(`bad release ${version} never took traffic`);
          into.failed.push(report.requests.failed);
          into.total.push(report.requests.total);
          into.durationMs.push(report.durationMs);
          into.reasons.push(report.reason ?? '');
          into.shiftPhaseMs.push(shiftedAt - periodStart(shiftedAt, ALARM_PERIOD_MS));
        }
      }
    } finally {
      await load.stop();
    }
    const errors = [...runtime.reconcileErrors, ...http.errors, ...approvals.errors];
    if (errors.length > 0) throw new Error(`out-of-band work failed: ${errors.map(String).join('; ')}`);
    const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    const [canary, whole] = plans.map((p) => p.into);
    if (canary === undefined || whole === undefined) throw new Error('no runs');
    return {
      requestsPerSecond: REQUESTS_PER_SECOND,
      runsPerPlan: runs,
      canaryPlan: canary,
      allAtOncePlan: whole,
      canaryToAllAtOnceRatio: Math.round((sum(canary.failed) / Math.max(1, sum(whole.failed))) * 1000) / 1000,
    };
  } finally {
    await terminal?.close();
    await http.close();
    await approvals.close();
  }
}

export async function benchReleases(endpoint: string): Promise<ReleaseFigures> {
  return {
    standardRelease: await standardReleases(endpoint, 20),
    concurrentReleases: await concurrentReleases(endpoint, 50),
    alarmToTrafficRestoredMs: await alarmLatency(endpoint, 20),
    badReleaseFailedRequests: await failedRequests(endpoint, 24),
  };
}
