/**
 * Release statuses and the closed set of legal transitions between them.
 * Pure: the ledger enforces these with condition expressions, the flow uses
 * them to decide what comes next.
 *
 *     PENDING ─► MIGRATING ─► DEPLOYING ─► VERIFYING ─► SHIFTING ⇄ AWAITING_APPROVAL
 *        │                        └──────────────────────►─┘ │            │
 *        │         (DEPLOYING or VERIFYING ─► AWAITING_APPROVAL when the plan opens with an approval)
 *        │                                                   ▼            ▼
 *        │                                              FINALIZING ─► SUCCEEDED
 *        ▼
 *     any active status ─► ROLLING_BACK ─► ROLLED_BACK | ROLLBACK_FAILED | FAILED | ABORTED
 *     PENDING ─► FAILED | ABORTED   (nothing was touched yet, so nothing to roll back)
 *
 * VERIFYING is the optional header-routed dark canary before any weighted
 * traffic. FAILED after ROLLING_BACK means the release failed before any
 * traffic moved; ABORTED means someone aborted it.
 */

export const ACTIVE_STATUSES = [
  'PENDING',
  'MIGRATING',
  'DEPLOYING',
  'VERIFYING',
  'SHIFTING',
  'AWAITING_APPROVAL',
  'FINALIZING',
  'ROLLING_BACK',
] as const;

export const TERMINAL_STATUSES = [
  'SUCCEEDED',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'FAILED',
  'ABORTED',
] as const;

export const RELEASE_STATUSES = [...ACTIVE_STATUSES, ...TERMINAL_STATUSES] as const;

export type ActiveStatus = (typeof ACTIVE_STATUSES)[number];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
export type ReleaseStatus = ActiveStatus | TerminalStatus;

const ROLLBACK_TARGETS = ['ROLLED_BACK', 'ROLLBACK_FAILED', 'FAILED', 'ABORTED'] as const;

/** Every legal `from -> to`; anything not listed is illegal. */
export const LEGAL_TRANSITIONS: Readonly<Record<ReleaseStatus, readonly ReleaseStatus[]>> = {
  PENDING: ['MIGRATING', 'DEPLOYING', 'ROLLING_BACK', 'FAILED', 'ABORTED'],
  MIGRATING: ['DEPLOYING', 'ROLLING_BACK'],
  // An approval may be the plan's first step: asked before any traffic moves (after the dark canary, if any).
  DEPLOYING: ['VERIFYING', 'SHIFTING', 'AWAITING_APPROVAL', 'ROLLING_BACK'],
  VERIFYING: ['SHIFTING', 'AWAITING_APPROVAL', 'ROLLING_BACK'],
  SHIFTING: ['AWAITING_APPROVAL', 'FINALIZING', 'ROLLING_BACK'],
  AWAITING_APPROVAL: ['SHIFTING', 'FINALIZING', 'ROLLING_BACK'],
  FINALIZING: ['SUCCEEDED', 'ROLLING_BACK'],
  ROLLING_BACK: ROLLBACK_TARGETS,
  SUCCEEDED: [],
  ROLLED_BACK: [],
  ROLLBACK_FAILED: [],
  FAILED: [],
  ABORTED: [],
};

export function isTerminalStatus(status: ReleaseStatus): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

/**
 * The statuses before promotion, in which the stable fleet is intact and an
 * alarm or an abort may still roll the release back. From FINALIZING on the
 * new version is (being) recorded stable: only the flow itself (a failed
 * Finalize) or the reconciler (a dead execution) may roll it back.
 */
export const BEFORE_PROMOTION: ReadonlySet<ReleaseStatus> = new Set<ReleaseStatus>(
  ACTIVE_STATUSES.filter((status) => status !== 'FINALIZING' && status !== 'ROLLING_BACK'),
);

export function isLegalTransition(from: ReleaseStatus, to: ReleaseStatus): boolean {
  return LEGAL_TRANSITIONS[from].includes(to);
}
