import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { EventBridgeReleaseEvents, putEventsEntries, type PutEvents, type PutEventsEntry, type PutEventsResult } from '../../functions/adapters/aws/eventbridge.js';
import type { SlackApi, SlackMessageInput } from '../../functions/adapters/slack/web-api.js';
import { BLOCK_KIT_LIMITS } from '../../functions/approval/message.js';
import type { RollgateConfig } from '../../functions/config.js';
import { notificationsFor, type Notification } from '../../functions/domain/notifications.js';
import { notificationChannel, notificationMessage, SlackReleaseEvents } from '../../functions/notifications/slack.js';
import { notify, notificationsOfRecord } from '../../functions/notifications/stream.js';
import type { Stable } from '../../functions/domain/stable.js';
import type { ReleaseEvents } from '../../functions/ports.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG, SAMPLE_SLACK } from '../../local/sample-config.js';
import { PK, RELEASE_ID, release, streamRecord } from './fixture.js';

const STABLE_V1: Stable = { service: 'checkout', environment: 'prod', version: 'v1', fleet: { kind: 'ecs-task-set', id: 'ts-1', targetGroup: 'tg-blue' }, updatedAt: '2026-12-01T00:00:00.000Z' };
const STABLE_V2: Stable = {
  ...STABLE_V1,
  version: 'v2',
  fleet: { kind: 'ecs-task-set', id: 'ts-2', targetGroup: 'tg-green' },
  releaseId: RELEASE_ID,
  updatedAt: '2026-12-02T10:04:00.000Z',
  previous: { version: 'v1', fleet: STABLE_V1.fleet },
};

let sequence = 0;
/** The next stream record of the item `sk`. */
const record = (sk: string, before: object | undefined, after: object | undefined): DynamoDBRecord => streamRecord(++sequence, sk, before, after);

const started = record(`REL#${RELEASE_ID}`, undefined, release('PENDING'));
const progress = record(`REL#${RELEASE_ID}`, release('PENDING'), release('DEPLOYING'));
const promoted = record('STABLE', STABLE_V1, STABLE_V2);
const succeeded = record(`REL#${RELEASE_ID}`, release('FINALIZING'), release('SUCCEEDED', { outcome: 'PROMOTED', reason: 'v2 promoted after 3 plan steps' }));
const eventItem = record('EVT#2026-12-02T10:00:00.000Z#x', undefined, { type: 'STARTED' });

class RecordingSink implements ReleaseEvents {
  public readonly published: Notification[] = [];
  public failNext = 0;
  public async publish(notifications: readonly Notification[]): Promise<void> {
    await Promise.resolve();
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('sink down');
    }
    this.published.push(...notifications);
  }
}

