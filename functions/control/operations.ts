/**
 * The control API's domain: one function per route of functions/control/routes.ts
 * (but `rollbackRelease` and `rollbackToVersion`, in ./rollback.ts). Each takes
 * the caller's verified identity — an IAM principal ARN, as API Gateway's
 * AWS_IAM authorization (or the local server's SigV4 check) saw it — and
 * records it as the actor of whatever it changes in the ledger's audit log.
 * Inputs arrive validated by ./api.ts; a refusal is a named error and changes
 * nothing.
 *
 * Decisions go through the one domain function each has, whoever asks:
 * approvals through functions/approval/decisions.ts `decide` (the allow-list
 * and four-eyes of Slack and the browser page), full promotion through
 * functions/approval/promotion.ts `promoteFully` (Slack's "Promote now"),
 * promote-now and abort through functions/steps/control.ts. Nothing here returns a task token.
 */
import { ulid } from 'ulid';
import { decide, publicApproval, type DecisionDeps, type PublicApproval } from '../approval/decisions.js';
import { promoteFully } from '../approval/promotion.js';
import type { ReleaseStarter, StartOutcome } from '../adapters/aws/sfn-release-starter.js';
import { findService, type RollgateConfig } from '../config.js';
import { personOfPrincipalArn } from '../domain/identity.js';
import { planFloorViolation } from '../domain/plan-floor.js';
import { PlanSchema } from '../domain/plan.js';
import { MAX_REASON_LENGTH } from '../domain/text.js';
import { summarize, windowEndingAt, type TrafficSummary } from '../domain/traffic.js';
import { assertReleasableVersion } from '../domain/version.js';
import { foldVersions, pageOfVersions, type VersionPosition, type VersionRow } from '../domain/versions.js';
import { ApprovalNotFoundError, InvalidCursorError, InvalidInputError, ReleaseNotFoundError, UnknownServiceError } from '../errors.js';
import type { Lock, Release, ReleaseRef } from '../domain/release.js';
import type { ReleaseEvent } from '../domain/release-event.js';
import type { Stable } from '../domain/stable.js';
import type { AlarmSource, Callbacks, Executions, ExecutionStatus, Ledger, TrafficMetrics, TrafficPeriod } from '../ports.js';
import { abortRelease, promoteNow } from '../steps/control.js';
import { serviceOf } from '../steps/step.js';
import type { ControlRollbackDeps } from './rollback.js';
import * as z from 'zod';
import { parseInput } from '../validation.js';
import { LockHeldError, LockNotHeldError } from './errors.js';

/** Who calls: the verified IAM principal ARN (never taken from the body or a header). */
export interface ControlCaller {
  readonly principalArn: string;
}

/**
 * What the control operations need. `steps` are the step dependencies the
 * promote-now and abort steps run with (they read the ledger and resume task
 * tokens through `callbacks`); `decisions` is what approvals are decided with.
 */
export interface ControlDeps {
  readonly config: RollgateConfig;
  readonly ledger: Ledger;
  /** StartExecution of the release state machine. */
  readonly starter: ReleaseStarter;
  /** Whether a lock holder's execution still runs (DescribeExecution). */
  readonly executions: Executions;
  /** The service's alarms, shown with a release. */
  readonly alarms: AlarmSource;
  readonly callbacks: Callbacks;
  readonly steps: ControlRollbackDeps;
  readonly decisions: DecisionDeps;
  /** Requests, 5xx and latency per target group, shown per version of a release (`getReleaseTraffic`). */
  readonly traffic: TrafficMetrics;
  /** What `getReleaseTraffic` reads: the last `periods` periods of `periodSeconds`, the one holding now included. */
  readonly trafficWindow: TrafficWindow;
  readonly now: () => Date;
}

/** A window of traffic periods. */
export interface TrafficWindow {
  readonly periodSeconds: number;
  readonly periods: number;
}

/** A release as the API shows it: its wait without the task token. */
export type PublicRelease = Omit<Release, 'waiting'> & { readonly waiting?: Omit<NonNullable<Release['waiting']>, 'taskToken'> };

