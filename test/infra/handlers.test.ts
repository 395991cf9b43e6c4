import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AwsAdapterName } from '../../functions/adapters/aws/grants.js';
import { ENV, readEnvironment } from '../../functions/handlers/environment.js';
import { releaseFields } from '../../functions/handlers/logger.js';
import { adaptersOf, ALL_FUNCTIONS } from '../../infra/functions.js';

describe('Lambda environment', () => {
  it('reads the variables it is asked for', () => {
    expect(readEnvironment([ENV.ledgerTable], { [ENV.ledgerTable]: 'ledger', OTHER: 'x' })).toEqual({ [ENV.ledgerTable]: 'ledger' });
  });

  it('names a missing or empty variable', () => {
    expect(() => readEnvironment([ENV.ledgerTable, ENV.stateMachineArn], { [ENV.ledgerTable]: 'ledger' })).toThrow(`Lambda environment: ${ENV.stateMachineArn}: is not set`);
    expect(() => readEnvironment([ENV.ledgerTable], { [ENV.ledgerTable]: '' })).toThrow(`Lambda environment: ${ENV.ledgerTable}: is empty`);
  });
});

describe('wiring', () => {
  /** The adapter modules each handler builds, read from its imports (aws-fleets.js builds both fleets). */
  const ADAPTER_MODULES: Record<string, readonly AwsAdapterName[]> = {
    'alb-router': ['AlbRouter'],
    'cloudwatch-alarms': ['CloudWatchAlarms'],
    'cloudwatch-metrics': ['CloudWatchMetrics'],
    'ecs-migrator': ['EcsMigrator'],
    'sfn-callbacks': ['SfnCallbacks'],
    'sfn-executions': ['SfnExecutions'],
    'sfn-release-starter': ['SfnReleaseStarter'],
    'slack-secrets': ['SlackBotTokenSecret'],
    'slack-signing-secret': ['SlackSigningSecret'],
    'aws-fleets': ['EcsFleet', 'AsgFleet'],
    eventbridge: ['EventBridgeReleaseEvents'],
  };

  it.each(ALL_FUNCTIONS.map((f) => [f.id, f] as const))('%s builds exactly the adapters it is granted', (_id, spec) => {
    const source = readFileSync(new URL(`../../functions/handlers/${spec.entry}.ts`, import.meta.url), 'utf8');
    const imported = [...source.matchAll(/from '\.{1,2}\/(?:adapters\/aws\/)?([a-z-]+)\.js'/g)].flatMap((m) => ADAPTER_MODULES[m[1] ?? ''] ?? []);
    expect([...new Set(imported)].sort()).toEqual(adaptersOf(spec));
  });
});

describe('handler logs', () => {
  it('log lines carry release ids only, never the event (callback events hold task tokens)', () => {
    const fields = releaseFields({ release: { releaseId: 'r1', service: 'checkout', environment: 'prod', version: 'v2' }, taskToken: 'SECRET' });
    expect(fields).toEqual({ releaseId: 'r1', service: 'checkout', environment: 'prod', version: 'v2' });
    expect(releaseFields({ state: { release: { releaseId: 'r2' } } })).toEqual({ releaseId: 'r2' });
  });
});
