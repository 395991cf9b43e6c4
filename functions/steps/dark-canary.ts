/**
 * Dark canary: before any weighted traffic, the new fleet is reachable only
 * with a header; smoke checks go through that route and must all pass. The
 * route is removed either way.
 */
import * as z from 'zod';
import { InvalidInputError, SmokeCheckFailedError } from '../errors.js';
import { defineStep, DeploySchema, ensureStatus, refOf, ReleaseContextSchema, serviceOf, statuses } from './step.js';
import { splitOf, trafficOf } from './traffic.js';

export const darkCanary = defineStep({
  name: 'darkCanary',
  needs: ['router', 'smoke'],
  input: z.object({ release: ReleaseContextSchema, deploy: DeploySchema }),
  async run(deps, { release }): Promise<{ passed: number }> {
    const service = serviceOf(deps, release);
    const canary = release.plan.darkCanary;
    const baseUrl = service.traffic.publicUrl;
    if (canary === undefined || baseUrl === undefined) {
      throw new InvalidInputError('darkCanary', 'plan.darkCanary', 'is not configured for this release');
    }
    await ensureStatus(deps, refOf(release), 'VERIFYING', statuses('DEPLOYING'), 'flow');
    const route = { headerName: canary.headerName, headerValue: canary.headerValue, priority: canary.priority };
    const target = trafficOf(service);
    await deps.router.setHeaderRoute(target, splitOf(release), route);
    try {
      const results = await deps.smoke.run(baseUrl, route, canary.smokeChecks);
      const failed = results.filter((r) => !r.ok);
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: 'dark-canary',
        type: failed.length === 0 ? 'SMOKE_CHECKS_PASSED' : 'SMOKE_CHECKS_FAILED',
        message: results.map((r) => `${r.path}: ${r.ok ? 'ok' : r.detail}`).join('; '),
        data: { results },
      });
      if (failed.length > 0) {
        throw new SmokeCheckFailedError(failed.map((r) => `${r.path}: ${r.detail}`).join('; '));
      }
      return { passed: results.length };
    } finally {
      await deps.router.removeHeaderRoute(target, route);
    }
  },
});
