/**
 * Release notifications from real releases on the local engine: the ledger's
 * stream on DynamoDB Local, read by the local notifier, through the same
 * functions/notifications/stream.ts and EventBridge adapter the Notifier
 * function runs, to the in-memory bus and the local Slack stub.
 */
import { CreateTableCommand, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { Release } from '../../functions/domain/release.js';
import { ledgerCreateTableInput } from '../../functions/ledger/table.js';
import { localDynamoClient } from '../../local/ledger-table.js';
import { startLocalSlackApprovals, type LocalSlackApprovals } from '../../local/approval-server.js';
import type { LocalReleaseEvent } from '../../local/notifications.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { CHECKOUT_SERVICE } from '../../local/sample-config.js';
import { CHECKOUT, newRuntime, onlyRelease, releaseInput, until } from './flow-fixture.js';

const ONE_STEP = { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }] };
const TWO_STEPS = { steps: [{ type: 'traffic', weight: 20, bakeSeconds: 60 }, { type: 'traffic', weight: 100, bakeSeconds: 60 }] };

const runtimes: LocalRuntime[] = [];
const slacks: LocalSlackApprovals[] = [];
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) await runtime.close();
  for (const slack of slacks.splice(0)) await slack.close();
});

async function notifyingRuntime(options: Parameters<typeof newRuntime>[0] = {}): Promise<LocalRuntime> {
  const runtime = await newRuntime({ notifications: true, ...options });
  runtimes.push(runtime);
  return runtime;
}

function eventsOf(runtime: LocalRuntime): LocalReleaseEvent[] {
  if (runtime.releaseEvents === undefined) throw new Error('the runtime was created without notifications');
  return runtime.releaseEvents.events;
}

/** The events once the last one is of type `last` and every ledger change since was read: later duplicates would be in it too. */
async function eventsUntil(runtime: LocalRuntime, last: LocalReleaseEvent['detailType']): Promise<LocalReleaseEvent[]> {
  await until(() => (eventsOf(runtime).some((e) => e.detailType === last) ? true : undefined), 30_000);
  await runtime.notificationsSettled();
  return eventsOf(runtime);
}

/** The fields every notification of `release` carries. */
function releaseFields(release: Release) {
  return { schemaVersion: 1, service: 'checkout', environment: 'prod', releaseId: release.releaseId, version: release.version, previousVersion: 'v1' };
}