/** A release with its task token removed: tokens stay in the backend. */
export function publicRelease(release: Release): PublicRelease {
  const { waiting, ...rest } = release;
  if (waiting === undefined) return rest;
  const wait = Object.fromEntries(Object.entries(waiting).filter(([key]) => key !== 'taskToken')) as Omit<typeof waiting, 'taskToken'>;
  return { ...rest, waiting: wait };
}

/** One page of releases; `next` is the cursor of the following page, absent on the last. */
export interface ReleasePage {
  readonly items: PublicRelease[];
  readonly next?: string;
}

/** Paging as ./api.ts validated it (PageQuerySchema). */
export interface PageInput {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface ServiceRef {
  readonly service: string;
  readonly environment: string;
}

function page(items: readonly Release[], cursor: string | undefined): ReleasePage {
  return { items: items.map(publicRelease), ...(cursor === undefined ? {} : { next: cursor }) };
}

/** `listRecentReleases`: every service's releases, newest first. */
export async function listRecentReleases(deps: Pick<ControlDeps, 'ledger'>, _caller: ControlCaller, input: PageInput): Promise<ReleasePage> {
  const result = await deps.ledger.listRecentReleases({ limit: input.limit, ...(input.cursor === undefined ? {} : { cursor: input.cursor }) });
  return page(result.items, result.cursor);
}

/** `listReleases`: one service+environment's releases, newest first. */
export async function listReleases(deps: Pick<ControlDeps, 'ledger' | 'config'>, _caller: ControlCaller, input: ServiceRef & PageInput): Promise<ReleasePage> {
  findService(deps.config, input.service, input.environment);
  const result = await deps.ledger.listReleases({
    service: input.service,
    environment: input.environment,
    limit: input.limit,
    ...(input.cursor === undefined ? {} : { cursor: input.cursor }),
  });
  return page(result.items, result.cursor);
}

/** One page of a service's versions; `next` is the cursor of the following page, absent on the last. */
export interface VersionPage {
  readonly items: VersionRow[];
  readonly next?: string;
}

/** A versions cursor: where the page ended, and the listing it belongs to. */
const VersionCursorSchema = z.strictObject({
  service: z.string(),
  environment: z.string().nullable(),
  lastActivityAt: z.string(),
  version: z.string(),
});

function encodeVersionCursor(input: { service: string; environment?: string | undefined }, at: VersionPosition): string {
  return Buffer.from(JSON.stringify({ service: input.service, environment: input.environment ?? null, ...at }), 'utf8').toString('base64url');
}

/** Cursors are opaque but checked: one from another service's (or environment's) listing is refused. */
function decodeVersionCursor(cursor: string, input: { service: string; environment?: string | undefined }): VersionPosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError('not a cursor this listing produced');
  }
  const parsed = VersionCursorSchema.safeParse(decoded);
  if (!parsed.success || parsed.data.service !== input.service || parsed.data.environment !== (input.environment ?? null)) {
    throw new InvalidCursorError('it belongs to another listing or was altered');
  }
  return { lastActivityAt: parsed.data.lastActivityAt, version: parsed.data.version };
}

