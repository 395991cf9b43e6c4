import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { expect } from 'vitest';
import { SfnReleaseStarter } from '../../functions/adapters/aws/sfn-release-starter.js';
import { scenarios, type AwsMocks } from './harness.js';
import { ACCOUNT, DIGEST, awsError } from './fixtures.js';

const MACHINE = `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:release`;
const RELEASE = {
  executionName: 'checkout-prod-0123456789abcdef0123456789abcdef',
  input: { service: 'checkout', environment: 'prod', version: DIGEST, trigger: { source: 'ecr', buildId: `checkout@${DIGEST}` } },
};
const starter = (aws: AwsMocks) => new SfnReleaseStarter(aws.clients.sfn, MACHINE);

export const sfnReleaseStarterScenarios = scenarios('SfnReleaseStarter', {
  'start starts an execution of the release state machine under the given name, with the release input as JSON': async (aws) => {
    const executionArn = `arn:aws:states:us-east-1:${ACCOUNT}:execution:release:${RELEASE.executionName}`;
    aws.sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date() });
    await expect(starter(aws).start(RELEASE)).resolves.toEqual({ started: true, executionArn });
    expect(aws.sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: MACHINE,
      name: RELEASE.executionName,
      input: JSON.stringify(RELEASE.input),
    });
  },

  'start of a name already used reports "already started" and starts nothing': async (aws) => {
    aws.sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists', 'Execution Already Exists'));
    await expect(starter(aws).start(RELEASE)).resolves.toEqual({
      started: false,
      executionName: RELEASE.executionName,
      reason: 'already started: Execution Already Exists',
    });
  },

  'start refused for another reason fails with CloudProviderError; throttling with CloudProviderUnavailableError': async (aws) => {
    aws.sfn.on(StartExecutionCommand).rejectsOnce(awsError('StateMachineDoesNotExist')).rejectsOnce(awsError('ThrottlingException'));
    await expect(starter(aws).start(RELEASE)).rejects.toMatchObject({ name: 'CloudProviderError', operation: 'StartExecution', code: 'StateMachineDoesNotExist' });
    await expect(starter(aws).start(RELEASE)).rejects.toMatchObject({ name: 'CloudProviderUnavailableError', code: 'ThrottlingException' });
  },
});
