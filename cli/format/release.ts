/** Human views of releases: one line for lists, a block for status and watch. */
import type { ReleaseDetail, ReleaseView } from '../commands/responses.js';
import { duration, fields, time, weights } from './text.js';

/**
 * `1 (canary-25)`: the traffic step the release is at; before its first one,
 * the step it waits at (`0 (approval)` for a plan that opens with an
 * approval); undefined before either. Counted from 0, as the plan's array,
 * the ledger's messages ("in ALARM at step 0") and the errors ("plan step 3")
 * count them.
 */
export function stepOf(release: ReleaseView): string | undefined {
  const step = release.currentStep;
  if (step !== undefined) return `${String(step.index)} (${step.name})`;
  const waitingAt = release.waiting?.stepIndex;
  return waitingAt === undefined ? undefined : `${String(waitingAt)} (${release.waiting?.kind === 'APPROVAL' ? 'approval' : 'bake'})`;
}

/** Who started it: the verified principal, else the trigger's source. */
export function starterOf(release: ReleaseView): string {
  return release.trigger?.startedBy?.id ?? release.trigger?.source ?? '';
}

/** Seconds until the bake ends, when the release is baking. */
export function bakeLeft(release: ReleaseView, now: number): number | undefined {
  const wait = release.waiting;
  if (wait?.kind !== 'BAKE' || wait.timeoutAt === undefined) return undefined;
  const end = Date.parse(wait.timeoutAt);
  return Number.isNaN(end) ? undefined : Math.max(0, (end - now) / 1000);
}

/** The pending approval id, when the release waits on one. */
export function pendingApproval(detail: ReleaseDetail): string | undefined {
  const { release, approval } = detail;
  if (release.waiting?.kind !== 'APPROVAL') return undefined;
  return release.waiting.approvalId ?? approval?.approvalId;
}

/** The status block of one release, as status, get and watch show it. */
export function releaseBlock(detail: ReleaseDetail, now: number): string {
  const { release } = detail;
  const left = bakeLeft(release, now);
  const approvalId = pendingApproval(detail);
  const alarms = detail.alarms?.map((a) => `${a.name} ${a.state}`).join(', ');
  const head = `release ${release.releaseId}  ${release.service}/${release.environment}  ${release.previousVersion === undefined ? '' : `${release.previousVersion} -> `}${release.version}`;
  return [
    head,
    fields([
      ['status', release.status + (release.statusReason === undefined ? '' : ` (${release.statusReason})`)],
      ['step', stepOf(release)],
      ['weights', weights(release.weights)],
      ['bake', left === undefined ? undefined : `${duration(left)} left`],
      ['approval', approvalId === undefined ? undefined : `waiting: rollgate approve ${approvalId}`],
      ['alarms', alarms === '' ? 'none onboarded' : alarms],
      ['started', `${time(release.createdAt)}${starterOf(release) === '' ? '' : ` by ${starterOf(release)}`}`],
      ['finished', time(release.finishedAt)],
      ['outcome', release.outcome === undefined ? undefined : release.outcome + (release.reason === undefined ? '' : `: ${release.reason}`)],
    ]),
  ].join('\n');
}

/** What changed, in one line (watch without a terminal prints one per change). */
export function releaseLine(detail: ReleaseDetail, now: number): string {
  const { release } = detail;
  const left = bakeLeft(release, now);
  const approvalId = pendingApproval(detail);
  const firing = detail.alarms?.filter((a) => a.state === 'ALARM').map((a) => a.name) ?? [];
  return [
    release.status,
    stepOf(release) === undefined ? undefined : `step ${stepOf(release) ?? ''}`,
    weights(release.weights),
    left === undefined ? undefined : `bake ${duration(left)} left`,
    approvalId === undefined ? undefined : `approval ${approvalId}`,
    firing.length === 0 ? undefined : `ALARM ${firing.join(', ')}`,
  ]
    .filter((part) => part !== undefined)
    .join('  ');
}
