/**
 * Preflight and lock: validate the release input, refuse while the service's
 * alarms already fire (unless expedited), resolve the plan, and start the
 * release in the ledger — which takes the service+environment lock. Nothing is
 * touched before the lock is held.
 */
import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import * as z from 'zod';
import { PlanSchema } from '../domain/plan.js';
import { assertReleasableVersion } from '../domain/version.js';
import { planFloorViolation } from '../domain/plan-floor.js';
import { AlarmsFiringError, InvalidInputError, NoStableVersionError } from '../errors.js';
import { NameSchema, VersionSchema } from '../domain/fields.js';
import { TriggerSchema } from '../domain/release.js';
import { parseInput } from '../validation.js';
import { defineStep, newAlarms, serviceOf, type Cursor, type ReleaseContext } from './step.js';

/** The trigger source of a rollback to an earlier version: its release follows the service's `rollbackPlan`. */
export const ROLLBACK_SOURCE = 'rollback';

/** What starts a release (the execution input). */
export const ReleaseInputSchema = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  /** Image tag or digest (ECS), launch-template version (Auto Scaling group). */
  version: VersionSchema,
  trigger: TriggerSchema,
  /**
   * Replaces the service's default plan for this release; its approvals must
   * keep the configured ones (functions/domain/plan-floor.ts).
   */
  plan: z.unknown().optional(),
  /** Start even though alarms fire; the ones firing now are recorded and only new transitions count. */
  expedite: z.boolean().default(false),
});
export type ReleaseInput = z.input<typeof ReleaseInputSchema>;

const PreflightInput = z.object({
  input: z.unknown(),
  executionArn: z.string().min(1),
  startTime: z.string().min(1),
});

/** The flow's state after preflight. */
export interface FlowStart {
  readonly release: ReleaseContext;
  readonly cursor: Cursor;
}

/**
 * The release id of an execution: a ULID whose time is the execution's start
 * and whose randomness is drawn from its ARN, so a retried preflight starts the
 * same release instead of a second one.
 */
export function releaseIdFor(executionArn: string, startTime: string): string {
  const seed = createHash('sha256').update(executionArn).digest();
  let i = 0;
  return ulid(Date.parse(startTime), () => (seed[i++ % seed.length] ?? 0) / 256);
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'a string' : typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : typeof value;
}

export const preflight = defineStep({
  name: 'preflight',
  needs: ['alarms'],
  input: PreflightInput,
  async run(deps, { input: raw, executionArn, startTime }): Promise<FlowStart> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new InvalidInputError('release input', '', `must be a JSON object {"service", "environment", "version", "trigger", ...}, not ${jsonKind(raw)}`);
    }
    const input = parseInput(ReleaseInputSchema, raw, 'release input');
    const service = serviceOf(deps, input);
    // Before anything is read or locked: the adapters would refuse it only after the lock and the migration.
    assertReleasableVersion(service.fleet.kind, input.version, 'release input');
    // A rollback to an earlier version (the control API's `rollback --to`, which says from what and why) follows
    // the service's configured rollback plan; the configuration, not the caller, decides what that plan asks.
    const isRollback = input.trigger.source === ROLLBACK_SOURCE && input.trigger.rollback !== undefined;
    const configured = isRollback ? service.rollbackPlan : service.plan;
    const plan = input.plan === undefined ? configured : parseInput(PlanSchema, input.plan, 'release input plan');
    if (plan.darkCanary !== undefined && service.traffic.publicUrl === undefined) {
      throw new InvalidInputError('release input plan', 'darkCanary', `needs traffic.publicUrl in the configuration of ${input.service}/${input.environment}`);
    }
    // The service's approvals are a floor: whoever starts a release may add gates, never remove, replace or postpone one.
    const weakened = input.plan === undefined ? undefined : planFloorViolation(configured, plan);
    if (weakened !== undefined) throw new InvalidInputError('release input', weakened.field, weakened.problem);
    // A service's own plan cannot get here with an approval and no Slack (the configuration refuses it); an override can.
    const approvalStep = plan.steps.findIndex((step) => step.type === 'approval');
    if (approvalStep !== -1 && deps.config.slack === undefined) {
      throw new InvalidInputError('release input plan', `steps.${String(approvalStep)}`, 'is an approval step, which needs slack in the configuration (approvers are asked in Slack)');
    }
    const stable = await deps.ledger.getStable(input);
    if (stable === undefined) throw new NoStableVersionError(input.service, input.environment);
    const canaryTargetGroupArn = service.traffic.targetGroupArns.find((arn) => arn !== stable.fleet.targetGroup);
    if (canaryTargetGroupArn === undefined || !service.traffic.targetGroupArns.includes(stable.fleet.targetGroup)) {
      throw new InvalidInputError(
        'preflight',
        'traffic.targetGroupArns',
        `the stable fleet's target group ${stable.fleet.targetGroup} is not one of the configured pair`,
      );
    }

    const firing = await newAlarms(deps, service, []);
    if (firing.length > 0 && !input.expedite) throw new AlarmsFiringError(firing);

    const release = await deps.ledger.startRelease({
      releaseId: releaseIdFor(executionArn, startTime),
      service: input.service,
      environment: input.environment,
      version: input.version,
      previousVersion: stable.version,
      trigger: input.trigger,
      plan,
      // Frozen: every later step, and the alarm handler, reconciler and control API, act on this copy.
      serviceConfig: service,
      ...(deps.configRevision === undefined ? {} : { configRevision: deps.configRevision }),
      executionArn,
      stableFleet: stable.fleet,
      canaryTargetGroup: canaryTargetGroupArn,
      // Long enough to cover the longest wait of the plan; steps renew it as they go.
      leaseSeconds: Math.min(30 * 86_400, 3600 + Math.max(0, ...plan.steps.map((s) => (s.type === 'approval' ? s.timeoutSeconds : s.bakeSeconds)))),
    });
    // A retried preflight finds the release started by its first try: the flow carries what that one froze.
    const frozen = release.serviceConfig === undefined ? service : serviceOf(deps, release);
    const rollback = input.trigger.rollback;
    if (isRollback && rollback !== undefined) {
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: 'rollback-requested',
        type: 'ROLLBACK_REQUESTED',
        actor: input.trigger.startedBy?.id ?? input.trigger.author,
        message: `rollback from ${rollback.from} to ${input.version}: ${rollback.reason}`,
        data: { from: rollback.from, to: input.version },
      });
    }
    if (firing.length > 0) {
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: 'expedited',
        type: 'EXPEDITED',
        actor: input.trigger.startedBy?.id ?? input.trigger.author,
        message: `expedited while ${firing.join(', ')} in ALARM; only new alarm transitions count`,
        data: { ignoredAlarms: firing },
      });
    }
    return {
      release: {
        releaseId: release.releaseId,
        service: input.service,
        environment: input.environment,
        version: input.version,
        previousVersion: stable.version,
        commit: input.trigger.commit,
        author: input.trigger.author,
        plan,
        ignoredAlarms: firing,
        stableFleet: stable.fleet,
        canaryTargetGroupArn,
        hasMigration: frozen.migration !== undefined,
        hasDarkCanary: plan.darkCanary !== undefined,
        pollSeconds: frozen.healthGate.intervalSeconds,
        serviceConfig: frozen,
        ...(release.configRevision === undefined ? {} : { configRevision: release.configRevision }),
      },
      cursor: { next: 0, action: 'start' },
    };
  },
});
