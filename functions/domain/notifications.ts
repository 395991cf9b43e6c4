/**
 * Release notifications: which changes of the ledger tell the outside world
 * something (started, promoted, rolled back, failed, aborted, succeeded), and
 * what each one says. Pure: the notifier reads the ledger table's stream and
 * hands each change here, so no step has to remember to notify and nothing is
 * added to the rollback's fast path; a change the notifier could not deliver
 * is retried by the stream (a transactional outbox for free).
 *
 * Promoted is the stable record naming the release, not its FINALIZING status:
 * Finalize sets FINALIZING before it moves any traffic, and only writes the
 * stable record after 100 % of traffic is verified on the new fleet and that
 * fleet is the primary (functions/steps/finalize.ts). Succeeded comes later,
 * once the old fleet was retired after the termination wait.
 */
import type { ReleaseStatus } from './status.js';

/** The EventBridge `source` of every rollgate event. */
export const NOTIFICATION_SOURCE = 'rollgate';

/** The detail types, as EventBridge rules match them (`detail-type`). */
export const NOTIFICATION_TYPES = [
  'Release Started',
  'Release Promoted',
  'Release Rolled Back',
  'Release Failed',
  'Release Aborted',
  'Release Succeeded',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** Bumped on any change to the detail that is not a new optional field. */
export const NOTIFICATION_SCHEMA_VERSION = 1;

/** The `detail` of a rollgate event. Absent facts are `null`, so a rule can match on them. */
export interface NotificationDetail {
  readonly schemaVersion: typeof NOTIFICATION_SCHEMA_VERSION;
  /** `<releaseId>:<type>`: the same for every delivery of one notification (the stream and EventBridge are at-least-once), so consumers dedupe on it. */
  readonly eventId: string;
  readonly service: string;
  readonly environment: string;
  readonly releaseId: string;
  readonly version: string;
  readonly previousVersion: string | null;
  /** The release's status when this happened (FINALIZING for Promoted). */
  readonly status: ReleaseStatus;
  /** How it ended (e.g. `ALARM`, `ROLLED_BACK_ON_REQUEST`, `PROMOTED`); null while it runs. */
  readonly outcome: string | null;
  /** Why: the alarm, the rejection, the failure; null when there is nothing to say. */
  readonly reason: string | null;
  /** The state machine execution; null on Promoted (the stable record does not carry it). */
  readonly executionArn: string | null;
  /** When the ledger recorded it (ISO 8601). */
  readonly time: string;
}

export interface Notification {
  readonly type: NotificationType;
  readonly detail: NotificationDetail;
}

/** The facts of a release record the mapping reads (a subset of the ledger's Release). */
export interface ReleaseImage {
  readonly releaseId: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly previousVersion?: string | undefined;
  readonly status: ReleaseStatus;
  readonly statusReason?: string | undefined;
  readonly outcome?: string | undefined;
  readonly reason?: string | undefined;
  readonly executionArn?: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string | undefined;
}

/** The facts of a stable record the mapping reads (a subset of the ledger's Stable). */
export interface StableImage {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  /** The release that made this version stable; absent when set at onboarding. */
  readonly releaseId?: string | undefined;
  readonly updatedAt: string;
  /** What was stable before; set by a promotion, absent when a rollback put the previous version back. */
  readonly previous?: { readonly version: string; readonly releaseId?: string | undefined } | undefined;
}

/** One change of a ledger item the mapping cares about; any other item is not a change here. */
export type LedgerChange =
  | { readonly item: 'release'; readonly before: ReleaseImage | undefined; readonly after: ReleaseImage | undefined }
  | { readonly item: 'stable'; readonly before: StableImage | undefined; readonly after: StableImage | undefined };

/** The terminal statuses and what reaching each one is called. */
const ON_STATUS: Partial<Readonly<Record<ReleaseStatus, NotificationType>>> = {
  ROLLED_BACK: 'Release Rolled Back',
  ROLLBACK_FAILED: 'Release Failed',
  FAILED: 'Release Failed',
  ABORTED: 'Release Aborted',
  SUCCEEDED: 'Release Succeeded',
};

/** A slug of the type for the event id: `Release Rolled Back` → `release-rolled-back`. */
function slugOf(type: NotificationType): string {
  return type.toLowerCase().replaceAll(' ', '-');
}

/** The deterministic id of a release's notification of `type`. */
export function notificationEventId(releaseId: string, type: NotificationType): string {
  return `${releaseId}:${slugOf(type)}`;
}

function fromRelease(type: NotificationType, release: ReleaseImage, time: string): Notification {
  return {
    type,
    detail: {
      schemaVersion: NOTIFICATION_SCHEMA_VERSION,
      eventId: notificationEventId(release.releaseId, type),
      service: release.service,
      environment: release.environment,
      releaseId: release.releaseId,
      version: release.version,
      previousVersion: release.previousVersion ?? null,
      status: release.status,
      outcome: release.outcome ?? null,
      reason: release.reason ?? release.statusReason ?? null,
      executionArn: release.executionArn ?? null,
      time,
    },
  };
}

/**
 * The notifications one ledger change means: none for most (a step's progress,
 * a retried write, an event item), one for a release inserted, a release
 * reaching a terminal status, or a stable record newly naming a release.
 */
export function notificationsFor(change: LedgerChange): Notification[] {
  if (change.item === 'release') {
    const { before, after } = change;
    if (after === undefined) return [];
    if (before === undefined) return [fromRelease('Release Started', after, after.createdAt)];
    if (before.status === after.status) return [];
    const type = ON_STATUS[after.status];
    return type === undefined ? [] : [fromRelease(type, after, after.finishedAt ?? after.updatedAt)];
  }
  const { before, after } = change;
  // Onboarding names no release; a retried write names the same one; a rollback that puts the previous version back writes no `previous`.
  if (after?.releaseId === undefined || after.releaseId === before?.releaseId || after.previous === undefined) return [];
  const type = 'Release Promoted';
  return [
    {
      type,
      detail: {
        schemaVersion: NOTIFICATION_SCHEMA_VERSION,
        eventId: notificationEventId(after.releaseId, type),
        service: after.service,
        environment: after.environment,
        releaseId: after.releaseId,
        version: after.version,
        previousVersion: after.previous.version,
        // The stable record is only ever set by Finalize, in FINALIZING.
        status: 'FINALIZING',
        outcome: null,
        reason: null,
        executionArn: null,
        time: after.updatedAt,
      },
    },
  ];
}

/** A short line for people: `checkout v2 promoted in prod (was v1)`, the reason on rollbacks and failures. */
export function notificationSummary(notification: Notification): string {
  const { detail } = notification;
  const what = `${detail.service} ${detail.version}`;
  const was = detail.previousVersion === null ? '' : ` (was ${detail.previousVersion})`;
  const because = detail.reason === null ? '' : `: ${detail.reason}`;
  switch (notification.type) {
    case 'Release Started':
      return `${what} release started in ${detail.environment}${was}`;
    case 'Release Promoted':
      return `${what} promoted in ${detail.environment}${was}`;
    case 'Release Succeeded':
      return `${what} release succeeded in ${detail.environment}${was}`;
    case 'Release Rolled Back':
      return `${what} rolled back in ${detail.environment}${was}${because}`;
    case 'Release Failed':
      return `${what} release failed in ${detail.environment}${was}${because}`;
    case 'Release Aborted':
      return `${what} release aborted in ${detail.environment}${was}${because}`;
  }
}
