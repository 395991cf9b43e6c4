/**
 * ReleaseEvents on EventBridge: every release notification is one event on
 * the bus (the account's default bus unless configured), `Source: rollgate`,
 * `DetailType` the notification's type, so teams route them with rules.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 *
 * PutEvents can succeed as a call and still refuse some entries
 * (`FailedEntryCount`, an `ErrorCode` on each refused entry, in order): those
 * are sent once more, then a {@link ReleaseEventsNotPublishedError} makes the
 * stream deliver the record again. A call that fails is a
 * CloudProviderUnavailableError (throttled, EventBridge down) or a
 * CloudProviderError (refused, e.g. AccessDenied), which the stream retries too.
 *
 * The adapter sends through {@link PutEvents}, the one call it makes, so it
 * carries no SDK client of its own: the handler passes
 * `(input) => client.send(new PutEventsCommand(input))`.
 */
import { NOTIFICATION_SOURCE, type Notification } from '../../domain/notifications.js';
import { ReleaseEventsNotPublishedError } from '../../errors.js';
import type { ReleaseEvents } from '../../ports.js';
import { callAws } from './errors.js';
import type { IamGrant, MethodActions, MethodsOf } from './iam.js';

/** PutEvents takes at most 10 entries per call. */
export const EVENTS_PER_CALL = 10;

/** One PutEvents entry, as the SDK's `PutEventsRequestEntry`. */
export interface PutEventsEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Time: Date;
  readonly EventBusName?: string;
}

/** The part of the SDK's `PutEventsResponse` the adapter reads. */
export interface PutEventsResult {
  readonly FailedEntryCount?: number | undefined;
  readonly Entries?: readonly { readonly EventId?: string | undefined; readonly ErrorCode?: string | undefined; readonly ErrorMessage?: string | undefined }[] | undefined;
}

/** The PutEvents call: an EventBridge client's `send(new PutEventsCommand(input))`. */
export type PutEvents = (input: { readonly Entries: PutEventsEntry[] }) => Promise<PutEventsResult>;

/** What {@link EVENTBRIDGE_IAM} is scoped to: the bus the events go to. */
export interface EventBridgeIamScope {
  /** The event bus name. @default `default` */
  readonly eventBusName: string;
}

/** The IAM permissions {@link EventBridgeReleaseEvents} uses: PutEvents on its bus only. */
export const EVENTBRIDGE_IAM: readonly IamGrant<EventBridgeIamScope>[] = [
  {
    actions: ['events:PutEvents'],
    resources: (s, env) => [`arn:${env.partition}:events:${env.region}:${env.account}:event-bus/${s.eventBusName}`],
    why: 'events:PutEvents is scoped by event bus: https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html',
  },
];

/** What each {@link EventBridgeReleaseEvents} method sends. */
export const EVENTBRIDGE_METHODS: MethodActions<MethodsOf<ReleaseEvents>> = {
  publish: ['events:PutEvents'],
};

/** The PutEvents entries of `notifications`, on `eventBusName` (the default bus when undefined). */
export function putEventsEntries(notifications: readonly Notification[], eventBusName: string | undefined): PutEventsEntry[] {
  return notifications.map((n) => ({
    Source: NOTIFICATION_SOURCE,
    DetailType: n.type,
    Detail: JSON.stringify(n.detail),
    Time: new Date(n.detail.time),
    ...(eventBusName === undefined ? {} : { EventBusName: eventBusName }),
  }));
}

/** Publishes release notifications as EventBridge events. */
export class EventBridgeReleaseEvents implements ReleaseEvents {
  public constructor(
    private readonly putEvents: PutEvents,
    /** @default the account's default bus */
    private readonly eventBusName?: string,
  ) {}

  /** @throws ReleaseEventsNotPublishedError when entries are refused twice */
  public async publish(notifications: readonly Notification[]): Promise<void> {
    for (let start = 0; start < notifications.length; start += EVENTS_PER_CALL) {
      const chunk = notifications.slice(start, start + EVENTS_PER_CALL);
      const refused = await this.send(chunk);
      if (refused.length === 0) continue;
      const again = await this.send(refused.map((r) => r.notification));
      if (again.length > 0) {
        throw new ReleaseEventsNotPublishedError(
          again.map((r) => r.notification.detail.eventId),
          again.map((r) => r.failure),
        );
      }
    }
  }

  /** Sends `chunk`; returns the entries EventBridge refused, with why. */
  private async send(chunk: readonly Notification[]): Promise<{ notification: Notification; failure: string }[]> {
    const out = await callAws('EventBridge', 'PutEvents', () => this.putEvents({ Entries: putEventsEntries(chunk, this.eventBusName) }));
    if ((out.FailedEntryCount ?? 0) === 0) return [];
    // Entries come back in request order; a refused one has an ErrorCode instead of an EventId.
    return chunk.flatMap((notification, i) => {
      const entry = out.Entries?.[i];
      if (entry?.ErrorCode === undefined && entry !== undefined) return [];
      return [{ notification, failure: `${entry?.ErrorCode ?? 'Unknown'}: ${entry?.ErrorMessage ?? 'no entry in the response'}` }];
    });
  }
}
