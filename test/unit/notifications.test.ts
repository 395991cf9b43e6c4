import { describe, expect, it } from 'vitest';
import {
  notificationsFor,
  notificationSummary,
  type LedgerChange,
  type NotificationType,
  type ReleaseImage,
  type StableImage,
} from '../../functions/domain/notifications.js';
import type { ReleaseStatus } from '../../functions/domain/status.js';
import { RELEASE_ID, rolledBackDetail } from '../notifications/fixture.js';

const EXECUTION_ARN = 'arn:aws:states:eu-west-1:000000000000:execution:release:x';

function release(status: ReleaseStatus, extra: Partial<ReleaseImage> = {}): ReleaseImage {
  return {
    releaseId: RELEASE_ID,
    service: 'checkout',
    environment: 'prod',
    version: 'v2',
    previousVersion: 'v1',
    status,
    executionArn: EXECUTION_ARN,
    createdAt: '2026-12-02T10:00:00.000Z',
    updatedAt: '2026-12-02T10:05:00.000Z',
    ...extra,
  };
}

const stableV1: StableImage = { service: 'checkout', environment: 'prod', version: 'v1', updatedAt: '2026-12-01T00:00:00.000Z' };
const stableV2: StableImage = {
  service: 'checkout',
  environment: 'prod',
  version: 'v2',
  releaseId: RELEASE_ID,
  updatedAt: '2026-12-02T10:04:00.000Z',
  previous: { version: 'v1' },
};

describe('which ledger changes are notifications', () => {
  it.each<[string, LedgerChange, NotificationType[]]>([
    ['a release inserted', { item: 'release', before: undefined, after: release('PENDING') }, ['Release Started']],
    ['a release removed', { item: 'release', before: release('SUCCEEDED'), after: undefined }, []],
    ['progress in the same status', { item: 'release', before: release('SHIFTING'), after: release('SHIFTING', { updatedAt: 'later' }) }, []],
    ['PENDING -> DEPLOYING', { item: 'release', before: release('PENDING'), after: release('DEPLOYING') }, []],
    ['SHIFTING -> FINALIZING (no traffic moved yet)', { item: 'release', before: release('SHIFTING'), after: release('FINALIZING') }, []],
    ['SHIFTING -> ROLLING_BACK', { item: 'release', before: release('SHIFTING'), after: release('ROLLING_BACK') }, []],
    ['ROLLING_BACK -> ROLLED_BACK', { item: 'release', before: release('ROLLING_BACK'), after: release('ROLLED_BACK') }, ['Release Rolled Back']],
    ['ROLLING_BACK -> ROLLBACK_FAILED', { item: 'release', before: release('ROLLING_BACK'), after: release('ROLLBACK_FAILED') }, ['Release Failed']],
    ['ROLLING_BACK -> FAILED', { item: 'release', before: release('ROLLING_BACK'), after: release('FAILED') }, ['Release Failed']],
    ['PENDING -> FAILED', { item: 'release', before: release('PENDING'), after: release('FAILED') }, ['Release Failed']],
    ['PENDING -> ABORTED', { item: 'release', before: release('PENDING'), after: release('ABORTED') }, ['Release Aborted']],
    ['FINALIZING -> SUCCEEDED', { item: 'release', before: release('FINALIZING'), after: release('SUCCEEDED') }, ['Release Succeeded']],
    ['the stable record naming the release', { item: 'stable', before: stableV1, after: stableV2 }, ['Release Promoted']],
    ['the first promotion of a fresh service', { item: 'stable', before: undefined, after: stableV2 }, ['Release Promoted']],
    ['the same release writing the stable record again', { item: 'stable', before: stableV2, after: { ...stableV2, updatedAt: 'later' } }, []],
    ['onboarding (no release)', { item: 'stable', before: undefined, after: stableV1 }, []],
    [
      'a rollback putting the previous version back',
      { item: 'stable', before: stableV2, after: { service: 'checkout', environment: 'prod', version: 'v1', releaseId: '01M8VJ5WDQETQ912ZCSFC57000', updatedAt: 'later' } },
      [],
    ],
    ['the stable record removed', { item: 'stable', before: stableV2, after: undefined }, []],
  ])('%s', (_name, change, types) => {
    expect(notificationsFor(change).map((n) => n.type)).toEqual(types);
  });
});

describe('notification detail', () => {
  it('a rollback carries the outcome, the reason, the execution and the finish time; the event id is the release and the type', () => {
    const [rolledBack] = notificationsFor({
      item: 'release',
      before: release('ROLLING_BACK'),
      after: release('ROLLED_BACK', { outcome: 'ALARM', reason: 'alarm checkout-prod-5xx in ALARM', finishedAt: '2026-12-02T10:06:00.000Z' }),
    });
    expect(rolledBack?.detail).toEqual(rolledBackDetail({ reason: 'alarm checkout-prod-5xx in ALARM', executionArn: EXECUTION_ARN }));
  });

  it('the status reason stands in for a reason not yet recorded; absent facts are null', () => {
    const [started] = notificationsFor({
      item: 'release',
      before: undefined,
      after: release('PENDING', { previousVersion: undefined, executionArn: undefined, statusReason: 'started by hand' }),
    });
    expect(started?.detail).toMatchObject({ previousVersion: null, executionArn: null, reason: 'started by hand', outcome: null, time: '2026-12-02T10:00:00.000Z' });
  });

  it('promoted names the version and the one it replaced, in FINALIZING, at the stable write', () => {
    const [promoted] = notificationsFor({ item: 'stable', before: stableV1, after: stableV2 });
    expect(promoted?.detail).toMatchObject({
      eventId: `${RELEASE_ID}:release-promoted`,
      version: 'v2',
      previousVersion: 'v1',
      status: 'FINALIZING',
      executionArn: null,
      time: '2026-12-02T10:04:00.000Z',
    });
  });

  it('every delivery of one notification has the same event id', () => {
    const change: LedgerChange = { item: 'release', before: release('FINALIZING'), after: release('SUCCEEDED') };
    expect(notificationsFor(change)[0]?.detail.eventId).toBe(notificationsFor(change)[0]?.detail.eventId);
    expect(notificationsFor(change)[0]?.detail.eventId).toBe(`${RELEASE_ID}:release-succeeded`);
  });
});

describe('summary line', () => {
  it.each<[LedgerChange, string]>([
    [{ item: 'stable', before: stableV1, after: stableV2 }, 'checkout v2 promoted in prod (was v1)'],
    [{ item: 'release', before: undefined, after: release('PENDING') }, 'checkout v2 release started in prod (was v1)'],
    [
      { item: 'release', before: release('ROLLING_BACK'), after: release('ROLLED_BACK', { reason: 'alarm checkout-prod-5xx in ALARM' }) },
      'checkout v2 rolled back in prod (was v1): alarm checkout-prod-5xx in ALARM',
    ],
    [{ item: 'release', before: release('ROLLING_BACK'), after: release('FAILED', { reason: 'migration exited 1', previousVersion: undefined }) }, 'checkout v2 release failed in prod: migration exited 1'],
  ])('summary %#', (change, line) => {
    const [notification] = notificationsFor(change);
    expect(notification && notificationSummary(notification)).toBe(line);
  });
});
