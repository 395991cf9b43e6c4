/**
 * What the CLI reads from the control API's answers, checked loosely: the
 * fields it shows are typed, anything else the API adds passes through
 * untouched (and is printed as-is with `--json`). An answer without the
 * fields a command needs is an `InvalidResponseError` naming the route.
 *
 * Shapes (functions/control/api.ts): an action on a release (promote,
 * abort, rollbackRelease) answers what it did and `{ release }` after it;
 * getRelease is `{ release, events, approval, alarms }`; getStatus is
 * `{ stable, activeRelease, lock }` (null when absent); lists are
 * `{ items, next? }`; getLock is `{ lock }`; approve and reject are
 * `{ approval }`; startRelease and rollbackToVersion name the execution
 * started; whoAmI is `{ principalArn, person? }`; listVersions is `{ items, next? }`
 * of version rows; getReleaseTraffic is `{ periodSeconds, start, end, versions }`.
 */
import * as z from 'zod';
import type { ControlRouteId } from '../../functions/control/routes.js';
import { ControlApiError } from '../control-client.js';

export const ReleaseView = z.looseObject({
  releaseId: z.string(),
  service: z.string(),
  environment: z.string(),
  version: z.string(),
  previousVersion: z.string().optional(),
  status: z.string(),
  statusReason: z.string().optional(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  outcome: z.string().optional(),
  reason: z.string().optional(),
  currentStep: z.looseObject({ index: z.number(), name: z.string() }).optional(),
  weights: z.looseObject({ stable: z.number(), canary: z.number() }).optional(),
  waiting: z
    .looseObject({ kind: z.string(), stepIndex: z.number().optional(), since: z.string().optional(), timeoutAt: z.string().optional(), approvalId: z.string().optional() })
    .optional(),
  executionArn: z.string().optional(),
  trigger: z.looseObject({ source: z.string().optional(), startedBy: z.looseObject({ kind: z.string(), id: z.string() }).optional() }).optional(),
});
export type ReleaseView = z.infer<typeof ReleaseView>;

export const AlarmView = z.looseObject({ name: z.string(), state: z.string() });
export const EventView = z.looseObject({ at: z.string(), type: z.string(), actor: z.string().optional(), message: z.string().optional() });
export const ApprovalView = z.looseObject({
  approvalId: z.string(),
  releaseId: z.string().optional(),
  service: z.string().optional(),
  environment: z.string().optional(),
  expiresAt: z.string().optional(),
  decision: z.looseObject({ outcome: z.string(), by: z.string(), at: z.string().optional(), comment: z.string().optional() }).optional(),
});
export const LockView = z.looseObject({ releaseId: z.string(), acquiredAt: z.string().optional(), leaseExpiresAt: z.string().optional() });
export const StableView = z.looseObject({ version: z.string(), fleet: z.looseObject({ id: z.string() }).optional(), updatedAt: z.string().optional() });

export const ReleaseAnswer = z.looseObject({ release: ReleaseView });
export const ReleaseDetail = z.looseObject({
  release: ReleaseView,
  events: z.array(EventView).optional(),
  approval: ApprovalView.nullish().transform((a) => a ?? undefined),
  alarms: z.array(AlarmView).optional(),
});
export type ReleaseDetail = z.infer<typeof ReleaseDetail>;
export const StatusAnswer = z.looseObject({
  stable: StableView.nullish().transform((v) => v ?? undefined),
  activeRelease: ReleaseView.nullish().transform((v) => v ?? undefined),
  lock: LockView.nullish().transform((v) => v ?? undefined),
});
export const PageAnswer = z.looseObject({ items: z.array(ReleaseView), next: z.string().optional() });
export const LockAnswer = z.looseObject({ lock: LockView.nullish().transform((v) => v ?? undefined) });
/** startRelease and rollbackToVersion: the execution started (its release appears once preflight has run). */
export const StartAnswer = z.looseObject({
  outcome: z.looseObject({ started: z.boolean(), executionArn: z.string().optional(), reason: z.string().optional() }).optional(),
  started: z.boolean().optional(),
  executionArn: z.string().optional(),
  reason: z.string().optional(),
  from: z.string().optional(),
  to: z.string().optional(),
});
export const ApprovalAnswer = z.looseObject({ approval: ApprovalView });
export const WhoAmIAnswer = z.looseObject({ principalArn: z.string() });

export const VersionView = z.looseObject({
  version: z.string(),
  environments: z.array(z.string()),
  releases: z.number(),
  firstStartedAt: z.string().nullable(),
  lastEndedAt: z.string().nullable(),
  lastRelease: z.looseObject({ releaseId: z.string(), environment: z.string(), status: z.string(), outcome: z.string().nullable() }).nullable(),
  startedBy: z.string().nullable(),
  stable: z.array(z.looseObject({ environment: z.string(), since: z.string(), fleetId: z.string() })),
});
export type VersionView = z.infer<typeof VersionView>;
export const VersionsAnswer = z.looseObject({ items: z.array(VersionView), next: z.string().optional() });

export const VersionTrafficView = z.looseObject({
  role: z.string(),
  version: z.string(),
  requests: z.number(),
  errors5xx: z.number(),
  errorRatePercent: z.number().nullable(),
  p99Ms: z.number().nullable(),
});
export type VersionTrafficView = z.infer<typeof VersionTrafficView>;
export const TrafficAnswer = z.looseObject({ periodSeconds: z.number(), start: z.string(), end: z.string(), versions: z.array(VersionTrafficView) });
export type TrafficAnswer = z.infer<typeof TrafficAnswer>;

/** `answer` as `schema` wants it, or an InvalidResponseError naming the route and the field. */
export function read<T extends z.ZodType>(route: ControlRouteId, schema: T, answer: unknown): z.infer<T> {
  const result = schema.safeParse(answer);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'the answer' : issue.path.join('.');
  throw new ControlApiError('InvalidResponseError', `${route} answered with an unexpected shape: ${where}: ${issue?.message ?? 'invalid'}`, 200);
}
