/**
 * `npm start`: two releases on one machine, no AWS account.
 *
 * The real release state machine (statemachines/release.asl.json) runs on the
 * local engine with the real step handlers, the ledger on DynamoDB Local, and
 * the simulated cloud. v2 canaries 10% → 50% → approval → 100% and becomes
 * stable; v3 is caught by an alarm during its second bake and rolled back.
 * Time is compressed: bakes last a second. Progress is the ledger's audit log,
 * printed as the product records it.
 *
 * Exit status 0 when both releases end the way they should.
 */
import './node-compat.js';
import type { Release, ReleaseEvent } from '../functions/ledger/records.js';
import { installSignalCleanup, startDynamoDbLocal } from './dynamodb-local.js';
import type { ExecutionResult } from './engine/index.js';
import { LocalRuntime } from './runtime.js';
import { CHECKOUT_SERVICE } from './sample-config.js';

const CHECKOUT = { service: 'checkout', environment: 'prod' } as const;
const PLAN = {
  steps: [
    { type: 'traffic', weight: 10, bakeSeconds: 300 },
    { type: 'traffic', weight: 50, bakeSeconds: 300 },
    { type: 'approval', approvers: { users: ['alice'] }, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 300 },
  ],
};
/** Every bake lasts this long instead of its 300 s; waits and retries take milliseconds. */
const BAKE_MS = 800;

interface Outcome {
  readonly version: string;
  readonly expected: string;
  readonly release: Release | undefined;
  readonly result: ExecutionResult;
  readonly ms: number;
}

const say = (line: string) => {
  console.log(line);
};

/** Prints the release's new audit events while the execution runs. */
function followLedger(runtime: LocalRuntime, version: string): { stop: () => Promise<void> } {
  const printed = new Set<string>();
  const follow = { running: true };
  const print = async () => {
    const release = (await runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === version);
    if (release === undefined) return;
    for (const event of await runtime.ledger.listEvents(release)) {
      if (printed.has(event.eventId)) continue;
      printed.add(event.eventId);
      say(`   ${event.at.slice(11, 23)}  ${event.type.padEnd(19)} ${describe(event)}`);
    }
  };
  const loop = (async () => {
    while (follow.running) {
      await print();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await print();
  })();
  return {
    stop: async () => {
      follow.running = false;
      await loop;
    },
  };
}

function describe(event: ReleaseEvent): string {
  return event.actor === undefined || event.actor === 'flow' ? (event.message ?? '') : `${event.message ?? ''}  [${event.actor}]`;
}

async function release(runtime: LocalRuntime, version: string, expected: string, during: (execution: string) => Promise<void>): Promise<Outcome> {
  say(`\n== ${version}: ${PLAN.steps.map((s) => (s.type === 'traffic' ? `${String(s.weight)}%` : 'approval')).join(' -> ')}, expecting ${expected}`);
  const started = Date.now();
  const follow = followLedger(runtime, version);
  const execution = runtime.startRelease({ ...CHECKOUT, version, trigger: { source: 'demo', commit: `c0ffee${version}`, author: 'dana' }, plan: PLAN });
  await during(execution.executionArn);
  const result = await execution.result;
  await runtime.settled();
  await follow.stop();
  const record = (await runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === version);
  return { version, expected, release: record, result, ms: Date.now() - started };
}

/** Resolves when the release of `version` waits on the given kind of callback at `stepIndex`. */
async function waitingOn(runtime: LocalRuntime, version: string, kind: 'BAKE' | 'APPROVAL', stepIndex: number): Promise<Release> {
  for (;;) {
    const current = (await runtime.ledger.listReleases(CHECKOUT)).items.find((r) => r.version === version);
    if (current?.waiting?.kind === kind && current.waiting.stepIndex === stepIndex) return current;
    if (current !== undefined && current.status !== 'AWAITING_APPROVAL' && current.finishedAt !== undefined) {
      throw new Error(`${version} ended ${current.status} before waiting on ${kind} ${String(stepIndex)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function main(): Promise<void> {
  installSignalCleanup();
  const started = Date.now();
  say('rollgate local demo: the release state machine on the local engine, the ledger on DynamoDB Local, a simulated cloud');
  const dynamo = await startDynamoDbLocal();
  try {
    say(`DynamoDB Local ready at ${dynamo.endpoint} (${String(Date.now() - started)} ms)`);
    const runtime = await LocalRuntime.create({
      dynamodbEndpoint: dynamo.endpoint,
      tableName: 'rollgate-ledger',
      config: { services: [{ ...CHECKOUT_SERVICE, migration: undefined }] },
      // The bad version's 5xx alarm goes off a third into its 50% bake.
      alarmAt: [{ alarmName: 'checkout-prod-5xx', version: 'v3', canaryPercent: 50, afterMs: BAKE_MS / 3 }],
      overrides: {
        waitTimeOverrides: { WaitForHealth: 100, WaitForMigration: 100, TerminationWait: 300 },
        taskTimeoutOverrides: { Bake: BAKE_MS },
      },
    });
    say(`onboarded checkout/prod: v1 stable on ${CHECKOUT_SERVICE.traffic.targetGroupArns[0].split(':').at(-1) ?? ''}`);

    const good = await release(runtime, 'v2', 'SUCCEEDED', async () => {
      const waiting = await waitingOn(runtime, 'v2', 'APPROVAL', 2);
      const approval = runtime.cloud.approvalRequests.at(-1);
      if (approval === undefined || waiting.waiting?.approvalId !== approval.approvalId) throw new Error('no approval request was posted');
      await new Promise((resolve) => setTimeout(resolve, 400));
      await runtime.decide(approval.approvalId, 'APPROVED', 'alice', 'canary metrics look good');
    });

    const bad = await release(runtime, 'v3', 'ROLLED_BACK', () => Promise.resolve());

    say('\n== summary');
    say(`   ${'version'.padEnd(8)} ${'outcome'.padEnd(12)} ${'transitions'.padEnd(12)} ${'duration'.padEnd(9)} reason`);
    for (const o of [good, bad]) {
      say(`   ${o.version.padEnd(8)} ${(o.release?.status ?? o.result.status).padEnd(12)} ${String(o.result.transitions.total).padEnd(12)} ${`${(o.ms / 1000).toFixed(1)} s`.padEnd(9)} ${o.release?.reason ?? ''}`);
    }
    const stable = await runtime.ledger.getStable(CHECKOUT);
    const weights = runtime.cloud.weightsOn(CHECKOUT_SERVICE.traffic.listenerArn);
    say(`   stable: ${stable?.version ?? 'none'}; traffic: ${[...weights].map(([tg, percent]) => `${tg.split('/').at(-2) ?? tg} ${String(percent)}%`).join(', ')}; lock: ${(await runtime.ledger.getLock(CHECKOUT))?.releaseId ?? 'free'}`);
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    for (const error of runtime.reconcileErrors) console.error('out-of-band work failed:', error);
    const asExpected = [good, bad].every((o) => o.release?.status === o.expected) && runtime.reconcileErrors.length === 0;
    if (!asExpected) {
      console.error('a release did not end the way its scenario expects');
      process.exitCode = 1;
    }
  } finally {
    await dynamo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
});
