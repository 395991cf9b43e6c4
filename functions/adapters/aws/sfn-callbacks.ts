/**
 * Callbacks on Step Functions: resuming a flow waiting on a task token.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html
 */
import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { TaskAlreadyClosedError } from '../../errors.js';
import type { Callbacks } from '../../ports.js';
import { callAws, type AwsServiceError } from './errors.js';
import { SAR, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** The configuration the callbacks' permissions are scoped by. */
export interface SfnCallbacksIamScope {
  /** The release state machine. */
  readonly stateMachineArn: string;
}

/** The IAM permissions {@link SfnCallbacks} uses. */
export const SFN_CALLBACKS_IAM: readonly IamGrant<SfnCallbacksIamScope>[] = [
  {
    actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
    // The same scope as CDK's StateMachine.grantTaskResponse.
    resources: (s) => [s.stateMachineArn],
    why: `task responses for the release state machine only: ${SAR.states}`,
  },
];

/** What each {@link SfnCallbacks} method sends. */
export const SFN_CALLBACKS_METHODS: MethodActions<MethodsOf<Callbacks>> = {
  success: ['states:SendTaskSuccess'],
  failure: ['states:SendTaskFailure'],
};

/**
 * The three answers that mean the token no longer waits: it timed out, its
 * execution or task is gone (or was already answered), or it is not a token.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html#API_SendTaskFailure_Errors
 */
const CLOSED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** SendTaskFailure limits: error up to 256 characters, cause up to 32768. */
const MAX_ERROR = 256;
const MAX_CAUSE = 32_768;

const closed = (code: string, error: AwsServiceError) =>
  CLOSED.has(code) ? new TaskAlreadyClosedError(`${code}: ${error.message}`, { cause: error }) : undefined;

/** Answers task tokens with the Step Functions API. */
export class SfnCallbacks implements Callbacks {
  public constructor(private readonly sfn: SFNClient) {}

  public async success(taskToken: string, output: Record<string, unknown>): Promise<void> {
    await callAws(
      'states',
      'SendTaskSuccess',
      async () => {
        await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      },
      closed,
    );
  }

  public async failure(taskToken: string, error: string, cause: string): Promise<void> {
    await callAws(
      'states',
      'SendTaskFailure',
      async () => {
        await this.sfn.send(
          new SendTaskFailureCommand({ taskToken, error: error.slice(0, MAX_ERROR), cause: cause.slice(0, MAX_CAUSE) }),
        );
      },
      closed,
    );
  }

}
