/**
 * The local `Executions` port: execution status from the local engine's
 * registry, as the AWS adapter reads it from DescribeExecution.
 */
import { ExecutionDoesNotExistError } from '../../functions/errors.js';
import type { ExecutionStatus, Executions } from '../../functions/ports.js';
import type { LocalStepFunctions } from './local-step-functions.js';

/** Reads execution status from a {@link LocalStepFunctions}; an unknown ARN is 'NOT_FOUND'. */
export class LocalExecutions implements Executions {
  public constructor(private readonly engine: LocalStepFunctions) {}

  public status(executionArn: string): Promise<ExecutionStatus | 'NOT_FOUND'> {
    try {
      return Promise.resolve(this.engine.describeExecution(executionArn).status);
    } catch (error) {
      if (error instanceof ExecutionDoesNotExistError) return Promise.resolve('NOT_FOUND');
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
