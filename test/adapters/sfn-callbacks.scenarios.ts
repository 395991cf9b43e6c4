import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { expect } from 'vitest';
import { SfnCallbacks } from '../../functions/adapters/aws/sfn-callbacks.js';
import { scenarios, type AwsMocks } from './harness.js';
import { awsError } from './fixtures.js';

const callbacks = (aws: AwsMocks) => new SfnCallbacks(aws.clients.sfn);
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAQ-test-token';

export const sfnCallbacksScenarios = scenarios('SfnCallbacks', {
  'success sends the output as JSON': async (aws) => {
    aws.sfn.on(SendTaskSuccessCommand).resolves({});
    await callbacks(aws).success(TOKEN, { outcome: 'PROMOTE_NOW', by: 'ana' });
    expect(aws.sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: TOKEN,
      output: '{"outcome":"PROMOTE_NOW","by":"ana"}',
    });
  },

  'failure sends the named error and its cause, cut to the API limits': async (aws) => {
    aws.sfn.on(SendTaskFailureCommand).resolves({});
    await callbacks(aws).failure(TOKEN, 'AlarmFired', 'api-5xx is in ALARM');
    await callbacks(aws).failure(TOKEN, 'E'.repeat(300), 'c'.repeat(40_000));
    const [first, second] = aws.sfn.commandCalls(SendTaskFailureCommand).map((c) => c.args[0].input);
    expect(first).toEqual({ taskToken: TOKEN, error: 'AlarmFired', cause: 'api-5xx is in ALARM' });
    expect(second?.error).toHaveLength(256);
    expect(second?.cause).toHaveLength(32_768);
  },

  'TaskTimedOut, TaskDoesNotExist and InvalidToken become TaskAlreadyClosedError on every call': async (aws) => {
    for (const code of ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']) {
      aws.sfn.on(SendTaskSuccessCommand).rejects(awsError(code));
      aws.sfn.on(SendTaskFailureCommand).rejects(awsError(code));
      const closed = { name: 'TaskAlreadyClosedError', message: expect.stringContaining(code) as unknown };
      await expect(callbacks(aws).success(TOKEN, {})).rejects.toMatchObject(closed);
      await expect(callbacks(aws).failure(TOKEN, 'E', 'c')).rejects.toMatchObject(closed);
    }
  },

  'an output Step Functions refuses fails with CloudProviderError InvalidOutput': async (aws) => {
    aws.sfn.on(SendTaskSuccessCommand).rejects(awsError('InvalidOutput'));
    await expect(callbacks(aws).success(TOKEN, {})).rejects.toMatchObject({
      name: 'CloudProviderError',
      service: 'states',
      operation: 'SendTaskSuccess',
      code: 'InvalidOutput',
    });
  },
});