describe('stream records to notifications', () => {
  it('reads release and stable items from their images and ignores progress and other items', () => {
    expect([started, progress, promoted, succeeded, eventItem].flatMap(notificationsOfRecord).map((n) => n.type)).toEqual([
      'Release Started',
      'Release Promoted',
      'Release Succeeded',
    ]);
  });

  it('a malformed release image fails the record naming the item', () => {
    const broken = record(`REL#${RELEASE_ID}`, undefined, { releaseId: 'not-a-ulid' });
    expect(() => notificationsOfRecord(broken)).toThrow(expect.objectContaining({ name: 'CorruptRecordError', message: expect.stringContaining(`${PK} REL#${RELEASE_ID}`) as string }) as Error);
  });

  it('publishes every record to every sink in order and reports no failures', async () => {
    const events = new RecordingSink();
    const slack = new RecordingSink();
    const out = await notify({ sinks: [events, slack] }, { Records: [started, progress, promoted, succeeded, eventItem] });
    expect(out).toEqual({ batchItemFailures: [] });
    expect(events.published.map((n) => n.detail.eventId)).toEqual([`${RELEASE_ID}:release-started`, `${RELEASE_ID}:release-promoted`, `${RELEASE_ID}:release-succeeded`]);
    expect(slack.published).toEqual(events.published);
  });

  it('stops at the first record that could not be published and reports its sequence number, so the stream retries from it', async () => {
    const events = new RecordingSink();
    const slack = new RecordingSink();
    const errors: string[] = [];
    const first = await notify({ sinks: [events, slack] }, { Records: [started] });
    expect(first.batchItemFailures).toEqual([]);
    slack.failNext = 1;
    const event: DynamoDBStreamEvent = { Records: [promoted, succeeded] };
    const out = await notify({ sinks: [events, slack], onError: (e) => errors.push(e instanceof Error ? e.message : String(e)) }, event);
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: promoted.dynamodb?.SequenceNumber }] });
    expect(errors).toEqual(['sink down']);
    expect(slack.published.map((n) => n.type)).toEqual(['Release Started']);
    // The retry delivers it again: EventBridge sees the same event id twice (consumers dedupe), Slack once.
    const retried = await notify({ sinks: [events, slack] }, event);
    expect(retried.batchItemFailures).toEqual([]);
    expect(events.published.map((n) => n.type)).toEqual(['Release Started', 'Release Promoted', 'Release Promoted', 'Release Succeeded']);
    expect(slack.published.map((n) => n.type)).toEqual(['Release Started', 'Release Promoted', 'Release Succeeded']);
  });
});

const [PROMOTED] = notificationsFor({ item: 'stable', before: STABLE_V1, after: STABLE_V2 });
const [ROLLED_BACK] = notificationsFor({
  item: 'release',
  before: release('ROLLING_BACK'),
  after: release('ROLLED_BACK', { outcome: 'ALARM', reason: 'alarm checkout-prod-5xx in ALARM', finishedAt: '2026-12-02T10:06:00.000Z' }),
});
if (PROMOTED === undefined || ROLLED_BACK === undefined) throw new Error('fixture notifications missing');

function putEventsFake(results: PutEventsResult[]): { send: PutEvents; calls: PutEventsEntry[][] } {
  const calls: PutEventsEntry[][] = [];
  return {
    calls,
    send: async (input) => {
      await Promise.resolve();
      calls.push(input.Entries);
      return results.shift() ?? { FailedEntryCount: 0, Entries: input.Entries.map((_, i) => ({ EventId: `id-${String(i)}` })) };
    },
  };
}

describe('EventBridge release events', () => {
  it('sends one entry per notification: source rollgate, the type as detail type, the detail as JSON, the ledger time', async () => {
    const fake = putEventsFake([]);
    await new EventBridgeReleaseEvents(fake.send).publish([PROMOTED, ROLLED_BACK]);
    expect(fake.calls).toEqual([
      [
        { Source: 'rollgate', DetailType: 'Release Promoted', Detail: JSON.stringify(PROMOTED.detail), Time: new Date('2026-12-02T10:04:00.000Z') },
        { Source: 'rollgate', DetailType: 'Release Rolled Back', Detail: JSON.stringify(ROLLED_BACK.detail), Time: new Date('2026-12-02T10:06:00.000Z') },
      ],
    ]);
    expect(JSON.parse(fake.calls[0]?.[1]?.Detail ?? '{}')).toMatchObject({ schemaVersion: 1, eventId: `${RELEASE_ID}:release-rolled-back`, reason: 'alarm checkout-prod-5xx in ALARM' });
  });

  it('names the bus when one is configured', () => {
    expect(putEventsEntries([PROMOTED], 'releases')[0]?.EventBusName).toBe('releases');
    expect(putEventsEntries([PROMOTED], undefined)[0]).not.toHaveProperty('EventBusName');
  });

  it('sends the refused entries once more, and only those', async () => {
    const fake = putEventsFake([{ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }] }]);
    await new EventBridgeReleaseEvents(fake.send).publish([PROMOTED, ROLLED_BACK]);
    expect(fake.calls.map((c) => c.map((e) => e.DetailType))).toEqual([['Release Promoted', 'Release Rolled Back'], ['Release Rolled Back']]);
  });

  it('entries refused twice throw ReleaseEventsNotPublishedError naming them, so the stream record is retried', async () => {
    const refused = { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] };
    const fake = putEventsFake([refused, refused]);
    await expect(new EventBridgeReleaseEvents(fake.send).publish([ROLLED_BACK])).rejects.toMatchObject({
      name: 'ReleaseEventsNotPublishedError',
      eventIds: [`${RELEASE_ID}:release-rolled-back`],
      message: expect.stringContaining('InternalFailure: try again') as string,
    });
    expect(fake.calls).toHaveLength(2);
  });

  it('sends at most 10 entries a call', async () => {
    const fake = putEventsFake([]);
    await new EventBridgeReleaseEvents(fake.send).publish(Array.from({ length: 12 }, () => PROMOTED));
    expect(fake.calls.map((c) => c.length)).toEqual([10, 2]);
  });
});

