/**
 * `npm start -- --serve`: the local stack kept running until Ctrl-C, for the
 * `rollgate` CLI to drive. The release state machine on the local engine,
 * the ledger on DynamoDB Local with its tables on disk (a restart loses no
 * release), the simulated cloud serving real HTTP under steady load, the
 * approval endpoint, and the control API on loopback — the same dispatcher
 * the control Lambda runs, behind SigV4 verification as API Gateway's
 * AWS_IAM authorization does. Its endpoint and this run's credentials go to
 * the state file the CLI reads (`rollgate --local ...`), readable by the
 * user only, removed on exit.
 *
 * Versions behave as the demo's scenarios say (v3 answers 5xx on 20 % of
 * requests, v4 crashes, v5's migration fails); any other version is healthy.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { localStatePath, removeLocalState, writeLocalState } from '../cli/local-state.js';
import type { Release } from '../functions/domain/release.js';
import { ControlServer, type RunningControlServer } from './control-server.js';
import { DemoApprovals } from './demo/approvals.js';
import { DemoConsole } from './demo/console.js';
import { startLoad } from './demo/run-release.js';
import { DEMO_CONFIG, OVERRIDES, SCENARIOS, SERVICE, SERVICE_KEY, demoAlarms } from './demo/scenarios.js';
import { startDynamoDbLocal, stopAllDynamoDbLocals, type DynamoDbLocal } from './dynamodb-local.js';
import { stopSignal } from './stop-signal.js';
import { LocalRuntime } from './runtime.js';
import type { VersionBehaviour } from './sim/cloud.js';
import { HttpCloud } from './sim/http-cloud.js';
import { CONTROL_SIGNING } from './sigv4-verifier.js';
import type { TrafficGenerator } from './sim/traffic.js';

/** Whoever drives the local stack with the CLI: the principal the control API records. */
export const LOCAL_OPERATOR_ARN = 'arn:aws:iam::000000000000:user/you';
/** How often the console reports what the releases do. */
const WATCH_MS = 500;
/** The load generator's own bound; the server stops it long before. */
const LOAD_BOUND_MS = 7 * 24 * 3600 * 1000;

export interface ServeOptions {
  /** Where DynamoDB Local keeps the ledger. @default `ledger/` beside the state file */
  readonly dataDir?: string;
  /** The control API's port on 127.0.0.1. @default a free one */
  readonly port?: number;
}

/** Where the ledger lives by default: beside the CLI's state file (`~/.local/state/rollgate/ledger`). */
export function defaultDataDir(): string {
  return join(dirname(localStatePath()), 'ledger');
}

