import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ReleaseOrchestrator, type ReleaseOrchestratorProps } from './release-orchestrator.js';

/** Properties of a {@link RollgateStack}. */
export interface RollgateStackProps extends StackProps {
  /** Configuration of the release orchestrator the stack holds; `config` lists the onboarded services. */
  readonly orchestrator: ReleaseOrchestratorProps;
}

/**
 * The stack `cdk deploy` puts into the platform team's account: one
 * {@link ReleaseOrchestrator}. Leave `env` unset to keep it
 * environment-agnostic, so synth needs neither credentials nor lookups.
 */
export class RollgateStack extends Stack {
  /** The orchestrator this stack deploys. */
  public readonly orchestrator: ReleaseOrchestrator;

  public constructor(scope: Construct, id: string, props: RollgateStackProps) {
    super(scope, id, {
      description: 'rollgate: release orchestrator and its control API',
      ...props,
    });
    this.orchestrator = new ReleaseOrchestrator(this, 'Orchestrator', props.orchestrator);
    new CfnOutput(this, 'StateMachineArn', {
      description: 'Start a release: aws stepfunctions start-execution --state-machine-arn <this> --input <release input>',
      value: this.orchestrator.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'LedgerTableName', {
      description: 'The release ledger',
      value: this.orchestrator.ledgerTable.tableName,
    });
    new CfnOutput(this, 'DeadLetterAlarmName', {
      description: 'In ALARM when an event reached the dead-letter queue after every retry (e.g. an alarm the alarm handler never took): subscribe your on-call to it',
      value: this.orchestrator.deadLetterAlarm.alarmName,
    });
    // The CLI reads the endpoint from this output's name (`rollgate --endpoint`, ROLLGATE_ENDPOINT);
    // the exports let another stack attach the policies to its roles and groups.
    const control = this.orchestrator.controlApi;
    new CfnOutput(this, 'ControlApiEndpoint', {
      description: 'The control API (IAM-authorized): rollgate --endpoint <this>, or ROLLGATE_ENDPOINT=<this>',
      value: control.endpoint,
      exportName: `${this.stackName}-ControlApiEndpoint`,
    });
    new CfnOutput(this, 'ReadOnlyPolicyArn', {
      description: 'Managed policy: the control API read routes (status, history, releases, approvals, locks). Attach to who may look',
      value: control.readOnlyPolicy.managedPolicyArn,
      exportName: `${this.stackName}-ReadOnlyPolicyArn`,
    });
    new CfnOutput(this, 'OperatorPolicyArn', {
      description: 'Managed policy: every control API route (start, promote, abort, roll back, approve, reject, take over a lock). Attach to operators',
      value: control.operatorPolicy.managedPolicyArn,
      exportName: `${this.stackName}-OperatorPolicyArn`,
    });
    const approvalApi = this.orchestrator.approvalApi;
    if (approvalApi !== undefined) {
      new CfnOutput(this, 'SlackInteractivityRequestUrl', {
        description: "Paste into the Slack app's Interactivity & Shortcuts settings as the Request URL",
        value: approvalApi.slackInteractivityUrl,
      });
    }
  }
}
