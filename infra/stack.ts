import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ReleaseOrchestrator, type ReleaseOrchestratorProps } from './release-orchestrator.js';

/** Properties of a {@link RollgateStack}. */
export interface RollgateStackProps extends StackProps {
  /**
   * Configuration of the release orchestrator the stack holds.
   *
   * @default - the orchestrator's own defaults
   */
  readonly orchestrator?: ReleaseOrchestratorProps;
}

/**
 * The stack `cdk deploy` puts into the platform team's account: one
 * {@link ReleaseOrchestrator}. Leave `env` unset to keep it
 * environment-agnostic, so synth needs neither credentials nor lookups.
 */
export class RollgateStack extends Stack {
  /** The orchestrator this stack deploys. */
  public readonly orchestrator: ReleaseOrchestrator;

  public constructor(scope: Construct, id: string, props: RollgateStackProps = {}) {
    super(scope, id, {
      description: 'rollgate: release orchestrator',
      ...props,
    });
    this.orchestrator = new ReleaseOrchestrator(this, 'Orchestrator', props.orchestrator);
  }
}
