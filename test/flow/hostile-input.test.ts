/**
 * Hostile and malformed release input on the real ASL and the local engine:
 * whatever a caller starts an execution with, it is refused at preflight,
 * before the lock, with an error that names what is wrong — and nothing in
 * the ledger or the simulated cloud is touched.
 */
import { describe, expect, it } from 'vitest';
import { EVENTS_PER_ENTRY, EVENTS_PER_RETRY, EXECUTION_EVENTS, releaseHistoryEvents } from '../../functions/domain/history.js';
import type { ExecutionEvent, ExecutionResult } from '../../local/engine/index.js';
import type { LocalRuntime } from '../../local/runtime.js';
import { CHECKOUT, LISTENER, TG_BLUE, TG_GREEN, decideFirstApproval, flowConfig, newRuntime, onlyRelease, recordCanaryWeights, releaseInput } from './flow-fixture.js';

const SEARCH = { service: 'search', environment: 'prod' } as const;
/** No approval and a short bake: a version the flow wrongly accepts ships quickly instead of waiting. */
const ONE_STEP = { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 60 }] };
const TRIGGER = { source: 'test', author: 'dana' };

function hostile(version: string, overrides: Record<string, unknown> = {}) {
  return releaseInput(version, { plan: ONE_STEP, trigger: TRIGGER, ...overrides });
}

function failed(result: ExecutionResult): { error: string | undefined; cause: string } {
  if (result.status !== 'FAILED') throw new Error(`execution ${result.status}, expected FAILED`);
  return { error: result.error, cause: result.cause ?? '' };
}

/** Nothing was started, locked or touched. */
async function untouched(runtime: LocalRuntime): Promise<void> {
  for (const ref of [CHECKOUT, SEARCH]) {
    expect((await runtime.ledger.listReleases(ref)).items).toEqual([]);
    expect(await runtime.ledger.getLock(ref)).toBeUndefined();
  }
  expect(runtime.cloud.calls).toEqual([]);
  expect(runtime.invocations.get('PreflightFunctionArn')).toBe(1);
  expect([...runtime.invocations.keys()]).toEqual(['PreflightFunctionArn']);
}

describe('hostile versions', () => {
  const ecs: [string, string][] = [
    ['a newline', 'v2\n'],
    ['a tab', 'v\t2'],
    ['only spaces', '   '],
    ['a right-to-left override', 'v2\u202e'],
    ['a left-to-right isolate', '\u2066v2'],
    ['NEL', 'v2\u0085'],
    ['256 characters', 'v'.repeat(256)],
    ['a path', '../../latest'],
    ['$Latest', '$Latest'],
  ];
  it.each(ecs)('refuses an ECS version with %s at preflight, before the lock, naming the field', async (_, version) => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 5 } } });
    const result = await runtime.startRelease(hostile(version)).result;
    const { error, cause } = failed(result);
    expect(error).toBe('InvalidInputError');
    expect(cause).toContain('release input: version: must be an image tag');
    await untouched(runtime);
  });

  it.each<[string, string]>([
    ['$Latest', '$Latest'],
    ['$Default', '$Default'],
    ['an AMI id', 'ami-0123456789abcdef0'],
    ['an image tag', 'v2'],
    ['version 0', '0'],
  ])('refuses an Auto Scaling group version that is %s at preflight, naming the field', async (_, version) => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 5 } } });
    const result = await runtime.startRelease(hostile(version, SEARCH)).result;
    const { error, cause } = failed(result);
    expect(error).toBe('InvalidInputError');
    expect(cause).toContain('release input: version: must be a launch-template version number');
    await untouched(runtime);
  });

  it('releases a launch-template version number of an Auto Scaling group service', async () => {
    const runtime = await newRuntime({ overrides: { taskTimeoutOverrides: { Bake: 5 } } });
    const result = await runtime.startRelease(hostile('7', SEARCH)).result;
    expect(result.status).toBe('SUCCEEDED');
    expect((await runtime.ledger.getStable(SEARCH))?.version).toBe('7');
  });
});

describe('a start input that is not an object', () => {
  it.each<[string, unknown]>([
    ['a string', 'hello'],
    ['an array', [1, 2, 3]],
    ['a number', 42],
    ['a boolean', true],
  ])('refuses %s with InvalidInputError naming the release input', async (_, input) => {
    const runtime = await newRuntime();
    const result = await runtime.engine.startExecution({ stateMachineArn: runtime.stateMachineArn, input }).result;
    const { error, cause } = failed(result);
    expect(error).toBe('InvalidInputError');
    expect(cause).toContain('release input: input: must be a JSON object');
    await untouched(runtime);
  });
});

