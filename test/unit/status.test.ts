import { describe, expect, it } from 'vitest';
import {
  ACTIVE_STATUSES,
  RELEASE_STATUSES,
  TERMINAL_STATUSES,
  isLegalTransition,
  isTerminalStatus,
  type ReleaseStatus,
} from '../../functions/domain/status.js';

describe('legal status transitions', () => {
  it.each<[ReleaseStatus, ReleaseStatus, boolean]>([
    ['PENDING', 'MIGRATING', true],
    ['PENDING', 'DEPLOYING', true],
    ['PENDING', 'SHIFTING', false],
    ['PENDING', 'SUCCEEDED', false],
    ['MIGRATING', 'DEPLOYING', true],
    ['MIGRATING', 'SHIFTING', false],
    ['DEPLOYING', 'VERIFYING', true],
    ['DEPLOYING', 'SHIFTING', true],
    ['DEPLOYING', 'MIGRATING', false],
    ['VERIFYING', 'SHIFTING', true],
    ['VERIFYING', 'AWAITING_APPROVAL', true],
    ['DEPLOYING', 'AWAITING_APPROVAL', true],
    ['MIGRATING', 'AWAITING_APPROVAL', false],
    ['SHIFTING', 'AWAITING_APPROVAL', true],
    ['AWAITING_APPROVAL', 'SHIFTING', true],
    ['SHIFTING', 'FINALIZING', true],
    ['SHIFTING', 'SUCCEEDED', false],
    ['SHIFTING', 'DEPLOYING', false],
    ['FINALIZING', 'SUCCEEDED', true],
    ['FINALIZING', 'SHIFTING', false],
    ['ROLLING_BACK', 'ROLLED_BACK', true],
    ['ROLLING_BACK', 'ROLLBACK_FAILED', true],
    ['ROLLING_BACK', 'SUCCEEDED', false],
    ['ROLLING_BACK', 'SHIFTING', false],
    ['SUCCEEDED', 'ROLLING_BACK', false],
    ['ROLLED_BACK', 'PENDING', false],
  ])('%s -> %s is %s', (from, to, legal) => {
    expect(isLegalTransition(from, to)).toBe(legal);
  });

  it('lets every active status except ROLLING_BACK roll back', () => {
    for (const status of ACTIVE_STATUSES) {
      expect(isLegalTransition(status, 'ROLLING_BACK'), status).toBe(status !== 'ROLLING_BACK');
    }
  });

  it('has no way out of a terminal status', () => {
    for (const from of TERMINAL_STATUSES) {
      for (const to of RELEASE_STATUSES) expect(isLegalTransition(from, to), `${from} -> ${to}`).toBe(false);
    }
  });

  it('reaches SUCCEEDED only from FINALIZING', () => {
    expect(RELEASE_STATUSES.filter((from) => isLegalTransition(from, 'SUCCEEDED'))).toEqual(['FINALIZING']);
  });

  it('splits statuses into active and terminal', () => {
    expect(RELEASE_STATUSES.filter((s) => !isTerminalStatus(s))).toEqual([...ACTIVE_STATUSES]);
    expect(RELEASE_STATUSES.filter(isTerminalStatus)).toEqual([...TERMINAL_STATUSES]);
  });
});
