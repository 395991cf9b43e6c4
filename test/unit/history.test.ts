/**
 * The execution-history arithmetic and the bounds it justifies: no
 * configuration the schema accepts can write a history that reaches Step
 * Functions' 25,000 events.
 */
import { describe, expect, it } from 'vitest';
import { migrationTimeoutSeconds, parseConfig, type RollgateConfigInput, type ServiceConfigInput } from '../../functions/config.js';
import {
  HISTORY_EVENT_QUOTA,
  MAX_POLLS,
  maxPollChecks,
  releaseHistoryEvents,
  worstCaseHistoryEvents,
  type ReleasePath,
} from '../../functions/domain/history.js';
import { CHECKOUT_SERVICE, SAMPLE_SLACK } from '../../local/sample-config.js';
import { largestPlan } from './largest-release.js';

const ONE_STEP: ReleasePath = { healthChecks: 1, darkCanary: false, steps: [{ type: 'traffic', bakeSeconds: 60 }], ending: 'released' };

describe('history events of one way through the release state machine', () => {
  it.each<[string, ReleasePath, number]>([
    // 2 execution + Preflight 5 + MigrationConfigured 2 + Deploy 5 + CheckHealth 5 + Healthy 2 + DarkCanaryConfigured 2
    // + (ShiftTraffic 5 + NextAction 2 + Bake 6) + (ShiftTraffic 5 + NextAction 2 + Finalize 5) + TerminationWait 2 + Retire 5 + Released 2
    ['one traffic step, healthy at once', ONE_STEP, 57],
    ['one more health poll: WaitForHealth, CheckHealth, Healthy', { ...ONE_STEP, healthChecks: 2 }, 57 + 9],
    ['a migration checked twice: StartMigration, MigrationFinished, then 2 × (wait, check, choice)', { ...ONE_STEP, migrationChecks: 2 }, 57 + 7 + 18],
    ['a dark canary', { ...ONE_STEP, darkCanary: true }, 57 + 5],
    ['a bake of 0 seconds: no Bake state', { ...ONE_STEP, steps: [{ type: 'traffic', bakeSeconds: 0 }] }, 57 - 6],
    ['an approval', { ...ONE_STEP, steps: [{ type: 'approval' }, { type: 'traffic', bakeSeconds: 60 }] }, 57 + 13],
    ['rolled back from Finalize: Rollback and RolledBack instead of the wait, Retire and Released', { ...ONE_STEP, ending: 'rolled-back-at-finalize' }, 57 - 9 + 6],
    // 8 Task entries (Preflight, Deploy, CheckHealth, ShiftTraffic, Bake, ShiftTraffic, Finalize, Retire), 3 events per failed attempt
    ['every Task entry failing once before it succeeds', { ...ONE_STEP, failedAttemptsPerTask: 1 }, 57 + 8 * 3],
  ])('%s', (_, path, events) => {
    expect(releaseHistoryEvents(path)).toBe(events);
  });

  it('counts the looks a poll makes: one now, one after each interval, the last one past the deadline', () => {
    expect(maxPollChecks(600, 15)).toBe(41);
    expect(maxPollChecks(10, 3)).toBe(5);
    expect(maxPollChecks(3600, 1)).toBe(3601);
  });

  it('shows why the old bounds broke the quota: a 3,600 s health gate polled every second', () => {
    const events = worstCaseHistoryEvents({ healthGate: { timeoutSeconds: 3600, intervalSeconds: 1 }, darkCanary: false, steps: [{ type: 'traffic', bakeSeconds: 60 }] });
    expect(events).toBeGreaterThan(3600 * 9);
    expect(events).toBeGreaterThan(HISTORY_EVENT_QUOTA);
  });
});

describe('the largest accepted configuration and plan', () => {
  const service = {
    ...structuredClone(CHECKOUT_SERVICE),
    // Each loop at its bound: 240 polls of the health gate and of the migration.
    healthGate: { timeoutSeconds: MAX_POLLS * 15, intervalSeconds: 15 },
    migration: { ...structuredClone(CHECKOUT_SERVICE.migration), timeoutSeconds: MAX_POLLS * 15 },
    plan: largestPlan(),
  } satisfies ServiceConfigInput;
  const config: RollgateConfigInput = { services: [service], slack: SAMPLE_SLACK };

  it('is accepted', () => {
    const parsed = parseConfig(config).services[0];
    expect(parsed?.plan.steps).toHaveLength(20);
    expect(parsed?.migration?.timeoutSeconds).toBe(3600);
  });

  it('stays under 40% of the history quota, and under 80% with a failed attempt retried on every Task entry', () => {
    const parsed = parseConfig(config).services[0];
    if (parsed?.migration === undefined) throw new Error('no migration');
    const shape = {
      healthGate: parsed.healthGate,
      migrationTimeoutSeconds: migrationTimeoutSeconds(parsed),
      darkCanary: parsed.plan.darkCanary !== undefined,
      steps: parsed.plan.steps,
    };
    expect(worstCaseHistoryEvents(shape)).toBeLessThan(0.4 * HISTORY_EVENT_QUOTA);
    expect(worstCaseHistoryEvents(shape, 1)).toBeLessThan(0.8 * HISTORY_EVENT_QUOTA);
  });

  it('is refused one poll beyond the bound, naming the field', () => {
    expect(() => parseConfig({ ...config, services: [{ ...service, healthGate: { timeoutSeconds: MAX_POLLS * 10 + 1, intervalSeconds: 10 } }] })).toThrow(
      /^config: services\.0\.healthGate\.intervalSeconds: must be at least timeoutSeconds \/ 240/,
    );
    expect(() => parseConfig({ ...config, services: [{ ...service, migration: { ...service.migration, timeoutSeconds: MAX_POLLS * 15 + 1 } }] })).toThrow(
      /^config: services\.0\.migration\.timeoutSeconds: must be at most 240 × healthGate\.intervalSeconds \(3600 s\)/,
    );
  });
});
