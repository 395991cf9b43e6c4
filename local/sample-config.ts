/**
 * The sample configuration, examples/services.json, read and validated: one
 * ECS service and one Auto Scaling group service, and the Slack app of
 * approvals, with made-up account ids, ARNs and Slack ids. The local runtime
 * and the tests run releases of these services against the simulated cloud,
 * and `npm run synth` deploys the same file when no other configuration is
 * given (infra/app.ts). There is one sample: edit the JSON.
 *
 * The exports are the parsed configuration (defaults filled in), typed as
 * narrowly as the tests use them: checkout is the ECS service with a
 * migration and its own approval channel, search the Auto Scaling group.
 */
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import type { AsgFleetSchema, EcsFleetSchema, RollgateConfig, ServiceConfig, SlackConfig } from '../functions/config.js';
import { findService } from '../functions/config.js';
import { InvalidConfigFileError, loadConfigFile } from '../functions/config-file.js';

/** The sample, as checked in. */
export const SAMPLE_CONFIG_FILE = fileURLToPath(new URL('../examples/services.json', import.meta.url));

/** The parsed sample. */
export const SAMPLE_CONFIG: RollgateConfig = loadConfigFile(SAMPLE_CONFIG_FILE);

/** The sample's ECS service, with a migration and an approval in its plan. */
export type SampleEcsService = ServiceConfig & {
  fleet: z.output<typeof EcsFleetSchema>;
  migration: NonNullable<ServiceConfig['migration']>;
  approvals: { slackChannel: string; fourEyes: boolean };
};

/** The sample's Auto Scaling group service. */
export type SampleAsgService = ServiceConfig & { fleet: z.output<typeof AsgFleetSchema> };

/** An ECS service (EXTERNAL deployment controller) with a migration and an approval in its plan. */
export const CHECKOUT_SERVICE: SampleEcsService = ecsService(findService(SAMPLE_CONFIG, 'checkout', 'prod'));

/** An Auto Scaling group service behind a listener rule, with stickiness. */
export const SEARCH_SERVICE: SampleAsgService = asgService(findService(SAMPLE_CONFIG, 'search', 'prod'));

/** The Slack app approvals go through (made-up ids); one secret holds its bot token, another its signing secret and the link key. */
export const SAMPLE_SLACK: SlackConfig & { teamId: string } = slackWithTeam(SAMPLE_CONFIG.slack);

function ecsService(service: ServiceConfig): SampleEcsService {
  const { fleet, migration, approvals } = service;
  if (fleet.kind !== 'ecs' || migration === undefined || approvals.slackChannel === undefined) {
    throw sampleError('checkout/prod must be an ECS service with a migration and an approvals.slackChannel (the tests rely on it)');
  }
  return { ...service, fleet, migration, approvals: { ...approvals, slackChannel: approvals.slackChannel } };
}

function asgService(service: ServiceConfig): SampleAsgService {
  const { fleet } = service;
  if (fleet.kind !== 'asg') throw sampleError('search/prod must be an Auto Scaling group service (the tests rely on it)');
  return { ...service, fleet };
}

function slackWithTeam(slack: SlackConfig | undefined): SlackConfig & { teamId: string } {
  if (slack?.teamId === undefined) throw sampleError('the sample names a Slack app and its team (the tests rely on it)');
  return { ...slack, teamId: slack.teamId };
}

function sampleError(message: string): InvalidConfigFileError {
  return new InvalidConfigFileError([{ file: SAMPLE_CONFIG_FILE, path: '', message }]);
}
