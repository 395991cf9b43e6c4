import { ECSServiceException, TaskSetNotFoundException } from '@aws-sdk/client-ecs';
import { SFNServiceException } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { callAws, toDomainError } from '../../functions/adapters/aws/errors.js';
import { awsClientConfig } from '../../functions/adapters/aws/client-config.js';
import { CloudProviderError, FleetNotFoundError, TrafficConfigError } from '../../functions/errors.js';

describe('AWS SDK errors become named rollgate errors', () => {
  it('a real SDK client exception becomes CloudProviderError naming service, operation and code', () => {
    const sdk = new TaskSetNotFoundException({ message: 'The specified task set does not exist.', $metadata: {} });
    const error = toDomainError('ecs', 'DeleteTaskSet', sdk);
    expect(error).toBeInstanceOf(CloudProviderError);
    expect(error).toMatchObject({
      name: 'CloudProviderError',
      service: 'ecs',
      operation: 'DeleteTaskSet',
      code: 'TaskSetNotFoundException',
      message: 'ecs DeleteTaskSet failed: TaskSetNotFoundException: The specified task set does not exist.',
      cause: sdk,
    });
  });

  it('throttling, server faults and network failures become CloudProviderUnavailableError', () => {
    const throttled = new ECSServiceException({ name: 'ThrottlingException', $fault: 'client', $metadata: {}, message: 'Rate exceeded' });
    const server = new SFNServiceException({ name: 'InternalFailure', $fault: 'server', $metadata: {}, message: 'oops' });
    const network = Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    const provisioned = new ECSServiceException({ name: 'ProvisionedThroughputExceededException', $fault: 'client', $metadata: {}, message: 'too fast' });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' });
    for (const [error, code] of [
      [throttled, 'ThrottlingException'],
      [server, 'InternalFailure'],
      [network, 'TimeoutError'],
      [provisioned, 'ProvisionedThroughputExceededException'],
      [refused, 'ECONNREFUSED'],
    ] as const) {
      expect(toDomainError('ecs', 'RunTask', error)).toMatchObject({ name: 'CloudProviderUnavailableError', code });
    }
  });

  it('rollgate errors pass through unchanged; non-errors are wrapped', () => {
    const own = new TrafficConfigError('no');
    expect(toDomainError('elasticloadbalancing', 'ModifyRule', own)).toBe(own);
    expect(toDomainError('ecs', 'RunTask', 'boom')).toMatchObject({ name: 'CloudProviderError', code: 'Unknown' });
  });

  it('callAws lets a handler turn a code into a value or a more specific error', async () => {
    const gone = new TaskSetNotFoundException({ message: 'gone', $metadata: {} });
    await expect(callAws('ecs', 'DeleteTaskSet', () => Promise.reject(gone), () => ({ value: 'ok' }))).resolves.toBe('ok');
    await expect(
      callAws('ecs', 'X', () => Promise.reject(gone), (_code, e) => new FleetNotFoundError('ts-1', { cause: e })),
    ).rejects.toMatchObject({ name: 'FleetNotFoundError', cause: gone });
    await expect(callAws('ecs', 'X', () => Promise.reject(gone), () => undefined)).rejects.toMatchObject({
      name: 'CloudProviderError',
      code: 'TaskSetNotFoundException',
    });
  });

  it('clients retry transient errors themselves: 5 attempts, adaptive mode', () => {
    expect(awsClientConfig).toEqual({ maxAttempts: 5, retryMode: 'adaptive' });
  });
});
