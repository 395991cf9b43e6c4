import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { expect } from 'vitest';
import { EventBridgeReleaseEvents } from '../../functions/adapters/aws/eventbridge.js';
import { notificationsFor, type Notification } from '../../functions/domain/notifications.js';
import { scenarios, type AwsMocks } from './harness.js';
import { awsError } from './fixtures.js';

const RELEASE_ID = '01M8VJ5WDQETQ912ZCSFC5766N';

function rolledBack(): Notification {
  const base = {
    releaseId: RELEASE_ID,
    service: 'checkout',
    environment: 'prod',
    version: 'v2',
    previousVersion: 'v1',
    createdAt: '2026-12-02T10:00:00.000Z',
    updatedAt: '2026-12-02T10:05:00.000Z',
  };
  const [notification] = notificationsFor({
    item: 'release',
    before: { ...base, status: 'ROLLING_BACK' },
    after: { ...base, status: 'ROLLED_BACK', outcome: 'ALARM', reason: 'checkout-prod-5xx in ALARM', executionArn: 'arn:aws:states:us-east-1:111122223333:execution:release:x', finishedAt: '2026-12-02T10:06:00.000Z' },
  });
  if (notification === undefined) throw new Error('no fixture notification');
  return notification;
}

/** The adapter as functions/handlers/notify.ts builds it: over the client's send of a PutEventsCommand. */
const releaseEvents = (aws: AwsMocks, eventBusName?: string) =>
  new EventBridgeReleaseEvents((input) => aws.clients.eventbridge.send(new PutEventsCommand(input)), eventBusName);

export const eventBridgeScenarios = scenarios('EventBridgeReleaseEvents', {
  'publish puts one event per notification: source rollgate, the type as detail type, the detail as JSON, on the default bus': async (aws) => {
    aws.eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const notification = rolledBack();
    await releaseEvents(aws).publish([notification]);
    const calls = aws.eventbridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input).toEqual({
      Entries: [{ Source: 'rollgate', DetailType: 'Release Rolled Back', Detail: JSON.stringify(notification.detail), Time: new Date('2026-12-02T10:06:00.000Z') }],
    });
    expect(JSON.parse(calls[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}')).toEqual({
      schemaVersion: 1,
      eventId: `${RELEASE_ID}:release-rolled-back`,
      service: 'checkout',
      environment: 'prod',
      releaseId: RELEASE_ID,
      version: 'v2',
      previousVersion: 'v1',
      status: 'ROLLED_BACK',
      outcome: 'ALARM',
      reason: 'checkout-prod-5xx in ALARM',
      executionArn: 'arn:aws:states:us-east-1:111122223333:execution:release:x',
      time: '2026-12-02T10:06:00.000Z',
    });
  },

  'publish on a named bus names it on every entry': async (aws) => {
    aws.eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await releaseEvents(aws, 'releases').publish([rolledBack()]);
    expect(aws.eventbridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe('releases');
  },

  'publish refused by the service fails with CloudProviderError; throttled, with CloudProviderUnavailableError, so the stream retries': async (aws) => {
    aws.eventbridge.on(PutEventsCommand).rejectsOnce(awsError('AccessDeniedException')).rejectsOnce(awsError('ThrottlingException'));
    await expect(releaseEvents(aws).publish([rolledBack()])).rejects.toMatchObject({ name: 'CloudProviderError', operation: 'PutEvents', code: 'AccessDeniedException' });
    await expect(releaseEvents(aws).publish([rolledBack()])).rejects.toMatchObject({ name: 'CloudProviderUnavailableError', code: 'ThrottlingException' });
  },

  'publish whose entry is refused twice fails with ReleaseEventsNotPublishedError naming the event id': async (aws) => {
    aws.eventbridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });
    await expect(releaseEvents(aws).publish([rolledBack()])).rejects.toMatchObject({ name: 'ReleaseEventsNotPublishedError', eventIds: [`${RELEASE_ID}:release-rolled-back`] });
    expect(aws.eventbridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  },
});
