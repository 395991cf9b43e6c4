/**
 * Configurations of any number of services, for the scale bench and tests
 * (synth time, template and policy sizes, config load, many concurrent
 * releases): a deterministic mix of what a real install onboards — ECS
 * services (two of three) and Auto Scaling group services, behind listener
 * default actions or listener rules of shared load balancers, with one to
 * three alarms each, migrations, image-push and build triggers, dark canaries
 * and approval steps. The same `count` and options always give the same
 * configuration, valid against functions/config.ts.
 */
import { parseConfig, type RollgateConfig, type RollgateConfigInput, type ServiceConfigInput } from '../functions/config.js';

/** How {@link generateConfig} builds its services. */
export interface GenerateConfigOptions {
  /**
   * The AWS account id every ARN names.
   * @default '123456789012'
   */
  readonly account?: string;
  /**
   * The region every ARN names.
   * @default 'eu-west-1'
   */
  readonly region?: string;
  /**
   * The environment of every service.
   * @default 'prod'
   */
  readonly environment?: string;
  /**
   * Whether every fifth service's plan has an approval step (and the
   * configuration names the Slack app approvals need). Without, no plan asks
   * for approval and the approval functions are not deployed.
   * @default true
   */
  readonly approvals?: boolean;
  /**
   * Services per shared load balancer listener: the first is on the listener's
   * default action, the others each on a listener rule (an ALB listener takes
   * up to 100 rules: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
   * @default 50
   */
  readonly servicesPerListener?: number;
}

/** Kinds of service in the mix, by index: two ECS services, then an Auto Scaling group service. */
export type GeneratedKind = 'ecs' | 'asg';

/** The kind of the `index`th generated service (0-based). */
export function generatedKind(index: number): GeneratedKind {
  return index % 3 === 2 ? 'asg' : 'ecs';
}

/** The name of the `index`th generated service (0-based) out of `count`: `svc-0001`, zero-padded to at least four digits. */
export function generatedServiceName(index: number, count: number): string {
  return `svc-${String(index + 1).padStart(Math.max(4, String(count).length), '0')}`;
}

/** `width` hex digits derived from `n` and a salt: distinct, deterministic resource ids. */
function hex(n: number, salt: number, width: number): string {
  return ((n + 1) * 0x9e3779b1 + salt * 0x85ebca77).toString(16).padStart(width, '0').slice(-width);
}

/** A valid configuration of `count` services (see the module comment); refused below one service, as the schema refuses. */
export function generateConfigInput(count: number, options: GenerateConfigOptions = {}): RollgateConfigInput {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`count must be a whole number of services, at least 1, got ${String(count)}`);
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'eu-west-1';
  const environment = options.environment ?? 'prod';
  const approvals = options.approvals ?? true;
  const perListener = options.servicesPerListener ?? 50;
  const elb = `arn:aws:elasticloadbalancing:${region}:${account}`;
  const ecr = `${account}.dkr.ecr.${region}.amazonaws.com`;
  const role = (name: string) => `arn:aws:iam::${account}:role/${name}`;

  const service = (index: number): ServiceConfigInput => {
    const name = generatedServiceName(index, count);
    const lb = Math.floor(index / perListener);
    const onRule = index % perListener !== 0;
    const lbPath = `app/web-${String(lb)}/${hex(lb, 1, 16)}/${hex(lb, 2, 16)}`;
    const subnets = [`subnet-${hex(index % 3, 3, 17)}`, `subnet-${hex((index % 3) + 3, 3, 17)}`];
    const alarms = Array.from({ length: 1 + (index % 3) }, (_, a) => `${name}-${environment}-${['5xx', 'p99-latency', 'errors'][a] ?? 'alarm'}`);
    const asksApproval = approvals && index % 5 === 4;
    const fleet: ServiceConfigInput['fleet'] =
      generatedKind(index) === 'ecs'
        ? {
            kind: 'ecs',
            cluster: `cluster-${String(index % 10)}`,
            service: name,
            containerName: 'app',
            containerPort: 8080,
            imageRepository: `${ecr}/${name}`,
            taskRoleArns: [role(`${name}-task`), role(`${name}-task-execution`)],
          }
        : {
            kind: 'asg',
            launchTemplateId: `lt-${hex(index, 4, 17)}`,
            groupNamePrefix: `${name}-${environment}`,
            subnetIds: subnets,
            instanceRoleArns: index % 2 === 0 ? [role(`${name}-instance`)] : [],
          };
    return {
      service: name,
      environment,
      fleet,
      traffic: {
        listenerArn: `${elb}:listener/${lbPath}`,
        ...(onRule ? { ruleArn: `${elb}:listener-rule/${lbPath}/${hex(index, 5, 16)}` } : {}),
        targetGroupArns: [`${elb}:targetgroup/${name}-blue/${hex(index, 6, 16)}`, `${elb}:targetgroup/${name}-green/${hex(index, 7, 16)}`],
        ...(index % 4 === 1 ? { stickiness: { enabled: true, durationSeconds: 300 } } : {}),
        publicUrl: `https://${name}.example.com`,
      },
      alarms,
      ...(fleet.kind === 'ecs' && index % 4 === 0
        ? {
            migration: {
              cluster: fleet.cluster,
              taskDefinition: `${name}-migrate`,
              containerName: 'migrate',
              imageRepository: fleet.imageRepository,
              subnetIds: subnets,
              securityGroupIds: [`sg-${hex(index % 7, 8, 17)}`],
              command: ['npm', 'run', 'migrate'],
              taskRoleArns: [role(`${name}-migrate-task`), role(`${name}-task-execution`)],
            },
          }
        : {}),
      ...(index % 6 === 5 ? {} : { buildTrigger: fleet.kind === 'ecs' ? { ecrRepository: name } : { codeBuildProject: `${name}-build` } }),
      plan: {
        steps: [
          { type: 'traffic', weight: 10, bakeSeconds: 300 },
          { type: 'traffic', weight: 50, bakeSeconds: 600 },
          ...(asksApproval ? [{ type: 'approval' as const, approvers: { users: ['U01ALICE', 'U02BOB'], groups: ['S0RELEASEMGR'] }, timeoutSeconds: 86_400 }] : []),
          { type: 'traffic', weight: 100, bakeSeconds: 600 },
        ],
        ...(onRule && fleet.kind === 'ecs' && index % 7 === 1
          ? { darkCanary: { headerName: 'X-Canary', headerValue: name, priority: 1 + (index % perListener), smokeChecks: [{ path: '/healthz', expectStatus: 200 }] } }
          : {}),
      },
      healthGate: { timeoutSeconds: 600, intervalSeconds: 15 },
      terminationWaitSeconds: 300,
      ...(asksApproval ? { approvals: { fourEyes: true } } : {}),
    };
  };

  return {
    services: Array.from({ length: count }, (_, i) => service(i)),
    ...(approvals
      ? { slack: { botTokenSecretName: 'rollgate/slack-bot-token', signingSecretName: 'rollgate/slack-signing', channel: 'C0RELEASES1', teamId: 'T0EXAMPLE1' } }
      : {}),
  };
}

/** {@link generateConfigInput}, validated and with its defaults filled in: what the stack and the functions get. */
export function generateConfig(count: number, options: GenerateConfigOptions = {}): RollgateConfig {
  return parseConfig(generateConfigInput(count, options));
}
