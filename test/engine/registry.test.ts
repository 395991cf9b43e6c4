import { describe, expect, test } from 'vitest';
import { ExecutionAlreadyExistsError, ExecutionDoesNotExistError, InvalidInputError } from '../../functions/errors.js';
import { LocalExecutions, LocalStepFunctions } from '../../local/engine/index.js';
import type { ExecutionDescription } from '../../local/engine/index.js';
import { Inbox, fixture, functionArn, recordingCallbackHandler } from './helpers.js';
import type { CallbackEvent } from './helpers.js';

function setup() {
  const inbox = new Inbox<CallbackEvent>();
  const engine = new LocalStepFunctions({ handlers: { [functionArn('bake')]: recordingCallbackHandler(inbox) } });
  const machine = engine.createStateMachine({
    name: 'release',
    definition: fixture('callback.asl.json'),
    substitutions: { BakeFunctionArn: functionArn('bake') },
  });
  return { engine, inbox, machine };
}

describe('the execution registry', () => {
  test('describeExecution follows an execution from RUNNING to SUCCEEDED', async () => {
    const { engine, inbox, machine } = setup();

    const execution = engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'rel-1', input: { step: 1, bakeSeconds: 60 } });
    const { taskToken } = await inbox.next();

    expect(engine.describeExecution(execution.executionArn)).toMatchObject({
      executionArn: 'arn:aws:states:us-east-1:000000000000:execution:release:rel-1',
      stateMachineArn: machine.stateMachineArn,
      name: 'rel-1',
      status: 'RUNNING',
      stopDate: undefined,
      input: { step: 1, bakeSeconds: 60 },
    });

    await engine.callbacks.success(taskToken, { ok: true });
    await execution.result;

    const done = engine.describeExecution(execution.executionArn);
    expect(done).toMatchObject({ status: 'SUCCEEDED', output: { resumed: { ok: true } } });
    expect(done.stopDate).toBeInstanceOf(Date);
  });

  test('the local Executions port reports RUNNING, then the final status, and NOT_FOUND for an unknown ARN', async () => {
    const { engine, inbox, machine } = setup();
    const executions = new LocalExecutions(engine);

    const execution = engine.startExecution({ stateMachineArn: machine.stateMachineArn, input: { step: 1, bakeSeconds: 60 } });
    await inbox.next();
    expect(await executions.status(execution.executionArn)).toBe('RUNNING');

    execution.abort();
    expect(await executions.status(execution.executionArn)).toBe('ABORTED');
    expect(await executions.status(`${execution.executionArn}-other`)).toBe('NOT_FOUND');
  });

  test('an unknown execution ARN fails with ExecutionDoesNotExistError', () => {
    const { engine } = setup();

    expect(() => engine.describeExecution('arn:aws:states:us-east-1:000000000000:execution:release:nope')).toThrow(
      ExecutionDoesNotExistError,
    );
  });

  test('starting the same name with the same input while it runs returns the running execution', async () => {
    const { engine, inbox, machine } = setup();
    const input = { step: 1, bakeSeconds: 60 };

    const first = engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'sha256-abc', input });
    const again = engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'sha256-abc', input });

    expect(again).toBe(first);
    expect(() =>
      engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'sha256-abc', input: { step: 2, bakeSeconds: 60 } }),
    ).toThrow(ExecutionAlreadyExistsError);

    await engine.callbacks.success((await inbox.next()).taskToken, {});
    await first.result;
    expect(() => engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'sha256-abc', input })).toThrow(
      ExecutionAlreadyExistsError,
    );
  });

  test('execution names follow the Step Functions rules', () => {
    const { engine, machine } = setup();

    expect(() => engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'sha256:abc' })).toThrow(InvalidInputError);
    expect(() => engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'x'.repeat(81) })).toThrow(/1 to 80/);
  });

  test('an override for a state the machine does not have is refused', () => {
    const { engine, machine } = setup();

    expect(() =>
      engine.startExecution({ stateMachineArn: machine.stateMachineArn, overrides: { taskTimeoutOverrides: { Promoted: 5 } } }),
    ).toThrow(/"Promoted" is not a Task state/);
  });

  test('listExecutions lists newest first and filters by status; stopExecution aborts by ARN', async () => {
    const { engine, inbox, machine } = setup();
    const ended: ExecutionDescription[] = [];
    engine.onExecutionEnded((description) => {
      ended.push(description);
    });

    const kept = engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'kept', input: { step: 1, bakeSeconds: 60 } });
    const killed = engine.startExecution({ stateMachineArn: machine.stateMachineArn, name: 'killed', input: { step: 2, bakeSeconds: 60 } });
    await inbox.next();
    await inbox.next();
    engine.stopExecution(killed.executionArn, { error: 'Killed', cause: 'test' });
    await killed.result;

    expect(engine.listExecutions().map((execution) => execution.name)).toEqual(['killed', 'kept']);
    expect(engine.listExecutions({ statusFilter: 'RUNNING' }).map((execution) => execution.name)).toEqual(['kept']);
    expect(ended.map((execution) => [execution.name, execution.status, execution.error])).toEqual([['killed', 'ABORTED', 'Killed']]);

    kept.abort();
    await kept.result;
  });
});
