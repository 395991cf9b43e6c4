import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { expect } from 'vitest';
import { SfnExecutions } from '../../functions/adapters/aws/sfn-executions.js';
import { scenarios, type AwsMocks } from './harness.js';
import { awsError } from './fixtures.js';

const EXECUTION = 'arn:aws:states:us-east-1:111122223333:execution:release:01JABCDEFGHJKMNPQRSTVWXYZ0';
const executions = (aws: AwsMocks) => new SfnExecutions(aws.clients.sfn);

export const sfnExecutionsScenarios = scenarios('SfnExecutions', {
  'status reads the execution status': async (aws) => {
    aws.sfn.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' }).resolves({ status: 'ABORTED' });
    await expect(executions(aws).status(EXECUTION)).resolves.toBe('RUNNING');
    await expect(executions(aws).status(EXECUTION)).resolves.toBe('ABORTED');
    expect(aws.sfn.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn: EXECUTION });
  },

  'status of an execution Step Functions does not know is NOT_FOUND': async (aws) => {
    aws.sfn.on(DescribeExecutionCommand).rejects(awsError('ExecutionDoesNotExist'));
    await expect(executions(aws).status(EXECUTION)).resolves.toBe('NOT_FOUND');
  },

  'status refused for another reason fails with CloudProviderError': async (aws) => {
    aws.sfn.on(DescribeExecutionCommand).rejects(awsError('InvalidArn'));
    await expect(executions(aws).status('nope')).rejects.toMatchObject({
      name: 'CloudProviderError',
      operation: 'DescribeExecution',
      code: 'InvalidArn',
    });
  },
});
