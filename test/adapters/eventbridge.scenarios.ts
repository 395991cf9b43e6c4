import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { expect } from 'vitest';
import { EventBridgeReleaseEvents } from '../../functions/adapters/aws/eventbridge.js';
import { notificationsFor, type Notification } from '../../functions/domain/notifications.js';
import { scenarios, type AwsMocks } from './harness.js';
import { awsError } from './fixtures.js';
import { RELEASE_ID, release, rolledBackDetail } from '../notifications/fixture.js';

/** The release's alarm rollback, as the ledger's stream yields it. */
function rolledBack(): Notification {
  const [notification] = notificationsFor({
    item: 'release',
    before: release('ROLLING_BACK'),
    after: release('ROLLED_BACK', { outcome: 'ALARM', reason: 'checkout-prod-5xx in ALARM', finishedAt: '2026-12-02T10:06:00.000Z' }),
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
    expect(JSON.parse(calls[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}')).toEqual(rolledBackDetail());
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
