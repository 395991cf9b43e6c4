/**
 * `npm start`: releases you can watch on one machine, no AWS account.
 *
 * The real release state machine (statemachines/release.asl.json) runs on the
 * local engine with the real step handlers, the ledger on DynamoDB Local, and
 * a simulated cloud that serves real HTTP (local/sim/http-cloud.ts): every
 * version runs as HTTP servers on loopback behind a weighted router that
 * applies the weights the flow sets, a traffic generator sends steady load
 * through it, and alarms computed from what the router saw, with CloudWatch
 * semantics, go to the alarm handler. Time is compressed: bakes last seconds.
 *
 * Each scenario is a script of `rollgate` commands (local/demo/terminal.ts):
 * the CLI's own commands and SigV4 client against the control API on
 * loopback, as the demo operator, or as the second approver for her
 * `rollgate approve`; each command line is printed before it runs.
 *
 * Default: v2 (healthy) ships through its canary steps and an approval, then
 * v3 (5xx on 20% of requests) is rolled back by its alarm. `--scenario`
 * picks others, `--json` prints the summary as one JSON document on stdout
 * (progress on stderr). Approvals always go through the local Slack stand-in
 * and the approval endpoint, whose link the demo prints; the approver answers
 * automatically over HTTP, or with `--interactive` it waits for a click in a
 * browser. Ctrl-C, or the time limit, stops it with the summary of what ran
 * so far. Exit status 0 when every release ended the way its scenario
 * expects, 1 otherwise (the time limit included), 2 on a bad command line,
 * 130 on Ctrl-C.
 */
import './node-compat.js';
import { PageAnswer, StatusAnswer } from '../cli/commands/responses.js';
import { startDynamoDbLocal, stopAllDynamoDbLocals, type DynamoDbLocal } from './dynamodb-local.js';
import { DemoApprovals } from './demo/approvals.js';
import { parseDemoArgs, UsageError, USAGE, type DemoOptions } from './demo/cli.js';
import { DemoConsole } from './demo/console.js';
import { stoppedLines, summaryTable, type DemoStop, type DemoSummary } from './demo/report.js';
import { runScenario, startLoad, type ReleaseReport } from './demo/run-release.js';
import { BAKE_MS, DEMO_CONFIG, DEMO_APPROVER_ARN, DEMO_OPERATOR_ARN, OVERRIDES, PLAN, REQUESTS_PER_SECOND, SCENARIOS, SERVICE, SERVICE_KEY, demoAlarms, type ScenarioName } from './demo/scenarios.js';
import { DemoTerminal } from './demo/terminal.js';
import { LocalRuntime } from './runtime.js';
import { serveUntilStopped } from './serve.js';
import { STOP_EXIT_CODE, stopSignal, type StopReason } from './stop-signal.js';
import type { VersionBehaviour } from './sim/cloud.js';
import { HttpCloud } from './sim/http-cloud.js';
import type { TrafficGenerator } from './sim/traffic.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What `work` resolves with, or the stop reason if the demo must stop first. */
async function unlessStopped<T>(work: Promise<T>, stopped: Promise<StopReason>): Promise<{ done: T } | { stop: StopReason }> {
  return Promise.race([work.then((done) => ({ done })), stopped.then((stop) => ({ stop }))]);
}

