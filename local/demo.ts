/**
 * `npm start`: a release walkthrough on one machine, no AWS account.
 *
 * Starts DynamoDB Local, creates the release ledger from the shared table
 * definition, and drives two releases of a sample service through the real
 * ledger: v2 shifts traffic in steps, passes an approval and becomes stable;
 * v3 is caught by an alarm and rolled back. Along the way it shows the
 * guarantees the ledger gives: one release per service at a time, an approval
 * decided once, and an audit log of everything. The state machine that drives
 * these steps automatically is built on top of this ledger (issue 3); this
 * walkthrough calls the ledger the way its steps will.
 */
import './node-compat.js';
import { installSignalCleanup, startDynamoDbLocal } from './dynamodb-local.js';
import { createLedgerTable, localDynamoClient } from './ledger-table.js';
import { ledgerDocumentClient } from '../functions/ledger/client.js';
import { Ledger } from '../functions/ledger/ledger.js';
import type { FleetRef, Release } from '../functions/ledger/records.js';
import { RollgateError } from '../functions/errors.js';

const SERVICE = { service: 'checkout', environment: 'prod' } as const;
const BLUE: FleetRef = { kind: 'ecs-task-set', id: 'checkout-prod/ts-blue', targetGroup: 'checkout-prod-blue' };
const GREEN: FleetRef = { kind: 'ecs-task-set', id: 'checkout-prod/ts-green', targetGroup: 'checkout-prod-green' };

const say = (line: string) => {
  console.log(line);
};
const heading = (line: string) => {
  say(`\n== ${line}`);
};

/** Records each traffic step of the plan, numbered from `firstStep`. */
async function shift(ledger: Ledger, release: Release, firstStep: number, steps: readonly number[]): Promise<void> {
  for (const [offset, canary] of steps.entries()) {
    const index = firstStep + offset;
    await ledger.recordProgress({
      ...release,
      step: { index, name: `canary ${canary}%` },
      weights: { stable: 100 - canary, canary },
    });
    say(`   step ${index}: ${100 - canary}% ${release.previousVersion ?? 'stable'} / ${canary}% ${release.version}`);
  }
}

async function goodRelease(ledger: Ledger): Promise<Release> {
  heading('release v2: plan 10% -> 50% -> approval -> 100%');
  let release = await ledger.startRelease({
    ...SERVICE,
    version: 'v2',
    previousVersion: 'v1',
    trigger: { source: 'demo', commit: '4f1c2ab', buildId: 'build-102', author: 'dana' },
  });
  say(`   started ${release.releaseId}; it holds the checkout/prod lock`);

  try {
    await ledger.startRelease({ ...SERVICE, version: 'v2-hotfix', trigger: { source: 'demo', author: 'sam' } });
  } catch (error) {
    if (!(error instanceof RollgateError)) throw error;
    say(`   a second release is refused: ${error.name}: ${error.message}`);
  }

  release = await ledger.transition({ ...release, from: 'PENDING', to: 'DEPLOYING', actor: 'demo' });
  release = await ledger.transition({ ...release, from: 'DEPLOYING', to: 'SHIFTING', actor: 'demo' });
  await shift(ledger, release, 0, [10, 50]);

  release = await ledger.transition({ ...release, from: 'SHIFTING', to: 'AWAITING_APPROVAL', actor: 'demo' });
  const approval = await ledger.createApproval({
    ...release,
    stepIndex: 2,
    taskToken: 'demo-task-token',
    approvers: { users: ['alice'], groups: [] },
    timeoutSeconds: 3600,
  });
  await ledger.recordWait({
    ...release,
    wait: { kind: 'APPROVAL', taskToken: approval.taskToken, stepIndex: 2, timeoutAt: approval.expiresAt, approvalId: approval.approvalId },
  });
  say(`   waiting for approval ${approval.approvalId} (the task token stays in the ledger)`);
  await ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'APPROVED', by: 'alice', comment: 'metrics look good', via: 'demo' });
  say('   alice approved');
  try {
    await ledger.decideApproval({ approvalId: approval.approvalId, outcome: 'REJECTED', by: 'mallory', via: 'demo' });
  } catch (error) {
    if (!(error instanceof RollgateError)) throw error;
    say(`   a second decision is refused: ${error.name}: ${error.message}`);
  }
  await ledger.clearWait({ ...release, taskToken: approval.taskToken });

  release = await ledger.transition({ ...release, from: 'AWAITING_APPROVAL', to: 'SHIFTING', actor: 'demo' });
  await shift(ledger, release, 3, [100]);
  release = await ledger.transition({ ...release, from: 'SHIFTING', to: 'FINALIZING', actor: 'demo' });
  await ledger.setStable({ ...SERVICE, version: 'v2', fleet: GREEN, releaseId: release.releaseId });
  release = await ledger.finishRelease({
    ...release,
    from: 'FINALIZING',
    status: 'SUCCEEDED',
    outcome: 'PROMOTED',
    reason: 'every step baked clean and was approved',
    actor: 'demo',
  });
  say(`   ${release.status}: v2 is stable`);
  return release;
}

