/**
 * Lambda entry point. The build trigger (EventBridge ECR image pushes and
 * CodeBuild build successes of onboarded repositories and projects): starts
 * one release execution per service the build releases; a repeated event
 * starts nothing new. Dependencies are built once per container, at cold start;
 * the configuration (which repositories and projects are onboarded) is read per event.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import type { Context } from 'aws-lambda';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { SfnReleaseStarter, type StartOutcome } from '../adapters/aws/sfn-release-starter.js';
import { releasesFor } from './build-events.js';
import { ENV, readEnvironment } from './environment.js';
import { logger } from './logger.js';
import { configAtColdStart } from './step-handler.js';

const env = readEnvironment([ENV.stateMachineArn]);
const { configSource } = await configAtColdStart();
const starter = new SfnReleaseStarter(new SFNClient(awsClientConfig), env[ENV.stateMachineArn]);

export async function handler(event: unknown, context: Context): Promise<StartOutcome[]> {
  logger.addContext(context);
  const releases = releasesFor((await configSource.get()).config, event);
  if (!Array.isArray(releases)) {
    logger.info('build event starts no release', { reason: releases.skipped });
    return [];
  }
  const outcomes: StartOutcome[] = [];
  for (const release of releases) {
    const outcome = await starter.start(release);
    logger.info(outcome.started ? 'release started' : 'release already started', {
      service: release.input.service,
      environment: release.input.environment,
      version: release.input.version,
      ...outcome,
    });
    outcomes.push(outcome);
  }
  return outcomes;
}
