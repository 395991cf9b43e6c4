/**
 * The release the notification tests follow (checkout/prod, v1 -> v2), as a
 * ledger record, as a DynamoDB stream record, and the detail its alarm
 * rollback publishes.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { NotificationDetail } from '../../functions/domain/notifications.js';
import type { Release } from '../../functions/domain/release.js';

export const RELEASE_ID = '01M8VJ5WDQETQ912ZCSFC5766N';
export const PK = 'SVC#checkout#prod';
export const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:release:x';

/** The release record in `status`. */
export function release(status: Release['status'], extra: Partial<Release> = {}): Release {
  return {
    releaseId: RELEASE_ID,
    service: 'checkout',
    environment: 'prod',
    version: 'v2',
    previousVersion: 'v1',
    trigger: { source: 'cli' },
    status,
    executionArn: EXECUTION,
    createdAt: '2026-12-02T10:00:00.000Z',
    updatedAt: '2026-12-02T10:05:00.000Z',
    ...extra,
  };
}

/** A stream record (new and old images) of the item `sk` of the service's partition, `sequence` its order. */
export function streamRecord(sequence: number, sk: string, before: object | undefined, after: object | undefined): DynamoDBRecord {
  const image = (item: object | undefined) => (item === undefined ? undefined : (marshall({ pk: PK, sk, ...item }, { removeUndefinedValues: true }) as NonNullable<DynamoDBRecord['dynamodb']>['NewImage']));
  return {
    eventID: `e${String(sequence)}`,
    eventName: before === undefined ? 'INSERT' : after === undefined ? 'REMOVE' : 'MODIFY',
    eventSource: 'aws:dynamodb',
    dynamodb: { Keys: { pk: { S: PK }, sk: { S: sk } }, OldImage: image(before), NewImage: image(after), SequenceNumber: String(sequence).padStart(21, '0'), StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}

/** The detail of the release's rollback by its alarm, at 10:06. */
export function rolledBackDetail(fields: Partial<NotificationDetail> = {}): NotificationDetail {
  return {
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
    executionArn: EXECUTION,
    time: '2026-12-02T10:06:00.000Z',
    ...fields,
  };
}