describe('release notifications on the local runtime', () => {
  it('a successful release yields Started, Promoted and Succeeded once each, with the ledger facts, on the bus and in the service channel', async () => {
    const slack = await startLocalSlackApprovals();
    slacks.push(slack);
    const runtime = await notifyingRuntime({ slack: slack.slack, overrides: { taskTimeoutOverrides: { Bake: 20 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: ONE_STEP }));
    expect((await execution.result).status).toBe('SUCCEEDED');
    const events = await eventsUntil(runtime, 'Release Succeeded');
    const release = await onlyRelease(runtime);

    expect(events.map((e) => e.detailType)).toEqual(['Release Started', 'Release Promoted', 'Release Succeeded']);
    expect(events.every((e) => e.source === 'rollgate')).toBe(true);
    expect(new Set(events.map((e) => e.detail.eventId)).size).toBe(3);
    const [started, promoted, succeeded] = events;
    expect(started?.detail).toEqual({
      ...releaseFields(release),
      eventId: `${release.releaseId}:release-started`,
      status: 'PENDING',
      outcome: null,
      reason: null,
      executionArn: execution.executionArn,
      time: release.createdAt,
    });
    const stable = await runtime.ledger.getStable(CHECKOUT);
    expect(promoted?.detail).toEqual({
      ...releaseFields(release),
      eventId: `${release.releaseId}:release-promoted`,
      status: 'FINALIZING',
      outcome: null,
      reason: null,
      executionArn: null,
      time: stable?.updatedAt,
    });
    expect(succeeded?.detail).toMatchObject({
      ...releaseFields(release),
      eventId: `${release.releaseId}:release-succeeded`,
      status: 'SUCCEEDED',
      outcome: release.outcome,
      executionArn: execution.executionArn,
      time: release.finishedAt ?? release.updatedAt,
    });
    expect(succeeded?.time).toEqual(new Date(succeeded?.detail.time ?? ''));

    // Slack: one message per event, in checkout's channel, in order.
    const posted = await until(() => (slack.stub.messages.length >= 3 ? slack.stub.messages : undefined));
    expect(posted.map((m) => m.channel)).toEqual([CHECKOUT_SERVICE.approvals.slackChannel, CHECKOUT_SERVICE.approvals.slackChannel, CHECKOUT_SERVICE.approvals.slackChannel]);
    expect(posted.map((m) => m.text)).toEqual(['checkout v2 release started in prod (was v1)', 'checkout v2 promoted in prod (was v1)', 'checkout v2 release succeeded in prod (was v1)']);
    expect(runtime.notificationErrors).toEqual([]);
  });

  it('an alarm-triggered rollback yields Started then Rolled Back, with the alarm as the reason', async () => {
    const runtime = await notifyingRuntime({
      alarmAt: [{ alarmName: 'checkout-prod-p99-latency', version: 'v3', canaryPercent: 10, afterMs: 10 }],
      overrides: { taskTimeoutOverrides: { Bake: 60_000 } },
    });
    const execution = runtime.startRelease(releaseInput('v3'));
    expect(await execution.result).toMatchObject({ status: 'FAILED', error: 'RolledBack' });
    const events = await eventsUntil(runtime, 'Release Rolled Back');
    const release = await onlyRelease(runtime);

    expect(release).toMatchObject({ status: 'ROLLED_BACK', outcome: 'ALARM' });
    expect(events.map((e) => e.detailType)).toEqual(['Release Started', 'Release Rolled Back']);
    expect(events.map((e) => e.detail.eventId)).toEqual([`${release.releaseId}:release-started`, `${release.releaseId}:release-rolled-back`]);
    expect(events[1]?.detail).toEqual({
      ...releaseFields(release),
      version: 'v3',
      eventId: `${release.releaseId}:release-rolled-back`,
      status: 'ROLLED_BACK',
      outcome: 'ALARM',
      reason: release.reason ?? null,
      executionArn: execution.executionArn,
      time: release.finishedAt ?? release.updatedAt,
    });
    expect(events[1]?.detail.reason).toContain('checkout-prod-p99-latency');
    expect(runtime.notificationErrors).toEqual([]);
  });

  it('an abort yields Started then Aborted, naming who aborted and why', async () => {
    const runtime = await notifyingRuntime({ overrides: { taskTimeoutOverrides: { Bake: 60_000 } } });
    const execution = runtime.startRelease(releaseInput('v2', { plan: TWO_STEPS }));
    const baking = await until(async () => {
      const r = (await runtime.ledger.listReleases(CHECKOUT)).items[0];
      return r?.waiting?.kind === 'BAKE' ? r : undefined;
    });
    await runtime.abort(baking, 'dana', 'wrong build');
    expect(await execution.result).toMatchObject({ status: 'FAILED', error: 'ReleaseAborted' });
    const events = await eventsUntil(runtime, 'Release Aborted');

    expect(events.map((e) => e.detailType)).toEqual(['Release Started', 'Release Aborted']);
    expect(events[1]?.detail).toMatchObject({
      releaseId: baking.releaseId,
      eventId: `${baking.releaseId}:release-aborted`,
      status: 'ABORTED',
      outcome: 'ABORTED',
      reason: 'aborted by dana: wrong build',
      executionArn: execution.executionArn,
    });
    expect(runtime.notificationErrors).toEqual([]);
  });

  it('Slack down: the stream retries the record, EventBridge gets the same event id again, Slack posts it once it answers', async () => {
    const slack = await startLocalSlackApprovals();
    slacks.push(slack);
    slack.stub.failNext('chat.postMessage', 'service_unavailable');
    const runtime = await notifyingRuntime({ slack: slack.slack, overrides: { taskTimeoutOverrides: { Bake: 20 } } });
    expect((await runtime.startRelease(releaseInput('v2', { plan: ONE_STEP })).result).status).toBe('SUCCEEDED');
    const events = await eventsUntil(runtime, 'Release Succeeded');
    const release = await onlyRelease(runtime);

    // The first record (Started) failed on Slack after EventBridge took it, and was read again.
    expect(events.map((e) => e.detailType)).toEqual(['Release Started', 'Release Started', 'Release Promoted', 'Release Succeeded']);
    expect(events[0]?.detail).toEqual(events[1]?.detail);
    expect(new Set(events.map((e) => e.detail.eventId))).toEqual(
      new Set([`${release.releaseId}:release-started`, `${release.releaseId}:release-promoted`, `${release.releaseId}:release-succeeded`]),
    );
    const posted = await until(() => (slack.stub.messages.length >= 3 ? slack.stub.messages : undefined));
    expect(posted.map((m) => m.text)).toEqual(['checkout v2 release started in prod (was v1)', 'checkout v2 promoted in prod (was v1)', 'checkout v2 release succeeded in prod (was v1)']);
    expect(runtime.notificationErrors).toEqual([expect.objectContaining({ name: 'SlackApiError', message: expect.stringContaining('service_unavailable') as string })]);
  });

  it('a ledger kept from before the stream gets one, and a later run notifies only the changes made since it started', async () => {
    const client = localDynamoClient(inject('dynamodbEndpoint'));
    const tableName = `rollgate-kept-ledger-${Math.random().toString(36).slice(2, 10)}`;
    const { StreamSpecification, ...withoutStream } = ledgerCreateTableInput(tableName);
    expect(StreamSpecification).toBeDefined();
    await client.send(new CreateTableCommand(withoutStream));
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 2 }, { TableName: tableName });

    const first = await notifyingRuntime({ tableName, overrides: { taskTimeoutOverrides: { Bake: 20 } } });
    expect((await first.startRelease(releaseInput('v2', { plan: ONE_STEP })).result).status).toBe('SUCCEEDED');
    expect((await eventsUntil(first, 'Release Succeeded')).map((e) => [e.detailType, e.detail.version])).toEqual([
      ['Release Started', 'v2'],
      ['Release Promoted', 'v2'],
      ['Release Succeeded', 'v2'],
    ]);
    await first.close();

    const second = await notifyingRuntime({ tableName, overrides: { taskTimeoutOverrides: { Bake: 20 } } });
    expect((await second.startRelease(releaseInput('v3', { plan: ONE_STEP })).result).status).toBe('SUCCEEDED');
    expect((await eventsUntil(second, 'Release Succeeded')).map((e) => [e.detailType, e.detail.version, e.detail.previousVersion])).toEqual([
      ['Release Started', 'v3', 'v2'],
      ['Release Promoted', 'v3', 'v2'],
      ['Release Succeeded', 'v3', 'v2'],
    ]);
    expect([...first.notificationErrors, ...second.notificationErrors]).toEqual([]);
  });
});