class SlackStandIn implements Pick<SlackApi, 'postMessage'> {
  public readonly posts: SlackMessageInput[] = [];
  public async postMessage(input: SlackMessageInput): Promise<{ channel: string; ts: string }> {
    await Promise.resolve();
    this.posts.push(input);
    return { channel: input.channel, ts: String(this.posts.length) };
  }
}

function slackApi(standIn: SlackStandIn): SlackApi {
  const unused = (): never => {
    throw new Error('not used by notifications');
  };
  return { postMessage: (i) => standIn.postMessage(i), updateMessage: unused, postEphemeral: unused, userGroupMembers: unused, userInfo: unused };
}

describe('Slack release messages', () => {
  it("go to the service's approvals channel, else the app's channel, and nowhere without Slack", () => {
    expect(notificationChannel(SAMPLE_CONFIG, 'checkout', 'prod')).toBe(CHECKOUT_SERVICE.approvals.slackChannel);
    expect(notificationChannel(SAMPLE_CONFIG, 'gone', 'prod')).toBe(SAMPLE_SLACK.channel);
    const noSlack: RollgateConfig = { ...SAMPLE_CONFIG, slack: undefined };
    expect(notificationChannel(noSlack, 'checkout', 'prod')).toBeUndefined();
  });

  it('say what happened in one line, with the reason on a rollback', async () => {
    const standIn = new SlackStandIn();
    await new SlackReleaseEvents(slackApi(standIn), SAMPLE_CONFIG).publish([PROMOTED, ROLLED_BACK]);
    expect(standIn.posts.map((p) => [p.channel, p.text])).toEqual([
      [CHECKOUT_SERVICE.approvals.slackChannel, 'checkout v2 promoted in prod (was v1)'],
      [CHECKOUT_SERVICE.approvals.slackChannel, 'checkout v2 rolled back in prod (was v1): alarm checkout-prod-5xx in ALARM'],
    ]);
    expect(standIn.posts[1]?.blocks[1]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: `release ${RELEASE_ID} · status ROLLED_BACK · outcome ALARM` }] });
  });

  it('post nothing without Slack configured', async () => {
    const standIn = new SlackStandIn();
    await new SlackReleaseEvents(slackApi(standIn), { ...SAMPLE_CONFIG, slack: undefined }).publish([PROMOTED]);
    expect(standIn.posts).toEqual([]);
  });

  it('stay within Block Kit limits whatever the reason, escaped', () => {
    const long = notificationsFor({ item: 'release', before: release('ROLLING_BACK'), after: release('FAILED', { reason: '<&>'.repeat(2000) }) })[0];
    if (long === undefined) throw new Error('no notification');
    const message = notificationMessage(long);
    const section = message.blocks[0] as { text: { text: string } };
    expect(section.text.text.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.sectionText);
    expect(section.text.text).not.toContain('<');
    expect(message.text.length).toBeLessThanOrEqual(BLOCK_KIT_LIMITS.fallbackText);
  });
});
