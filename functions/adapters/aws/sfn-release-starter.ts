/**
 * Starting a release: StartExecution of the release state machine under a
 * name derived from the build. A second request for the same name starts
 * nothing: Step Functions answers a running execution with the same input as
 * a success, and anything else of that name with ExecutionAlreadyExists, which
 * is reported here as "already started".
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 */
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ReleaseInput } from '../../steps/preflight.js';
import { callAws } from './errors.js';
import { SAR, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';
import type { SfnCallbacksIamScope } from './sfn-callbacks.js';

/** The IAM permissions {@link SfnReleaseStarter} uses. */
export const SFN_RELEASE_STARTER_IAM: readonly IamGrant<SfnCallbacksIamScope>[] = [
  {
    actions: ['states:StartExecution'],
    resources: (s) => [s.stateMachineArn],
    why: `executions of the release state machine only: ${SAR.states}`,
  },
];

/** One execution to start: its (deterministic) name and the release input. */
export interface ReleaseExecution {
  readonly executionName: string;
  readonly input: ReleaseInput;
}

/** What became of a start request. */
export type StartOutcome =
  | { readonly started: true; readonly executionArn: string }
  | { readonly started: false; readonly executionName: string; readonly reason: string };

/** Starting releases: the port of the build trigger. */
export interface ReleaseStarter {
  start(release: ReleaseExecution): Promise<StartOutcome>;
}

/** What each {@link SfnReleaseStarter} method sends. */
export const SFN_RELEASE_STARTER_METHODS: MethodActions<MethodsOf<ReleaseStarter>> = {
  start: ['states:StartExecution'],
};

/** Starts release executions with the Step Functions API. */
export class SfnReleaseStarter implements ReleaseStarter {
  public constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  public async start(release: ReleaseExecution): Promise<StartOutcome> {
    return callAws(
      'states',
      'StartExecution',
      async (): Promise<StartOutcome> => {
        const out = await this.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: this.stateMachineArn,
            name: release.executionName,
            input: JSON.stringify(release.input),
          }),
        );
        return { started: true, executionArn: out.executionArn ?? release.executionName };
      },
      (code, error) =>
        code === 'ExecutionAlreadyExists'
          ? { value: { started: false, executionName: release.executionName, reason: `already started: ${error.message}` } }
          : undefined,
    );
  }
}
