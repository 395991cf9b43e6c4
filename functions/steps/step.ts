/**
 * What every release step shares: the dependencies it is given (ports, the
 * ledger, the configuration, a clock), the release context the flow carries
 * from state to state, and `defineStep`, which parses a step's input with its
 * schema before the step runs — the same in Lambda and in the local runtime.
 */
import * as z from 'zod';
import type { RollgateConfig, ServiceConfig } from '../config.js';
import { findService, ServiceConfigSchema } from '../config.js';
import { PlanSchema } from '../domain/plan.js';
import type { ActiveStatus, ReleaseStatus } from '../domain/status.js';
import { ReleaseNotActiveError, ReleaseNotFoundError, RollbackRequestedError, StaleStatusError } from '../errors.js';
import { FleetRefSchema } from '../domain/fleet.js';
import type { Release, ReleaseRef } from '../domain/release.js';
import type {
  AlarmSource,
  Callbacks,
  Executions,
  Fleet,
  FleetTarget,
  Ledger,
  Migrator,
  Notifier,
  SmokeChecker,
  TrafficRouter,
} from '../ports.js';
import { parseInput } from '../validation.js';

/**
 * Everything a step may touch. The ports are built once per container
 * (Lambda) or per runtime (local); `config` is the snapshot the invocation
 * read (functions/ledger/config-source.ts).
 */
export interface StepDeps {
  readonly config: RollgateConfig;
  /** The revision `config` was published as; preflight freezes it with the release. Absent where a test hands a configuration in. */
  readonly configRevision?: number;
  readonly ledger: Ledger;
  readonly fleets: { readonly ecs: Fleet; readonly asg: Fleet };
  readonly router: TrafficRouter;
  readonly alarms: AlarmSource;
  readonly migrator: Migrator;
  readonly smoke: SmokeChecker;
  readonly notifier: Notifier;
  readonly callbacks: Callbacks;
  readonly executions: Executions;
  readonly now: () => Date;
}

/** The ports a step may need, as its `needs` names them. */
export type PortName = 'fleets' | 'router' | 'alarms' | 'migrator' | 'smoke' | 'notifier' | 'callbacks' | 'executions';

/** What every step is given whatever it needs: the configuration it runs on, the ledger, a clock. */
export type BaseDeps = Pick<StepDeps, 'config' | 'configRevision' | 'ledger' | 'now'>;

/** The dependencies of a step that needs the ports `N`: nothing else is in reach of its code. */
export type DepsOf<N extends PortName> = BaseDeps & Pick<StepDeps, N>;

/** The ports of a step that needs `N`, and the ledger: what its Lambda handler builds once per container (the configuration is read per invocation, the clock is the system's). */
export type PortsOf<N extends PortName> = Pick<StepDeps, 'ledger' | N>;

/** A step: the ports it needs, its input schema and what it does (with exactly those ports). */
export interface Step<S extends z.ZodType, R, N extends PortName> {
  readonly name: string;
  /** The ports the step calls; its `run` is typed to reach only these, and its Lambda handler builds only these (and is granted only their actions). */
  readonly needs: readonly N[];
  readonly input: S;
  run(deps: DepsOf<N>, input: z.output<S>): Promise<R>;
}

/** A step with its input parsed (errors name the bad field) before it runs. */
export interface DefinedStep<R, N extends PortName = PortName> {
  readonly name: string;
  readonly needs: readonly N[];
  invoke(deps: DepsOf<N>, event: unknown): Promise<R>;
}

export function defineStep<S extends z.ZodType, R, const N extends PortName = never>(step: Step<S, R, N>): DefinedStep<R, N> {
  return {
    name: step.name,
    needs: step.needs,
    invoke: (deps, event) => step.run(deps, parseInput(step.input, event, step.name)),
  };
}

/** What the flow carries from state to state about the release (`$.release`). */
export const ReleaseContextSchema = z.object({
  releaseId: z.string(),
  service: z.string(),
  environment: z.string(),
  version: z.string(),
  previousVersion: z.string().optional(),
  commit: z.string().optional(),
  author: z.string().optional(),
  plan: PlanSchema,
  /** Alarms already in ALARM when an expedited release started: only new transitions count. */
  ignoredAlarms: z.array(z.string()),
  stableFleet: FleetRefSchema,
  canaryTargetGroupArn: z.string(),
  hasMigration: z.boolean(),
  hasDarkCanary: z.boolean(),
  pollSeconds: z.number().int().min(1),
  /**
   * The service's configuration as preflight read it: every step runs on it
   * (see {@link serviceOf}), so a publish mid-release cannot mix old and new.
   * Optional only for flows started before configuration became data.
   */
  serviceConfig: ServiceConfigSchema.optional(),
  /** The configuration revision it was read at. */
  configRevision: z.number().int().min(0).optional(),
});
export type ReleaseContext = z.output<typeof ReleaseContextSchema>;