async function badRelease(ledger: Ledger): Promise<Release> {
  heading('release v3: an alarm fires during the first step');
  let release = await ledger.startRelease({
    ...SERVICE,
    version: 'v3',
    previousVersion: 'v2',
    trigger: { source: 'demo', commit: '9e77d10', buildId: 'build-103', author: 'sam' },
  });
  say(`   started ${release.releaseId}`);
  release = await ledger.transition({ ...release, from: 'PENDING', to: 'DEPLOYING', actor: 'demo' });
  release = await ledger.transition({ ...release, from: 'DEPLOYING', to: 'SHIFTING', actor: 'demo' });
  await shift(ledger, release, 0, [10]);
  await ledger.appendEvent({
    releaseId: release.releaseId,
    eventId: 'alarm:checkout-prod-5xx:demo',
    type: 'ALARM_FIRED',
    actor: 'cloudwatch',
    message: 'checkout-prod-5xx went to ALARM (simulated in this walkthrough)',
  });
  say('   alarm checkout-prod-5xx fired (simulated): rolling back');
  release = await ledger.transition({ ...release, from: 'SHIFTING', to: 'ROLLING_BACK', actor: 'demo', reason: 'alarm checkout-prod-5xx' });
  await ledger.recordProgress({ ...release, step: { index: 0, name: 'rollback' }, weights: { stable: 100, canary: 0 } });
  release = await ledger.finishRelease({
    ...release,
    from: 'ROLLING_BACK',
    status: 'ROLLED_BACK',
    outcome: 'ALARM',
    reason: 'checkout-prod-5xx in ALARM at step 0 (10% canary)',
    actor: 'demo',
  });
  say(`   ${release.status}: traffic is 100% on v2 again`);
  return release;
}

async function main(): Promise<void> {
  installSignalCleanup();
  const started = Date.now();
  say('rollgate local walkthrough: the release ledger on DynamoDB Local');
  const dynamo = await startDynamoDbLocal();
  try {
    say(`DynamoDB Local ready at ${dynamo.endpoint} (${Date.now() - started} ms)`);
    const client = localDynamoClient(dynamo.endpoint);
    await createLedgerTable(client, 'rollgate-ledger');
    const ledger = new Ledger({ client: ledgerDocumentClient(client), tableName: 'rollgate-ledger' });
    await ledger.setStable({ ...SERVICE, version: 'v1', fleet: BLUE });
    say('onboarded checkout/prod with v1 stable');

    await goodRelease(ledger);
    await badRelease(ledger);

    heading('release history of checkout/prod, newest first');
    const { items } = await ledger.listReleases({ ...SERVICE });
    for (const release of items) {
      say(`   ${release.releaseId}  ${release.version.padEnd(4)} ${release.status.padEnd(12)} ${release.outcome ?? ''}: ${release.reason ?? ''}`);
    }
    for (const release of items.slice().reverse()) {
      heading(`audit log of ${release.version} (${release.releaseId})`);
      for (const event of await ledger.listEvents(release)) {
        say(`   ${event.at}  ${event.type.padEnd(17)} ${event.actor ?? ''}  ${event.message ?? ''}`);
      }
    }
    const stable = await ledger.getStable(SERVICE);
    say(`\nstable: ${stable?.version ?? 'none'} on ${stable?.fleet.id ?? '-'}; lock: ${(await ledger.getLock(SERVICE))?.releaseId ?? 'free'}`);
    say(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await dynamo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
});