/** Every release of a service+environment, page after page. */
async function everyRelease(ledger: Ledger, ref: ServiceRef): Promise<Release[]> {
  const releases: Release[] = [];
  let cursor: string | undefined;
  do {
    const page = await ledger.listReleases({ ...ref, limit: 100, ...(cursor === undefined ? {} : { cursor }) });
    releases.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return releases;
}

/**
 * `listVersions`: what ran, where, when — one row per version of a service
 * (functions/domain/versions.ts), over one environment or, without one,
 * every environment the service is onboarded in: where it ran, its first
 * start and last end, its release count and last outcome, who started it,
 * where it is stable now (since when, on which fleet). Newest activity
 * first, paged like the release lists.
 *
 * It reads every release of those environments (a query per 100) and their
 * stable records: releases start at human rates, and the version library
 * (issue 16) will make this a read of version items.
 *
 * @throws UnknownServiceError the service (or service+environment) is not onboarded
 * @throws InvalidCursorError a cursor from another listing
 */
export async function listVersions(
  deps: Pick<ControlDeps, 'ledger' | 'config'>,
  _caller: ControlCaller,
  input: { service: string; environment?: string | undefined } & PageInput,
): Promise<VersionPage> {
  const environments =
    input.environment === undefined
      ? deps.config.services.filter((s) => s.service === input.service).map((s) => s.environment)
      : [findService(deps.config, input.service, input.environment).environment];
  if (environments.length === 0) throw new UnknownServiceError(input.service, undefined, deps.config.services.map((s) => `${s.service}/${s.environment}`));
  const after = input.cursor === undefined ? undefined : decodeVersionCursor(input.cursor, input);
  const read = await Promise.all(
    environments.map(async (environment) => {
      const ref = { service: input.service, environment };
      const [releases, stable] = await Promise.all([everyRelease(deps.ledger, ref), deps.ledger.getStable(ref)]);
      return { releases, stable };
    }),
  );
  const rows = foldVersions(
    read.flatMap((r) => r.releases),
    read.flatMap((r) => (r.stable === undefined ? [] : [r.stable])),
  );
  const page = pageOfVersions(rows, input.limit, after);
  return { items: page.items, ...(page.next === undefined ? {} : { next: encodeVersionCursor(input, page.next) }) };
}

/** What `startRelease` takes (CONTROL_BODIES.startRelease, validated). */
export interface StartReleaseBody {
  readonly version: string;
  readonly plan?: unknown;
  readonly expedite?: boolean | undefined;
  readonly reason?: string | undefined;
  readonly commit?: string | undefined;
}

/** What `startRelease` answers: the execution; its release id is on `getStatus` once preflight has run. */
export interface StartedRelease {
  readonly executionName: string;
  readonly outcome: StartOutcome;
}

/** An execution name for a start from the API: unique, and within Step Functions' 80 characters of [A-Za-z0-9_-]. */
function executionNameFor(service: ServiceRef): string {
  return `ctl-${service.service}-${service.environment}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 50) + `-${ulid()}`;
}

/**
 * `startRelease`: checks the start the way preflight will (onboarded service,
 * releasable version, plan valid and keeping the configured approvals), so a
 * bad request is refused here, naming the field, before any execution; then
 * starts one through the ReleaseStarter with the caller as the verified
 * starter (`trigger.startedBy`, what four-eyes compares) and the audit log's
 * actor (`trigger.author`, the RELEASE_STARTED event's actor).
 *
 * @throws UnknownServiceError / InvalidInputError (nothing started)
 */
export async function startRelease(
  deps: Pick<ControlDeps, 'config' | 'starter'>,
  caller: ControlCaller,
  input: ServiceRef & StartReleaseBody,
): Promise<StartedRelease> {
  const service = findService(deps.config, input.service, input.environment);
  assertReleasableVersion(service.fleet.kind, input.version, 'startRelease');
  if (input.plan !== undefined) {
    const plan = parseInput(PlanSchema, input.plan, 'startRelease plan');
    const weakened = planFloorViolation(service.plan, plan);
    if (weakened !== undefined) throw new InvalidInputError('startRelease', weakened.field, weakened.problem);
  }
  const executionName = executionNameFor(input);
  const outcome = await deps.starter.start({
    executionName,
    input: {
      service: input.service,
      environment: input.environment,
      version: input.version,
      trigger: {
        source: 'control-api',
        author: caller.principalArn,
        startedBy: { kind: 'iam-principal', id: caller.principalArn },
        ...(input.commit === undefined ? {} : { commit: input.commit }),
        ...(input.reason === undefined ? {} : { reason: input.reason }),
      },
      ...(input.plan === undefined ? {} : { plan: input.plan }),
      ...(input.expedite === undefined ? {} : { expedite: input.expedite }),
    },
  });
  return { executionName, outcome };
}

/** What `getStatus` answers. */
export interface ServiceStatus {
  readonly stable: Stable | null;
  readonly activeRelease: PublicRelease | null;
  readonly lock: Lock | null;
}

/** `getStatus`: the stable version and fleet, the active release, the lock. */
export async function getStatus(deps: Pick<ControlDeps, 'ledger' | 'config'>, _caller: ControlCaller, input: ServiceRef): Promise<ServiceStatus> {
  findService(deps.config, input.service, input.environment);
  const [stable, active, lock] = await Promise.all([deps.ledger.getStable(input), deps.ledger.getActiveRelease(input), deps.ledger.getLock(input)]);
  return { stable: stable ?? null, activeRelease: active === undefined ? null : publicRelease(active), lock: lock ?? null };
}

/** One of the service's alarms and its state now. */
export interface AlarmState {
  readonly name: string;
  readonly state: 'ALARM' | 'OK';
}

/** What `getRelease` answers. */
export interface ReleaseDetail {
  readonly release: PublicRelease;
  readonly status: Release['status'];
  readonly currentStep: Release['currentStep'] | null;
  readonly weights: Release['weights'] | null;
  /** The service's configured alarms (empty when it is no longer onboarded). */
  readonly alarms: AlarmState[];
  /** The approval the release waits on, without its task token. */
  readonly approval: PublicApproval | null;
  readonly events: ReleaseEvent[];
}

async function requireRelease(ledger: Ledger, ref: ReleaseRef): Promise<Release> {
  const release = await ledger.getRelease(ref);
  if (release === undefined) throw new ReleaseNotFoundError(ref.releaseId);
  return release;
}

/** `getRelease`: status, current step, weights, the service's alarms, the pending approval and the events. */
export async function getRelease(deps: Pick<ControlDeps, 'ledger' | 'config' | 'alarms'>, _caller: ControlCaller, input: ReleaseRef): Promise<ReleaseDetail> {
  const release = await requireRelease(deps.ledger, input);
  // The alarms the release runs on: those it froze at preflight.
  const service = release.serviceConfig === undefined ? deps.config.services.find((s) => s.service === input.service && s.environment === input.environment) : serviceOf(deps, release);
  const names = service?.alarms ?? [];
  const approvalId = release.waiting?.approvalId;
  const [firing, approval, events] = await Promise.all([
    names.length === 0 ? Promise.resolve([]) : deps.alarms.alarmsInAlarm(names),
    approvalId === undefined ? Promise.resolve(undefined) : deps.ledger.getApproval(approvalId),
    deps.ledger.listEvents(release),
  ]);
  return {
    release: publicRelease(release),
    status: release.status,
    currentStep: release.currentStep ?? null,
    weights: release.weights ?? null,
    alarms: names.map((name) => ({ name, state: firing.includes(name) ? 'ALARM' : 'OK' })),
    approval: approval === undefined ? null : publicApproval(approval),
    events,
  };
}

/** One period of a version's traffic, as the API shows it. */
export type TrafficPeriodView = Omit<TrafficPeriod, 'start'> & { readonly start: string };

/** A release's traffic on one of its two target groups, over the window. */
export interface VersionTraffic extends TrafficSummary {
  /** `stable`: the fleet that took traffic when the release started; `canary`: the release's new one. */
  readonly role: 'stable' | 'canary';
  readonly version: string;
  readonly targetGroupArn: string;
  /** Every period of the window, oldest first. */
  readonly periods: TrafficPeriodView[];
}

/** What `getReleaseTraffic` answers. */
export interface ReleaseTraffic {
  readonly releaseId: string;
  readonly periodSeconds: number;
  /** The window read: [start, end). */
  readonly start: string;
  readonly end: string;
  /** Stable, then canary; a target group the release has not recorded yet (before deploy) is left out, and both when the service is no longer onboarded. */
  readonly versions: VersionTraffic[];
}

/**
 * `getReleaseTraffic`: requests, 5xx, error rate and p99 per version of a
 * release — its stable and canary target groups — over the last
 * {@link ControlDeps.trafficWindow} periods (ending now, or at its end for
 * an ended release) but none that began before the release did, each period
 * with its counts and percentiles. A route
 * of its own, not part of `getRelease`: CloudWatch is a dependency of its
 * own (an outage here leaves `getRelease` answering) and GetMetricData is
 * billed per metric read, so only those who show traffic pay for it.
 */
export async function getReleaseTraffic(deps: Pick<ControlDeps, 'ledger' | 'config' | 'traffic' | 'trafficWindow' | 'now'>, _caller: ControlCaller, input: ReleaseRef): Promise<ReleaseTraffic> {
  const release = await requireRelease(deps.ledger, input);
  const { periodSeconds, periods } = deps.trafficWindow;
  const endedAt = release.finishedAt === undefined ? undefined : new Date(release.finishedAt);
  const now = deps.now();
  const last = windowEndingAt(endedAt !== undefined && endedAt < now ? endedAt : now, periodSeconds, periods);
  // The blue and green target groups serve one release's fleets after another's: a period that began
  // before this release started may hold another version's requests, so the window starts at the first
  // whole period after the release's start (no period at all in the release's first one).
  const step = periodSeconds * 1000;
  const firstWhole = Math.ceil(Date.parse(release.createdAt) / step) * step;
  const window = { start: new Date(Math.min(Math.max(last.start.getTime(), firstWhole), last.end.getTime())), end: last.end };
  const service = deps.config.services.find((s) => s.service === input.service && s.environment === input.environment);
  const canaryTargetGroup = release.newFleet?.targetGroup ?? release.canaryTargetGroup;
  const roles = [
    { role: 'stable' as const, version: release.previousVersion ?? 'stable', targetGroupArn: release.stableFleet?.targetGroup },
    { role: 'canary' as const, version: release.version, targetGroupArn: canaryTargetGroup },
  ].filter((r): r is { role: 'stable' | 'canary'; version: string; targetGroupArn: string } => r.targetGroupArn !== undefined && service !== undefined);
  const read =
    roles.length === 0 || service === undefined
      ? []
      : await deps.traffic.read({
          targets: roles.map((r) => ({ targetGroupArn: r.targetGroupArn, listenerArn: service.traffic.listenerArn })),
          start: window.start,
          end: window.end,
          periodSeconds,
        });
  return {
    releaseId: release.releaseId,
    periodSeconds,
    start: window.start.toISOString(),
    end: window.end.toISOString(),
    versions: roles.map((r, i) => {
      const of = read[i]?.periods ?? [];
      return { ...r, ...summarize(of), periods: of.map((p) => ({ ...p, start: p.start.toISOString() })) };
    }),
  };
}

/**
 * `promoteRelease`: skips the rest of the current bake (functions/steps/control.ts
 * promoteNow), the caller as the actor. With `full`, a full promotion through
 * the one path Slack's "Promote now" takes (functions/approval/promotion.ts
 * promoteFully): the pending approval (if any) approved and every remaining
 * step skipped, refused with PromotionNotAllowedError unless the caller is
 * an allowed principal of each approval it passes, four-eyes included.
 */
export async function promoteRelease(
  deps: Pick<ControlDeps, 'steps' | 'decisions'>,
  caller: ControlCaller,
  input: ReleaseRef & { full?: boolean | undefined; reason?: string | undefined },
): Promise<{ resumed: boolean; full?: true; approval?: PublicApproval }> {
  const reason = input.reason === undefined ? {} : { reason: input.reason };
  if (input.full === true) return promoteFully(deps.decisions, { release: refOnly(input), principalArn: caller.principalArn, via: 'api', ...reason });
  return promoteNow.invoke(deps.steps, { ...refOnly(input), by: caller.principalArn, ...reason });
}

/** `abortRelease`: traffic back to stable, new fleet removed (functions/steps/control.ts abortRelease), the caller as the actor. */
export function abortReleaseOp(deps: Pick<ControlDeps, 'steps'>, caller: ControlCaller, input: ReleaseRef & { reason: string }): Promise<{ resumed: boolean }> {
  return abortRelease.invoke(deps.steps, { ...refOnly(input), by: caller.principalArn, reason: input.reason });
}

/** `getApproval`: the approval without its task token. */
export async function getApproval(deps: Pick<ControlDeps, 'ledger'>, _caller: ControlCaller, input: { approvalId: string }): Promise<PublicApproval> {
  const approval = await deps.ledger.getApproval(input.approvalId);
  if (approval === undefined) throw new ApprovalNotFoundError(input.approvalId);
  return publicApproval(approval);
}

/**
 * `approve` / `reject`: the one decision path (functions/approval/decisions.ts
 * `decide`): the caller must be one of the approval's `principals`, four-eyes
 * compares them with the release's starter, the decision lands once and is
 * recorded with the caller's ARN and `via: 'api'`.
 */
export function decideApproval(
  deps: Pick<ControlDeps, 'decisions'>,
  caller: ControlCaller,
  input: { approvalId: string; outcome: 'APPROVED' | 'REJECTED'; comment?: string | undefined },
): Promise<PublicApproval> {
  return decide(deps.decisions, {
    approvalId: input.approvalId,
    outcome: input.outcome,
    principalArn: caller.principalArn,
    via: 'api',
    ...(input.comment === undefined ? {} : { comment: input.comment }),
  });
}

/** `getLock`: who holds the lock, and its lease. */
export async function getLock(deps: Pick<ControlDeps, 'ledger' | 'config'>, _caller: ControlCaller, input: ServiceRef): Promise<{ lock: Lock | null }> {
  findService(deps.config, input.service, input.environment);
  return { lock: (await deps.ledger.getLock(input)) ?? null };
}

/** What `takeOverLock` did. */
export interface LockTakeOver {
  readonly freed: {
    readonly releaseId: string;
    readonly executionStatus: ExecutionStatus | 'NOT_FOUND' | 'UNKNOWN';
    readonly leaseExpiresAt: string;
    readonly leaseExpired: boolean;
  };
}

/**
 * `takeOverLock`: frees a lock whose holder is dead — its execution no longer
 * runs (Executions.status), or its lease expired — so the next release can
 * start. The take-over is recorded first on the holder's audit log (actor:
 * the caller, with the reason), then the lock is deleted only if that same
 * release still holds it. The holder's release record is left to the
 * reconciler, which closes releases whose execution died.
 *
 * @throws LockNotHeldError nobody holds it.
 * @throws LockHeldError the holder's execution runs and its lease is valid (nothing changed).
 * @throws LockNotOwnedError another release took the lock meanwhile.
 */
export async function takeOverLock(
  deps: Pick<ControlDeps, 'ledger' | 'config' | 'executions' | 'now'>,
  caller: ControlCaller,
  input: ServiceRef & { reason: string },
): Promise<LockTakeOver> {
  findService(deps.config, input.service, input.environment);
  const lock = await deps.ledger.getLock(input);
  if (lock === undefined) throw new LockNotHeldError(input.service, input.environment);
  const holder = await deps.ledger.getRelease({ ...input, releaseId: lock.releaseId });
  // A holder with no execution recorded cannot be asked: only its lease can tell it is dead.
  const executionStatus = holder?.executionArn === undefined ? 'UNKNOWN' : await deps.executions.status(holder.executionArn);
  const leaseExpired = Date.parse(lock.leaseExpiresAt) <= deps.now().getTime();
  const running = executionStatus === 'RUNNING' || (executionStatus === 'UNKNOWN' && holder !== undefined);
  if (running && !leaseExpired) throw new LockHeldError(input.service, input.environment, lock.releaseId, lock.leaseExpiresAt);
  const why = leaseExpired ? `its lease expired at ${lock.leaseExpiresAt}` : `its execution is ${executionStatus}`;
  await deps.ledger.appendEvent({
    releaseId: lock.releaseId,
    // Once per lock held: a retried take-over records it once.
    eventId: `lock-freed:${lock.acquiredAt}`,
    type: 'LOCK_TAKEN_OVER',
    actor: caller.principalArn,
    message: `lock of ${input.service}/${input.environment} freed by ${caller.principalArn} (${why}): ${input.reason}`.slice(0, MAX_REASON_LENGTH),
    data: { executionStatus, leaseExpiresAt: lock.leaseExpiresAt, leaseExpired, reason: input.reason },
  });
  await deps.ledger.releaseLock({ ...input, releaseId: lock.releaseId });
  return { freed: { releaseId: lock.releaseId, executionStatus, leaseExpiresAt: lock.leaseExpiresAt, leaseExpired } };
}

/** What `whoAmI` answers. */
export interface Identity {
  readonly principalArn: string;
  /** The person the ARN names (IAM user, role session, federated user), as four-eyes compares it; absent when it names nobody. */
  readonly person?: string;
}

/** `whoAmI`: the verified identity the API sees. */
export function whoAmI(_deps: unknown, caller: ControlCaller): Identity {
  const person = personOfPrincipalArn(caller.principalArn);
  return { principalArn: caller.principalArn, ...(person === undefined ? {} : { person }) };
}

function refOnly(ref: ReleaseRef): ReleaseRef {
  return { service: ref.service, environment: ref.environment, releaseId: ref.releaseId };
}