/** `$.deploy`: the new fleet and the health gate's deadline. */
export const DeploySchema = z.object({
  fleet: FleetRefSchema,
  healthDeadline: z.string(),
});
export type Deployment = z.output<typeof DeploySchema>;

/** `$.cursor`: where the flow is in the plan and what the next state does. */
export const CursorSchema = z.object({
  /** Index of the next plan step to take. */
  next: z.number().int().min(0),
  action: z.enum(['start', 'bake', 'approval', 'continue', 'finalize']),
  /** The plan step the action belongs to (bake/approval), if any. */
  stepIndex: z.number().int().min(0).optional(),
  /** Bake length or approval timeout, in seconds (TimeoutSecondsPath). */
  waitSeconds: z.number().int().min(1).optional(),
});
export type Cursor = z.output<typeof CursorSchema>;

/**
 * The configuration a release runs on: the one it froze at preflight (in the
 * flow's context or the release record), validated; the current one only for
 * what has none frozen (preflight itself, releases from before the freeze).
 */
export function serviceOf(deps: Pick<StepDeps, 'config'>, release: { service: string; environment: string; releaseId?: string; serviceConfig?: unknown }): ServiceConfig {
  if (release.serviceConfig === undefined) return findService(deps.config, release.service, release.environment);
  return parseInput(ServiceConfigSchema, release.serviceConfig, `release ${release.releaseId ?? `${release.service}/${release.environment}`} serviceConfig`);
}

export function refOf(release: ReleaseContext | Release): ReleaseRef {
  return { service: release.service, environment: release.environment, releaseId: release.releaseId };
}

export function fleetFor(deps: Pick<StepDeps, 'fleets'>, target: FleetTarget): Fleet {
  return target.kind === 'ecs' ? deps.fleets.ecs : deps.fleets.asg;
}

/** Whether any weighted traffic ever reached the release's new fleet (else a rollback ends FAILED, not ROLLED_BACK). */
export function trafficMoved(release: Release): boolean {
  return (release.weights?.canary ?? 0) > 0 || release.currentStep !== undefined;
}

export async function requireRelease(deps: Pick<StepDeps, 'ledger'>, ref: ReleaseRef): Promise<Release> {
  const release = await deps.ledger.getRelease(ref);
  if (release === undefined) throw new ReleaseNotFoundError(ref.releaseId);
  return release;
}

/** The statuses a step expects to find its release in. */
export function statuses(...list: ReleaseStatus[]): ReadonlySet<ReleaseStatus> {
  return new Set(list);
}

/** The error a step stops with when the release is not in a status it expects. */
function unexpected(release: Release, expected: ReadonlySet<ReleaseStatus>): Error {
  if (release.status === 'ROLLING_BACK') return new RollbackRequestedError(release.statusReason ?? 'rollback requested');
  return new ReleaseNotActiveError(release.releaseId, `${release.status}, not ${[...expected].join(' or ')}`);
}

/**
 * Reads the release and stops the step unless it is in one of the statuses the
 * step expects: RollbackRequestedError when something out of band (an alarm,
 * an abort) has put it into ROLLING_BACK, ReleaseNotActiveError otherwise.
 */
export async function assertStatus(deps: Pick<StepDeps, 'ledger'>, ref: ReleaseRef, expected: ReadonlySet<ReleaseStatus>): Promise<Release> {
  const release = await requireRelease(deps, ref);
  if (!expected.has(release.status)) throw unexpected(release, expected);
  return release;
}

/**
 * Moves the release to `to` from one of the statuses `from` the step expects,
 * with one conditional write on the status it read; a retried step finds it in
 * `to` already and goes on. A write that loses to another writer is not
 * retried from whatever the status became: the step stops, with
 * RollbackRequestedError when the other writer started a rollback.
 */
export async function ensureStatus(
  deps: Pick<StepDeps, 'ledger'>,
  ref: ReleaseRef,
  to: ActiveStatus,
  from: ReadonlySet<ReleaseStatus>,
  actor: string,
): Promise<Release> {
  const release = await requireRelease(deps, ref);
  if (release.status === to) return release;
  if (!from.has(release.status)) throw unexpected(release, new Set([...from, to]));
  try {
    return await deps.ledger.transition({ ...ref, from: release.status, to, actor });
  } catch (error) {
    if (!(error instanceof StaleStatusError)) throw error;
    const now = await requireRelease(deps, ref);
    if (now.status === to) return now;
    throw now.status === 'ROLLING_BACK' ? unexpected(now, from) : error;
  }
}

/** Alarms of the service in ALARM now, minus those an expedited release started with. */
export async function newAlarms(deps: Pick<StepDeps, 'alarms'>, service: ServiceConfig, ignored: readonly string[]): Promise<string[]> {
  const firing = await deps.alarms.alarmsInAlarm(service.alarms);
  return firing.filter((name) => !ignored.includes(name));
}
