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
 * Default: v2 (healthy) ships through its canary steps and an approval, then
 * v3 (5xx on 20% of requests) is rolled back by its alarm. `--scenario`
 * picks others, `--json` prints the summary as one JSON document on stdout
 * (progress on stderr). Approvals always go through the local Slack stand-in
 * and the approval endpoint, whose link the demo prints; the approver answers
 * automatically over HTTP, or with `--interactive` it waits for a click in a
 * browser. Exit status 0 when every release ended the way its scenario
 * expects, 1 otherwise, 2 on a bad command line.
 */
import './node-compat.js';
import { installSignalCleanup, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import { DemoApprovals } from './demo/approvals.js';
import { parseDemoArgs, UsageError, USAGE, type DemoOptions } from './demo/cli.js';
import { ledgerHistory, summaryTable, type DemoSummary } from './demo/report.js';
import { runScenario, startLoad, type ReleaseReport } from './demo/run-release.js';
import { DEMO_CONFIG, OVERRIDES, REQUESTS_PER_SECOND, SCENARIOS, SERVICE, SERVICE_KEY, demoAlarms } from './demo/scenarios.js';
import { LocalRuntime } from './runtime.js';
import type { VersionBehaviour } from './sim/cloud.js';
import { HttpCloud } from './sim/http-cloud.js';
import type { TrafficGenerator } from './sim/traffic.js';

/** Whatever happens, the demo ends by itself: past this it stops as if interrupted. */
const HARD_LIMIT_MS = 150_000;

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(options: DemoOptions): Promise<boolean> {
  // With --json, stdout carries the one JSON document only: everything else goes to stderr.
  const out = options.json ? process.stderr : process.stdout;
  const say = (line: string) => {
    out.write(`${line}\n`);
  };
  if (options.json) {
    console.log = console.error;
    console.info = console.error;
    console.debug = console.error;
  }
  installSignalCleanup();
  const started = Date.now();
  const limit = setTimeout(() => {
    console.error(`the demo did not finish within ${String(HARD_LIMIT_MS / 1000)} s; stopping`);
    process.kill(process.pid, 'SIGTERM');
  }, HARD_LIMIT_MS);
  limit.unref();

  const scenarios = options.scenarios.map((name) => SCENARIOS[name]);
  say('rollgate local demo: the release state machine on the local engine, the ledger on DynamoDB Local, a simulated cloud serving real HTTP on loopback');
  let dynamo: DynamoDbLocal | undefined;
  const http = new HttpCloud({
    versions: Object.fromEntries(Object.values(SCENARIOS).map((s) => [s.version, s.behaviour])),
    alarms: demoAlarms(),
  });
  let approvals: DemoApprovals | undefined;
  let load: TrafficGenerator | undefined;
  const closeServers = () => {
    void load?.stop();
    void http.close();
    void approvals?.close();
  };
  process.once('SIGINT', closeServers);
  process.once('SIGTERM', closeServers);
  try {
    approvals = await DemoApprovals.start({ interactive: options.interactive, say });
    dynamo = await startDynamoDbLocal();
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
    const approvalEndpoint = await approvals.serve({ ledger: runtime.ledger, callbacks: runtime.engine.callbacks, config: runtime.deps.config });
    const alarmText = demoAlarms()
      .map((a) => `${a.alarmName} (${a.metric} > ${String(a.threshold)}, ${String(a.datapointsToAlarm)} of ${String(a.evaluationPeriods)} x ${String(a.periodMs)} ms, missing data ${a.treatMissingData ?? 'missing'})`)
      .join('; ');
    say(`onboarded ${SERVICE_KEY}: v1 stable, router on ${http.routerUrl(SERVICE_KEY)}; alarms: ${alarmText}`);
    say(
      `approvals: requests posted to the local Slack stand-in, decided on the approval endpoint ${approvalEndpoint} ` +
        (options.interactive ? '(--interactive: by you, in a browser, on the link printed when a release waits)' : '(by the approver, automatically, over HTTP as Slack or a browser would)'),
    );

    load = startLoad(http, HARD_LIMIT_MS);
    say(`steady load: ${String(REQUESTS_PER_SECOND)} requests a second through the router from now to the end, between releases too`);
    const reports: ReleaseReport[] = [];
    for (const scenario of scenarios) reports.push(await runScenario({ runtime, http, approvals, say }, scenario));

    const errors = [...runtime.reconcileErrors, ...http.errors, ...approvals.errors];
    for (const error of errors) console.error('out-of-band work failed:', error);
    const summary: DemoSummary = {
      service: SERVICE_KEY,
      asExpected: reports.every((r) => r.asExpected) && errors.length === 0,
      durationMs: Date.now() - started,
      stable: (await runtime.ledger.getStable(SERVICE))?.version ?? null,
      releases: reports,
    };
    say('\n== summary (requests/failed as the router saw them while each release ran)');
    for (const line of summaryTable(reports)) say(line);
    say('\n== ledger history of checkout/prod (newest first)');
    for (const line of await ledgerHistory(runtime)) say(line);
    say(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s: ${summary.asExpected ? 'every release ended the way its scenario expects' : 'a release did NOT end the way its scenario expects'}`);
    if (options.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return summary.asExpected;
  } finally {
    clearTimeout(limit);
    await load?.stop();
    await http.close();
    await approvals?.close();
    await dynamo?.stop();
    process.off('SIGINT', closeServers);
    process.off('SIGTERM', closeServers);
  }
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
} else {
  main(options).then(
    (asExpected) => {
      process.exitCode = asExpected ? 0 : 1;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
      process.exitCode = 1;
    },
  );
}
