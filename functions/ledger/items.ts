/**
 * Where each record lives in the ledger's one table: every key the stores
 * write, and the two items of an audit event (which releases, stable
 * versions and approvals append in their own transactions).
 *
 *   release   pk=SVC#<service>#<env>  sk=REL#<releaseId>     gsi1pk=RELEASE gsi1sk=<releaseId>
 *   lock      pk=SVC#<service>#<env>  sk=LOCK
 *   stable    pk=SVC#<service>#<env>  sk=STABLE
 *   event     pk=REL#<releaseId>      sk=EVT#<at>#<eventId>
 *   event id  pk=REL#<releaseId>      sk=EID#<eventId>         (dedup marker)
 *   approval  pk=APR#<approvalId>     sk=APPROVAL             ttl=<epoch s>
 *   open msg  pk=APPROVALS#OPEN       sk=<expiresAt>#<approvalId> ttl=<epoch s>  (Slack message still has buttons)
 *
 * Release ids are ULIDs, so sorting by sort key is sorting by start time.
 * All releases share one partition of the recent-releases index: releases are
 * started at human rates (far below the 1,000 writes/s a partition takes), and
 * one partition gives a single newest-first order across services.
 */
import type { Approval } from '../domain/approval.js';
import type { ReleaseRef } from '../domain/release.js';
import type { ReleaseEvent } from '../domain/release-event.js';
import { LEDGER_TABLE } from './table.js';
import type { ItemKey, TransactItem } from './table-layer.js';

export const PK = LEDGER_TABLE.partitionKey.name;
export const SK = LEDGER_TABLE.sortKey.name;
export const GSI_PK = LEDGER_TABLE.recentReleasesIndex.partitionKey.name;
export const GSI_SK = LEDGER_TABLE.recentReleasesIndex.sortKey.name;
const TTL = LEDGER_TABLE.timeToLiveAttribute;

/** The recent-releases index's one partition. */
export const RECENT_RELEASES_PARTITION = 'RELEASE';
/** Approval items stay this long after expiry (for the record), then TTL removes them. */
const APPROVAL_RETENTION_SECONDS = 30 * 24 * 3600;
/** One partition lists the approvals whose Slack message still has buttons: approvals happen at human rates. */
export const OPEN_APPROVAL_MESSAGES_PK = 'APPROVALS#OPEN';

/** The partition of everything about one service+environment: its releases, lock and stable version. */
export const servicePartition = (service: string, environment: string): string => `SVC#${service}#${environment}`;
/** The sort key prefix of a service+environment's releases. */
export const RELEASE_SK_PREFIX = 'REL#';
/** The partition of one release's audit log. */
export const eventsPartition = (releaseId: string): string => `REL#${releaseId}`;
/** The sort key prefix of a release's events (oldest first). */
export const EVENT_SK_PREFIX = 'EVT#';

export const releaseKey = (ref: ReleaseRef): ItemKey => ({
  [PK]: servicePartition(ref.service, ref.environment),
  [SK]: `${RELEASE_SK_PREFIX}${ref.releaseId}`,
});
export const lockKey = (ref: { service: string; environment: string }): ItemKey => ({ [PK]: servicePartition(ref.service, ref.environment), [SK]: 'LOCK' });
export const stableKey = (ref: { service: string; environment: string }): ItemKey => ({ [PK]: servicePartition(ref.service, ref.environment), [SK]: 'STABLE' });
export const approvalKey = (approvalId: string): ItemKey => ({ [PK]: `APR#${approvalId}`, [SK]: 'APPROVAL' });
export const eventIdKey = (releaseId: string, eventId: string): ItemKey => ({ [PK]: eventsPartition(releaseId), [SK]: `EID#${eventId}` });
export const eventKey = (releaseId: string, at: string, eventId: string): ItemKey => ({
  [PK]: eventsPartition(releaseId),
  [SK]: `${EVENT_SK_PREFIX}${at}#${eventId}`,
});
export const openApprovalMessageKey = (approval: Pick<Approval, 'approvalId' | 'expiresAt'>): ItemKey => ({
  [PK]: OPEN_APPROVAL_MESSAGES_PK,
  [SK]: `${approval.expiresAt}#${approval.approvalId}`,
});

/** The TTL attribute of an item that should go once the approval it belongs to is long over. */
export function approvalTtl(expiresAt: string | number): Record<string, number> {
  const ms = typeof expiresAt === 'number' ? expiresAt : Date.parse(expiresAt);
  return { [TTL]: Math.ceil(ms / 1000) + APPROVAL_RETENTION_SECONDS };
}

/** The two items of one audit event: the dedup marker (conditional, so the same id is stored once) and the event. */
export function eventItems(event: ReleaseEvent): TransactItem[] {
  return [
    {
      Put: {
        Item: { ...eventIdKey(event.releaseId, event.eventId), at: event.at },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      },
    },
    { Put: { Item: { ...eventKey(event.releaseId, event.at, event.eventId), ...event } } },
  ];
}

/** An approval's entry on the sweeper's list of approvals whose Slack message still has buttons. */
export function openApprovalMessageItem(approval: Pick<Approval, 'approvalId' | 'expiresAt'>): Record<string, unknown> {
  return {
    ...openApprovalMessageKey(approval),
    approvalId: approval.approvalId,
    expiresAt: approval.expiresAt,
    ...approvalTtl(approval.expiresAt),
  };
}
