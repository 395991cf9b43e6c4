/**
 * Shared harness of the AWS adapter tests: real SDK clients (fake credentials,
 * a fake region, instance-level mocks so nothing can reach AWS) and
 * scenarios that both the adapter test files and the least-privilege test run.
 *
 * Each adapter's scenarios live in `<adapter>.scenarios.ts`; `<adapter>.test.ts`
 * runs them as tests, and `least-privilege.test.ts` imports every scenario
 * module and runs them all again while recording each command sent, so the
 * proof does not depend on which worker ran which test file.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { it } from 'vitest';
import type { AwsAdapterName } from '../../functions/adapters/aws/grants.js';

const clientConfig = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
  maxAttempts: 1,
};

/** Fresh clients with their mocks; one set per scenario, so no state leaks between scenarios. */
export function awsMocks() {
  const clients = {
    ecs: new ECSClient(clientConfig),
    elb: new ElasticLoadBalancingV2Client(clientConfig),
    autoscaling: new AutoScalingClient(clientConfig),
    cloudwatch: new CloudWatchClient(clientConfig),
    sfn: new SFNClient(clientConfig),
    secretsmanager: new SecretsManagerClient(clientConfig),
    eventbridge: new EventBridgeClient(clientConfig),
  };
  return {
    clients,
    ecs: mockClient(clients.ecs),
    elb: mockClient(clients.elb),
    autoscaling: mockClient(clients.autoscaling),
    cloudwatch: mockClient(clients.cloudwatch),
    sfn: mockClient(clients.sfn),
    secretsmanager: mockClient(clients.secretsmanager),
    eventbridge: mockClient(clients.eventbridge),
  };
}
export type AwsMocks = ReturnType<typeof awsMocks>;

/** The IAM service prefix of each mocked client. */
export const IAM_PREFIX = {
  ecs: 'ecs',
  elb: 'elasticloadbalancing',
  autoscaling: 'autoscaling',
  cloudwatch: 'cloudwatch',
  sfn: 'states',
  secretsmanager: 'secretsmanager',
  eventbridge: 'events',
} as const;

/**
 * Every command sent through the mocks, in order, as the IAM action it needs:
 * `<prefix>:<CommandName minus "Command">` (e.g. `ecs:CreateTaskSet`).
 */
export function sentActions(aws: AwsMocks): string[] {
  type Call = ReturnType<AwsMocks['ecs']['calls']>[number];
  const sent: { call: Call; action: string }[] = [];
  for (const key of Object.keys(IAM_PREFIX) as (keyof typeof IAM_PREFIX)[]) {
    for (const call of aws[key].calls() as Call[]) {
      const name = (call.args[0] as object).constructor.name.replace(/Command$/, '');
      sent.push({ call, action: `${IAM_PREFIX[key]}:${name}` });
    }
  }
  // Sinon orders calls across all stubs, so commands to different clients keep their real order.
  return sent.sort((a, b) => (a.call.calledBefore(b.call) ? -1 : 1)).map((s) => s.action);
}

/** One behaviour of one adapter, with its own assertions. */
export interface Scenario {
  readonly adapter: AwsAdapterName;
  readonly name: string;
  readonly run: (aws: AwsMocks) => Promise<void>;
}

/** Names an adapter's scenarios; the object keys become test names. */
export function scenarios(
  adapter: AwsAdapterName,
  cases: Record<string, (aws: AwsMocks) => Promise<void>>,
): Scenario[] {
  return Object.entries(cases).map(([name, run]) => ({ adapter, name, run }));
}

/** Registers each scenario as a test with fresh mocks. */
export function runScenarios(list: readonly Scenario[]): void {
  for (const s of list) {
    it(s.name, async () => {
      await s.run(awsMocks());
    });
  }
}
