/**
 * Deploy and health gate: create the release's immutable fleet behind the idle
 * target group, then poll its health until it is healthy or the gate's
 * deadline passes (FleetUnhealthyError: the rollback removes the fleet).
 * The deadline is terminal: the first unhealthy look at or past it fails the
 * release, and each look follows a wait of `healthGate.intervalSeconds`, so
 * the gate looks at most timeoutSeconds / intervalSeconds + 1 times — which
 * the configuration caps (functions/domain/history.ts) to keep the execution
 * history bounded.
 */
import * as z from 'zod';
import { FleetUnhealthyError } from '../errors.js';
import {
  assertStatus,
  defineStep,
  DeploySchema,
  ensureStatus,
  fleetFor,
  refOf,
  ReleaseContextSchema,
  serviceOf,
  statuses,
  type Deployment,
} from './step.js';

export const deploy = defineStep({
  name: 'deploy',
  needs: ['fleets'],
  input: z.object({ release: ReleaseContextSchema }),
  async run(deps, { release }): Promise<Deployment> {
    const service = serviceOf(deps, release);
    await ensureStatus(deps, refOf(release), 'DEPLOYING', statuses('PENDING', 'MIGRATING'), 'flow');
    const fleet = await fleetFor(deps, service.fleet).create({
      service: release.service,
      environment: release.environment,
      releaseId: release.releaseId,
      version: release.version,
      target: service.fleet,
      targetGroupArn: release.canaryTargetGroupArn,
      current: release.stableFleet,
    });
    await deps.ledger.recordFleet({ ...refOf(release), fleet });
    await deps.ledger.appendEvent({
      releaseId: release.releaseId,
      eventId: `fleet-created:${fleet.id}`,
      type: 'FLEET_CREATED',
      message: `${fleet.kind} ${fleet.id} running ${release.version} behind ${fleet.targetGroup}`,
      data: { fleet },
    });
    const deadline = new Date(deps.now().getTime() + service.healthGate.timeoutSeconds * 1000);
    return { fleet, healthDeadline: deadline.toISOString() };
  },
});

export const checkHealth = defineStep({
  name: 'checkHealth',
  needs: ['fleets'],
  input: z.object({ release: ReleaseContextSchema, deploy: DeploySchema }),
  async run(deps, { release, deploy: deployment }): Promise<{ healthy: boolean; detail: string }> {
    await assertStatus(deps, refOf(release), statuses('DEPLOYING'));
    const service = serviceOf(deps, release);
    const health = await fleetFor(deps, service.fleet).health(service.fleet, deployment.fleet);
    if (health.healthy) {
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: `fleet-healthy:${deployment.fleet.id}`,
        type: 'FLEET_HEALTHY',
        message: `${health.healthyCount}/${health.desired} healthy: ${health.detail}`,
      });
      return { healthy: true, detail: health.detail };
    }
    if (deps.now().getTime() >= Date.parse(deployment.healthDeadline)) {
      throw new FleetUnhealthyError(
        `${deployment.fleet.id} not healthy by ${deployment.healthDeadline} (${health.healthyCount}/${health.desired} healthy: ${health.detail})`,
      );
    }
    return { healthy: false, detail: health.detail };
  },
});