/** Runs the demo; resolves with its exit status. */
async function main(options: DemoOptions): Promise<number> {
  // With --json, stdout carries the one JSON document only: everything else goes to stderr.
  const out = new DemoConsole(options.json ? process.stderr : process.stdout);
  const say = (line: string) => {
    out.say(line);
  };
  if (options.json) {
    console.log = console.error;
    console.info = console.error;
    console.debug = console.error;
    if (npmBannerOnStdout()) {
      say('note: npm printed its own banner on stdout before the JSON; to pipe the JSON, run: npm start --silent -- --json');
    }
  }
  const started = Date.now();
  const timeLimitMs = options.timeLimitSeconds * 1000;
  const { stopped, dispose } = stopSignal(timeLimitMs);
  const secondsLeft = () => Math.max(0, Math.ceil((started + timeLimitMs - Date.now()) / 1000));

  say('rollgate local demo: the release state machine on the local engine, the ledger on DynamoDB Local, a simulated cloud serving real HTTP on loopback');
  say(`releases: ${options.scenarios.join(', ')}; time limit ${String(options.timeLimitSeconds)} s (--time-limit <seconds>); Ctrl-C stops early with a summary of what ran`);
  let dynamo: DynamoDbLocal | undefined;
  const http = new HttpCloud({
    versions: Object.fromEntries(Object.values(SCENARIOS).map((s) => [s.version, s.behaviour])),
    alarms: demoAlarms(),
  });
  let approvals: DemoApprovals | undefined;
  let load: TrafficGenerator | undefined;
  let runtime: LocalRuntime | undefined;
  let terminal: DemoTerminal | undefined;
  const reports: ReleaseReport[] = [];
  let current: ScenarioName | undefined;
  let stop: StopReason | undefined;
  try {
    const startup = (async () => {
      // DynamoDB Local's JVM takes seconds (more on a busy machine): the rest starts meanwhile, and a status line counts.
      const dynamoStarted = Date.now();
      const ticker = setInterval(() => {
        out.status(`   starting DynamoDB Local (Java, in memory): ${String(Math.round((Date.now() - dynamoStarted) / 1000))} s`);
      }, 1_000);
      const [approvalsStart, dynamoStart] = await Promise.allSettled([DemoApprovals.start({ interactive: options.interactive, say }), startDynamoDbLocal()]);
      clearInterval(ticker);
      out.clearStatus();
      if (approvalsStart.status === 'fulfilled') approvals = approvalsStart.value;
      if (dynamoStart.status === 'fulfilled') dynamo = dynamoStart.value;
      if (approvalsStart.status === 'rejected') throw approvalsStart.reason;
      if (dynamoStart.status === 'rejected') throw dynamoStart.reason;
      return { approvals: approvalsStart.value, dynamo: dynamoStart.value };
    })();
    const ready = await unlessStopped(startup, stopped);
    if ('stop' in ready) {
      stop = ready.stop;
      // A JVM still starting is stopped now, not once it answers; startup then fails, which is expected here.
      await stopAllDynamoDbLocals();
      await startup.catch(() => undefined);
    } else {
      const world = await prepare(ready.done.dynamo, ready.done.approvals, http, options, say, started);
      runtime = world.runtime;
      terminal = world.terminal;
      load = startLoad(http, timeLimitMs);
      say(`steady load: ${String(REQUESTS_PER_SECOND)} requests a second through the router from now to the end, between releases too`);
      for (const name of options.scenarios) {
        current = name;
        const status = (line: string, release: { status: string }) => {
          const waiting = options.interactive && release.status === 'AWAITING_APPROVAL';
          out.status(waiting ? `   waiting for you: open the approval link above (time limit in ${String(secondsLeft())} s) | ${line.trimStart()}` : line);
        };
        const ran = await unlessStopped(runScenario({ runtime: world.runtime, http, approvals: world.approvals, terminal: world.terminal, say, status }, SCENARIOS[name]), stopped);
        out.clearStatus();
        if ('stop' in ran) {
          stop = ran.stop;
          break;
        }
        reports.push(ran.done);
        current = undefined;
      }
    }

    const errors = [...(runtime?.reconcileErrors ?? []), ...http.errors, ...(approvals?.errors ?? []), ...(terminal?.errors ?? [])];
    if (stop === undefined) for (const error of errors) console.error('out-of-band work failed:', error);
    const stopInfo: DemoStop | undefined =
      stop === undefined ? undefined : await describeStop(stop, terminal, current, options.scenarios.slice(reports.length + (current === undefined ? 0 : 1)));
    const summary: DemoSummary = {
      service: SERVICE_KEY,
      asExpected: stopInfo === undefined && reports.every((r) => r.asExpected) && errors.length === 0,
      durationMs: Date.now() - started,
      stable: terminal === undefined ? null : await stableVersion(terminal),
      releases: reports,
      ...(stopInfo === undefined ? {} : { stopped: stopInfo }),
    };
    if (stopInfo !== undefined) say(`\n${stopInfo.reason === 'time-limit' ? `stopped: the time limit of ${String(options.timeLimitSeconds)} s (--time-limit) was reached` : stopInfo.reason}`);
    say('\n== summary (requests/failed as the router saw them while each release ran)');
    for (const line of reports.length === 0 ? ['   no release ended'] : summaryTable(reports)) say(line);
    for (const line of stoppedLines(stopInfo)) say(line);
    if (terminal !== undefined) {
      say(`\n== the ledger's history of ${SERVICE_KEY} and where it stands, as the CLI shows them`);
      await terminal.run(['history', SERVICE.service, '--env', SERVICE.environment]);
      await terminal.run(['status', SERVICE.service, '--env', SERVICE.environment]);
    }
    const verdict =
      stopInfo !== undefined ? 'stopped before every release ended' : summary.asExpected ? 'every release ended the way its scenario expects' : 'a release did NOT end the way its scenario expects';
    say(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s: ${verdict}`);
    if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return stop === undefined ? (summary.asExpected ? 0 : 1) : STOP_EXIT_CODE[stop];
  } finally {
    dispose();
    await terminal?.close();
    await load?.stop();
    await http.close();
    await approvals?.close();
    await dynamo?.stop();
  }
}

/** The runtime on DynamoDB Local, the simulated cloud attached to it, and the approval endpoint: the world the releases run in. */
async function prepare(dynamo: DynamoDbLocal, approvals: DemoApprovals, http: HttpCloud, options: DemoOptions, say: (line: string) => void, started: number) {
  say(`DynamoDB Local ready at ${dynamo.endpoint} (${String(Date.now() - started)} ms)`);
  const versions: Record<string, VersionBehaviour> = {};
  for (const s of Object.values(SCENARIOS)) if (s.migrationExitCode !== undefined) versions[s.version] = { migrationExitCode: s.migrationExitCode };
  const runtime = await LocalRuntime.create({
    dynamodbEndpoint: dynamo.endpoint,
    tableName: 'rollgate-ledger',
    config: DEMO_CONFIG,
    cloud: { versions, backend: http },
    overrides: OVERRIDES,
    notifier: approvals.notifier,
  });
  await http.attach({
    cloud: runtime.cloud,
    services: runtime.deps.config.services,
    deliverAlarm: (name, eventId, reason) => runtime.deliverAlarm(name, eventId, reason),
  });
  const terminal = await DemoTerminal.start(runtime, say);
  const approvalEndpoint = await approvals.serve({ ledger: runtime.ledger, callbacks: runtime.engine.callbacks, config: runtime.deps.config, terminal });
  const alarmText = demoAlarms()
    .map((a) => `${a.alarmName} (${a.metric} > ${String(a.threshold)}, ${String(a.datapointsToAlarm)} of ${String(a.evaluationPeriods)} x ${String(a.periodMs)} ms, missing data ${a.treatMissingData ?? 'missing'})`)
    .join('; ');
  say(`onboarded ${SERVICE_KEY}: v1 stable, router on ${http.routerUrl(SERVICE_KEY)}; alarms: ${alarmText}`);
  say(
    `approvals: requests posted to the local Slack stand-in, decided on the approval endpoint ${approvalEndpoint} ` +
      (options.interactive
        ? '(--interactive: by you, in a browser, on the link printed when a release waits)'
        : '(by the approver, automatically: with rollgate approve, or over HTTP as Slack or a browser would)'),
  );
  say(
    `control API on ${terminal.endpoint} (SigV4, as API Gateway's IAM authorization checks it): every step below is a rollgate command, ` +
      `run as the CLI runs it, by ${DEMO_OPERATOR_ARN} (the approver: ${DEMO_APPROVER_ARN}); against AWS they run as printed, against npm start -- --serve with --local`,
  );
  say(`the releases' plan (bakes of 300 s, compressed to ${String(BAKE_MS / 1000)} s here): ${terminal.planFile(PLAN)}`);
  return { runtime, approvals, terminal };
}

/** The stable version as the control API answers it (getStatus, what rollgate status shows). */
async function stableVersion(terminal: DemoTerminal): Promise<string | null> {
  return StatusAnswer.parse(await terminal.client().call('getStatus', { params: SERVICE })).stable?.version ?? null;
}

/** Where the demo was when it stopped early: the release it was running as the ledger has it, and what never ran. */
async function describeStop(reason: StopReason, terminal: DemoTerminal | undefined, current: ScenarioName | undefined, notRun: readonly ScenarioName[]): Promise<DemoStop> {
  if (current === undefined || terminal === undefined) return { reason, running: null, notRun };
  const version = SCENARIOS[current].version;
  const release = await terminal
    .client()
    .call('listReleases', { params: SERVICE, query: { limit: 20 } })
    .then((answer) => PageAnswer.parse(answer).items.find((r) => r.version === version))
    .catch(() => undefined);
  return {
    reason,
    running: {
      scenario: current,
      version,
      releaseId: release?.releaseId ?? null,
      status: release?.status ?? null,
      step: release?.currentStep === undefined ? null : `step ${String(release.currentStep.index)} (${release.currentStep.name})`,
    },
    notRun,
  };
}

/**
 * `npm start -- --json` through a pipe: npm writes its "> rollgate@… start"
 * banner to stdout before the demo runs, unless npm itself is silent.
 */
function npmBannerOnStdout(): boolean {
  return process.env.npm_lifecycle_event !== undefined && process.env.npm_config_loglevel !== 'silent' && !process.stdout.isTTY;
}

let options: DemoOptions;
try {
  options = parseDemoArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`npm start: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
} else if (options.serve) {
  void serveUntilStopped(options.dataDir === undefined ? {} : { dataDir: options.dataDir }).then((code) => process.exit(code));
} else {
  main(options).then(
    (code) => {
      // An interrupted release's engine still has timers: end here, once what was written has gone out.
      process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    },
    (error: unknown) => {
      console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
      void stopAllDynamoDbLocals().finally(() => process.exit(1));
    },
  );
}
