/**
 * The sample configuration: one ECS service and one Auto Scaling group
 * service, and the Slack app of approvals, with made-up account ids, ARNs and
 * Slack ids. The local runtime and the tests
 * run releases of these services against the simulated cloud, and `npm run
 * synth` deploys them when no other configuration is given (infra/app.ts).
 */
import type { RollgateConfigInput, ServiceConfigInput, SlackConfigInput } from '../functions/config.js';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const elb = (resource: string) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:${resource}`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

/** An ECS service (EXTERNAL deployment controller) with a migration and an approval in its plan. */
export const CHECKOUT_SERVICE = {
  service: 'checkout',
  environment: 'prod',
  fleet: {
    kind: 'ecs',
    cluster: 'prod',
    service: 'checkout',
    containerName: 'app',
    containerPort: 8080,
    imageRepository: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/checkout`,
    taskRoleArns: [role('checkout-task'), role('checkout-task-execution')],
  },
  traffic: {
    listenerArn: elb('listener/app/prod-web/50dc6c495c0c9188/f2f7dc8efc522ab2'),
    targetGroupArns: [elb('targetgroup/checkout-prod-blue/73e2d6bc24d8a067'), elb('targetgroup/checkout-prod-green/8a3e6d2b1c0f4e55')],
    publicUrl: 'https://checkout.example.com',
  },
  alarms: ['checkout-prod-5xx', 'checkout-prod-p99-latency'],
  migration: {
    cluster: 'prod',
    taskDefinition: 'checkout-migrate',
    containerName: 'migrate',
    imageRepository: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/checkout`,
    subnetIds: ['subnet-0a1b2c3d4e5f60718'],
    securityGroupIds: ['sg-0123456789abcdef0'],
    command: ['npm', 'run', 'migrate'],
    taskRoleArns: [role('checkout-migrate-task'), role('checkout-task-execution')],
  },
  // Every image pushed to the checkout repository is released, by digest.
  buildTrigger: { ecrRepository: 'checkout' },
  plan: {
    steps: [
      { type: 'traffic', weight: 10, bakeSeconds: 300 },
      { type: 'traffic', weight: 50, bakeSeconds: 600 },
      { type: 'approval', approvers: { users: ['U01ALICE', 'U02BOB'], groups: ['S0RELEASEMGR'] }, timeoutSeconds: 86_400 },
      { type: 'traffic', weight: 100, bakeSeconds: 600 },
    ],
  },
  healthGate: { timeoutSeconds: 600, intervalSeconds: 15 },
  terminationWaitSeconds: 900,
  // Checkout's approvals go to its own channel; four-eyes stays on (the default).
  approvals: { slackChannel: 'C0CHECKOUT1' },
} satisfies ServiceConfigInput;

/** An Auto Scaling group service behind a listener rule, with stickiness. */
export const SEARCH_SERVICE = {
  service: 'search',
  environment: 'prod',
  fleet: {
    kind: 'asg',
    launchTemplateId: 'lt-0abc1234def567890',
    groupNamePrefix: 'search-prod',
    subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
    instanceRoleArns: [role('search-instance')],
  },
  traffic: {
    listenerArn: elb('listener/app/prod-web/50dc6c495c0c9188/f2f7dc8efc522ab2'),
    ruleArn: elb('listener-rule/app/prod-web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee'),
    targetGroupArns: [elb('targetgroup/search-prod-blue/1a2b3c4d5e6f7a8b'), elb('targetgroup/search-prod-green/8b7a6f5e4d3c2b1a')],
    stickiness: { enabled: true, durationSeconds: 300 },
  },
  alarms: ['search-prod-5xx'],
  // The AMI build exports the launch template version it created as ROLLGATE_VERSION.
  buildTrigger: { codeBuildProject: 'search-ami-build' },
  plan: {
    steps: [
      { type: 'traffic', weight: 25, bakeSeconds: 300 },
      { type: 'traffic', weight: 100, bakeSeconds: 300 },
    ],
  },
} satisfies ServiceConfigInput;

/** The Slack app approvals go through (made-up ids); one secret holds its bot token, another its signing secret and the link key. */
export const SAMPLE_SLACK = {
  botTokenSecretName: 'rollgate/slack-bot-token',
  signingSecretName: 'rollgate/slack-signing',
  channel: 'C0RELEASES1',
  teamId: 'T0EXAMPLE1',
} satisfies SlackConfigInput;

export const SAMPLE_CONFIG: RollgateConfigInput = { services: [CHECKOUT_SERVICE, SEARCH_SERVICE], slack: SAMPLE_SLACK };
