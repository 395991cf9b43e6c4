/**
 * Executions on Step Functions: whether a release's execution is still alive
 * (the reconciler's question).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeExecution.html
 */
import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { CloudProviderError } from '../../errors.js';
import type { ExecutionStatus, Executions } from '../../ports.js';
import { callAws } from './errors.js';
import { SAR, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';
import type { SfnCallbacksIamScope } from './sfn-callbacks.js';

/** The configuration the executions' permissions are scoped by: the release state machine. */
export type SfnExecutionsIamScope = SfnCallbacksIamScope;

/** `...:stateMachine:release` → `...:execution:release:*`: every execution of that state machine. */
const executionsOf = (stateMachineArn: string) => `${stateMachineArn.replace(':stateMachine:', ':execution:')}:*`;

/** The IAM permissions {@link SfnExecutions} uses. */
export const SFN_EXECUTIONS_IAM: readonly IamGrant<SfnExecutionsIamScope>[] = [
  {
    actions: ['states:DescribeExecution'],
    resources: (s) => [executionsOf(s.stateMachineArn)],
    why: `executions of the release state machine only: ${SAR.states}`,
  },
];

/** What each {@link SfnExecutions} method sends. */
export const SFN_EXECUTIONS_METHODS: MethodActions<MethodsOf<Executions>> = {
  status: ['states:DescribeExecution'],
};

const STATUSES: ReadonlySet<string> = new Set<ExecutionStatus>([
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
]);

/** Reads execution status from Step Functions. */
export class SfnExecutions implements Executions {
  public constructor(private readonly sfn: SFNClient) {}

  /** The execution's status; an execution Step Functions does not know is 'NOT_FOUND'. */
  public async status(executionArn: string): Promise<ExecutionStatus | 'NOT_FOUND'> {
    const out = await callAws(
      'states',
      'DescribeExecution',
      () => this.sfn.send(new DescribeExecutionCommand({ executionArn })),
      (code) => (code === 'ExecutionDoesNotExist' ? { value: undefined } : undefined),
    );
    if (out === undefined) return 'NOT_FOUND';
    const status = out.status;
    if (status === undefined || !STATUSES.has(status)) {
      throw new CloudProviderError('states', 'DescribeExecution', 'UnknownStatus', `status ${status ?? 'missing'}`);
    }
    return status;
  }
}