describe('a migration that never finishes', () => {
  it('is stopped at its timeout and the release fails with MigrationTimedOut, nothing deployed, the lock free', async () => {
    const config = flowConfig({ migration: true });
    const migration = config.services[0]?.migration;
    if (migration === undefined) throw new Error('checkout has no migration');
    migration.timeoutSeconds = 1;
    const runtime = await newRuntime({ config, cloud: { migration: { exitCode: 0, checksToFinish: 'never' } } });
    const canary = recordCanaryWeights(runtime);
    const result = await runtime.startRelease(hostile('v2')).result;

    const { error, cause } = failed(result);
    expect(error).toBe('MigrationTimedOut');
    expect(cause).toMatch(/^migration task arn:aws:ecs:\S+ still running 1 s after it started \(deadline \S+\); it was stopped$/);
    // The simulated cloud shows the task stopped, with the reason, and no fleet was ever created.
    const tasks = [...runtime.cloud.migrations.values()];
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.stoppedReason).toMatch(/^rollgate: migration of release \w+ timed out after 1 s$/);
    expect(runtime.cloud.calls.filter((c) => c === 'migrator.stop')).toHaveLength(1);
    expect(runtime.cloud.calls).not.toContain('fleet.create');
    expect(canary.every((percent) => percent === 0)).toBe(true);
    expect(runtime.cloud.weightsOn(LISTENER)).toEqual(new Map([[TG_BLUE, 100], [TG_GREEN, 0]]));

    const release = await onlyRelease(runtime);
    expect(release).toMatchObject({ status: 'FAILED', outcome: 'MIGRATION_TIMED_OUT' });
    expect(release.newFleet).toBeUndefined();
    const types = (await runtime.ledger.listEvents(release)).map((e) => e.type);
    expect(types).toContain('MIGRATION_STARTED');
    expect(types.indexOf('MIGRATION_TIMED_OUT')).toBeGreaterThan(types.indexOf('MIGRATION_STARTED'));
    expect(types).not.toContain('MIGRATION_SUCCEEDED');
    expect(await runtime.ledger.getLock(CHECKOUT)).toBeUndefined();
    expect((await runtime.ledger.getStable(CHECKOUT))?.version).toBe('v1');
    await runtime.settled();
    expect(runtime.reconcileErrors).toEqual([]);
  }, 15_000);
});

/** The Step Functions history events of a local execution, from the states it entered and the retries it made. */
function stepFunctionsEvents(history: readonly ExecutionEvent[]): number {
  const callbackTasks = new Set(['Bake', 'Approval']);
  let events = 0;
  for (const event of history) {
    if (event.type === 'StateRetried') events += EVENTS_PER_RETRY;
    if (event.type !== 'StateEntered') continue;
    if (event.stateType === 'Task') events += callbackTasks.has(event.stateName ?? '') ? EVENTS_PER_ENTRY.callbackTask : EVENTS_PER_ENTRY.lambdaTask;
    else if (event.stateType === 'Fail') events += EVENTS_PER_ENTRY.fail;
    else events += EVENTS_PER_ENTRY.choice; // Choice, Wait and Succeed all write an Entered and an Exited event
  }
  return events + EXECUTION_EVENTS;
}

describe('the history arithmetic against a real run of the state machine', () => {
  it('predicts the events of a release with migration polls, health polls, a dark canary, an approval and a bake of 0', async () => {
    const runtime = await newRuntime({
      config: flowConfig({ migration: true }),
      cloud: { migration: { exitCode: 0, checksToFinish: 3 }, versions: { v2: { healthyAfterChecks: 3 } } },
      overrides: { taskTimeoutOverrides: { Bake: 5 } },
      // One throttled ShiftTraffic: its retry is counted too.
      faults: { ShiftTrafficFunctionArn: { times: 1, when: 'before' } },
    });
    const plan = {
      steps: [
        { type: 'traffic', weight: 10, bakeSeconds: 60 },
        { type: 'traffic', weight: 50, bakeSeconds: 0 },
        { type: 'approval', approvers: { users: ['U01ALICE'] } },
        { type: 'traffic', weight: 100, bakeSeconds: 60 },
      ],
      darkCanary: { headerName: 'x-rollgate-canary', headerValue: 'v2', priority: 5, smokeChecks: [{ path: '/healthz' }] },
    };
    const execution = runtime.startRelease(releaseInput('v2', { plan }));
    await decideFirstApproval(runtime, 'APPROVED', 'U01ALICE');
    const result = await execution.result;
    expect(result.status).toBe('SUCCEEDED');

    const history = execution.history();
    const entries = (name: string) => history.filter((e) => e.type === 'StateEntered' && e.stateName === name).length;
    expect([entries('CheckMigration'), entries('CheckHealth')]).toEqual([3, 3]);
    const retries = history.filter((e) => e.type === 'StateRetried').length;
    expect(retries).toBe(1);
    const predicted = releaseHistoryEvents({
      migrationChecks: 3,
      healthChecks: 3,
      darkCanary: true,
      steps: [{ type: 'traffic', bakeSeconds: 60 }, { type: 'traffic', bakeSeconds: 0 }, { type: 'approval' }, { type: 'traffic', bakeSeconds: 60 }],
      ending: 'released',
    });
    expect(stepFunctionsEvents(history)).toBe(predicted + retries * EVENTS_PER_RETRY);
  });
});
