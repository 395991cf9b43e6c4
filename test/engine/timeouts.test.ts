import { describe, expect, test } from 'vitest';
import { LocalStepFunctions } from '../../local/engine/index.js';
import { Inbox, fixture, functionArn, recordingCallbackHandler } from './helpers.js';
import type { CallbackEvent } from './helpers.js';

describe('heartbeats and execution timeouts', () => {
  function approvalEngine() {
    const inbox = new Inbox<CallbackEvent>();
    const engine = new LocalStepFunctions({ handlers: { [functionArn('approval')]: recordingCallbackHandler(inbox) } });
    const machine = engine.createStateMachine({
      name: 'approval',
      definition: fixture('heartbeat.asl.json'),
      substitutions: { ApprovalFunctionArn: functionArn('approval') },
    });
    return { engine, inbox, execution: engine.startExecution({ stateMachineArn: machine.stateMachineArn }) };
  }

  test('a callback task without a heartbeat within HeartbeatSeconds fails with States.HeartbeatTimeout', async () => {
    const { engine, inbox, execution } = approvalEngine();

    const { taskToken } = await inbox.next();
    const result = await execution.result;

    expect(result).toMatchObject({ status: 'FAILED', error: 'NoHeartbeat', cause: 'States.HeartbeatTimeout' });
    await expect(engine.callbacks.heartbeat(taskToken)).rejects.toThrow(/missed its heartbeat/);
  });

  test('heartbeats keep the task alive until the execution times out: TIMED_OUT, token closed', async () => {
    const { engine, inbox, execution } = approvalEngine();

    const { taskToken } = await inbox.next();
    const beat = setInterval(() => {
      engine.callbacks.heartbeat(taskToken).catch(() => undefined);
    }, 300);
    const result = await execution.result;
    clearInterval(beat);

    expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(engine.describeExecution(execution.executionArn).status).toBe('TIMED_OUT');
    await expect(engine.callbacks.success(taskToken, {})).rejects.toThrow(/ended TIMED_OUT/);
  });
});