/** Runs the local stack until `stopped` resolves; resolves with the exit status. */
export async function serve(options: ServeOptions, stopped: Promise<unknown>): Promise<number> {
  const out = new DemoConsole(process.stdout);
  const say = (line: string) => {
    out.say(line);
  };
  const dataDir = options.dataDir ?? defaultDataDir();
  let dynamo: DynamoDbLocal | undefined;
  let approvals: DemoApprovals | undefined;
  let control: RunningControlServer | undefined;
  let load: TrafficGenerator | undefined;
  let watching: NodeJS.Timeout | undefined;
  let notifying: LocalRuntime | undefined;
  const http = new HttpCloud({
    versions: Object.fromEntries(Object.values(SCENARIOS).map((s) => [s.version, s.behaviour])),
    alarms: demoAlarms(),
  });
  try {
    say(`rollgate local stack: ledger kept in ${dataDir}`);
    const [approvalsStart, dynamoStart] = await Promise.allSettled([DemoApprovals.start({ interactive: true, say }), startDynamoDbLocal({ dbPath: dataDir })]);
    if (approvalsStart.status === 'fulfilled') approvals = approvalsStart.value;
    if (dynamoStart.status === 'fulfilled') dynamo = dynamoStart.value;
    if (approvalsStart.status === 'rejected') throw approvalsStart.reason;
    if (dynamoStart.status === 'rejected') throw dynamoStart.reason;
    const ready = { approvals: approvalsStart.value, dynamo: dynamoStart.value };

    const versions: Record<string, VersionBehaviour> = {};
    for (const s of Object.values(SCENARIOS)) if (s.migrationExitCode !== undefined) versions[s.version] = { migrationExitCode: s.migrationExitCode };
    const runtime = await LocalRuntime.create({
      dynamodbEndpoint: ready.dynamo.endpoint,
      tableName: 'rollgate-ledger',
      config: DEMO_CONFIG,
      cloud: { versions, backend: http },
      overrides: OVERRIDES,
      notifier: ready.approvals.notifier,
      // The release events the Notifier function sends to EventBridge on AWS, printed as they are published.
      notifications: true,
    });
    runtime.releaseEvents?.onEvent(({ detailType, detail }) => {
      say(`   event ${detailType}: ${detail.service}/${detail.environment} ${detail.version}${detail.reason === null ? '' : ` (${detail.reason})`}`);
    });
    notifying = runtime;
    await http.attach({
      cloud: runtime.cloud,
      services: runtime.deps.config.services,
      deliverAlarm: (name, eventId, reason) => runtime.deliverAlarm(name, eventId, reason),
    });
    // A release an earlier run left active has no execution any more: the reconciler closes it, as on AWS.
    for (const outcome of await runtime.reconcile()) say(`closed a release the last run left active: ${JSON.stringify(outcome)}`);
    const approvalEndpoint = await ready.approvals.serve({ ledger: runtime.ledger, callbacks: runtime.engine.callbacks, config: runtime.deps.config });
    load = startLoad(http, LOAD_BOUND_MS);

    const credential = { accessKeyId: `LOCAL${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(24).toString('base64url'), principalArn: LOCAL_OPERATOR_ARN };
    control = await ControlServer.start({ runtime, credentials: [credential], ...(options.port === undefined ? {} : { port: options.port }) });
    writeLocalState({ version: 1, endpoint: control.endpoint, region: CONTROL_SIGNING.region, ...credential, pid: process.pid, startedAt: new Date().toISOString() });

    const stable = await runtime.ledger.getStable(SERVICE);
    say(`onboarded ${SERVICE_KEY}: ${stable?.version ?? 'v1'} stable, router on ${http.routerUrl(SERVICE_KEY)} (steady load from the traffic generator)`);
    say(`approval endpoint ${approvalEndpoint}; control API ${control.endpoint} (SigV4, as ${LOCAL_OPERATOR_ARN})`);
    say(`state for the CLI in ${localStatePath()}; try:`);
    say('   npx rollgate --local release checkout v2      # healthy: canary steps to 100 %');
    say('   npx rollgate --local watch checkout           # live: step, weights, alarms');
    say('   npx rollgate --local release checkout v3      # 5xx on 20 %: its alarm rolls it back');
    say('   npx rollgate --local history checkout');
    say('Ctrl-C stops the stack; the ledger stays for the next run.');

    const announce = watchReleases(runtime, ready.approvals, say);
    watching = setInterval(() => {
      void announce().catch((error: unknown) => {
        say(`could not read the ledger: ${error instanceof Error ? error.message : String(error)}`);
      });
    }, WATCH_MS);
    await stopped;
    say('\nstopping the local stack');
    return 0;
  } finally {
    if (watching !== undefined) clearInterval(watching);
    removeLocalState();
    await control?.close();
    await load?.stop();
    await http.close();
    await approvals?.close();
    // The notifier polls DynamoDB Local's stream: stopped before it.
    await notifying?.close();
    await dynamo?.stop();
  }
}

/** Prints each change of the service's newest release, and the approval link when one waits. */
function watchReleases(runtime: LocalRuntime, approvals: DemoApprovals, say: (line: string) => void): () => Promise<void> {
  const seen = new Map<string, string>();
  const announced = new Set<string>();
  return async () => {
    const newest: Release | undefined = (await runtime.ledger.listReleases({ ...SERVICE, limit: 1 })).items[0];
    if (newest === undefined) return;
    const step = newest.currentStep === undefined ? '' : ` at step ${String(newest.currentStep.index)} (${newest.currentStep.name})`;
    const line = `${newest.version} ${newest.status}${step}${newest.statusReason === undefined ? '' : `: ${newest.statusReason}`}`;
    if (seen.get(newest.releaseId) !== line) {
      seen.set(newest.releaseId, line);
      say(`   ${new Date().toISOString().slice(11, 19)} ${newest.releaseId} ${line}`);
    }
    const approvalId = newest.waiting?.approvalId;
    if (newest.status === 'AWAITING_APPROVAL' && approvalId !== undefined && !announced.has(approvalId)) {
      announced.add(approvalId);
      say(`   >>> ${newest.version} waits for approval ${approvalId}: open ${await approvals.linkFor(approvalId)} (or: npx rollgate --local approve ${approvalId})`);
    }
  };
}

/**
 * {@link serve} until Ctrl-C or SIGTERM (a second one exits at once), for
 * `npm start -- --serve` and `rollgate local`; resolves with the exit status,
 * 1 when the stack could not start (the error printed, DynamoDB Local stopped).
 */
export async function serveUntilStopped(options: ServeOptions): Promise<number> {
  const { stopped, dispose } = stopSignal();
  try {
    return await serve(options, stopped);
  } catch (error) {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    await stopAllDynamoDbLocals();
    return 1;
  } finally {
    dispose();
  }
}
