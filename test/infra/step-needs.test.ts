/**
 * One registry: each Task state's function in infra/functions.ts names the
 * step it runs, and the step's `needs` (which type its dependencies and its
 * Lambda handler's wiring, functions/handlers/step-handler.ts) agree with the
 * port methods the function is granted (`uses`, proved against the code by
 * port-uses.test.ts): a need without a grant, or a grant no need explains,
 * fails here.
 */
import { describe, expect, it } from 'vitest';
import type { AwsPortName } from '../../functions/adapters/aws/grants.js';
import type { PortName } from '../../functions/steps/step.js';
import { TASK_FUNCTIONS } from '../../infra/functions.js';
import { STEP_FUNCTIONS } from '../../local/runtime.js';

/** The AWS ports behind each need: the Slack notifier posts with the bot token and shows the alarms' state. */
const PORTS_OF_NEED: Readonly<Record<PortName, readonly AwsPortName[]>> = {
  fleets: ['Fleet'],
  router: ['TrafficRouter'],
  alarms: ['AlarmSource'],
  migrator: ['Migrator'],
  callbacks: ['Callbacks'],
  executions: ['Executions'],
  notifier: ['SlackBotToken', 'AlarmSource'],
  // The dark canary's smoke checks are plain HTTP: no AWS port.
  smoke: [],
};

describe('the step registry', () => {
  it.each(TASK_FUNCTIONS.map((f) => [f.id, f] as const))('%s: the ports its step needs are exactly those it is granted', (_id, spec) => {
    const needed = new Set(spec.step.needs.flatMap((need) => PORTS_OF_NEED[need]));
    const granted = new Set(spec.uses.map((use) => use.split('.')[0]));
    expect([...granted].sort()).toEqual([...needed].sort());
  });

  it('feeds the local runtime: the same steps under the same ASL placeholders', () => {
    expect(Object.fromEntries(TASK_FUNCTIONS.map((f) => [f.substitution, f.step.name]))).toEqual(
      Object.fromEntries(Object.entries(STEP_FUNCTIONS).map(([substitution, step]) => [substitution, step.name])),
    );
  });
});
