/**
 * The IAM permissions each AWS adapter needs, exported next to the adapter:
 * its grants (actions and how they are scoped) and, per port method, the
 * actions that method needs ({@link MethodActions}). The stack grants every
 * function the actions of the methods it calls and nothing else, and tests
 * prove nothing is missing and nothing is extra (test/adapters/least-privilege.test.ts
 * per method, test/infra/port-uses.test.ts per function).
 *
 * A grant is data, not CDK: `actions` plus how to compute the resource ARNs
 * from the onboarded service's configuration. The construct maps one grant to
 * one PolicyStatement:
 *
 *     new PolicyStatement({
 *       actions: [...grant.actions],
 *       resources: grant.resources === '*' ? ['*'] : [...grant.resources(scope, { partition, region, account })],
 *       conditions: grant.conditions?.(scope, env),
 *     })
 *
 * where `env` holds the stack's (token) partition, region and account.
 */

/** Where ARNs are built: the stack's partition, region and account (CDK tokens at synth). */
export interface ArnEnv {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** IAM policy conditions, `{ operator: { key: value | values } }`. */
export type IamConditions = Readonly<Record<string, Readonly<Record<string, string | readonly string[]>>>>;

/**
 * One statement's worth of permissions an adapter needs.
 *
 * `S` is the adapter's IAM scope: the configuration values its ARNs are built
 * from (cluster and service names, a listener ARN, ...).
 */
export interface IamGrant<S> {
  /** IAM actions, `service:Action`. */
  readonly actions: readonly string[];
  /**
   * The resources the actions are limited to: a function of the scope, or
   * `'*'` only where AWS offers no narrower resource for these actions (see `why`).
   */
  readonly resources: '*' | ((scope: S, env: ArnEnv) => readonly string[]);
  /** Conditions that narrow a `'*'` or a broad ARN pattern. */
  readonly conditions?: (scope: S, env: ArnEnv) => IamConditions;
  /**
   * Permission-only actions: AWS checks them while authorizing another call
   * (listed here as `service:Action`) and no SDK command of that name is sent,
   * e.g. iam:PassRole during ecs:RunTask.
   */
  readonly checkedDuring?: readonly string[];
  /** Why these actions on these resources, with the AWS document that says so. */
  readonly why: string;
}

/** The method names of a port interface (`Fleet` → `'create' | 'health' | 'promote' | 'retire'`). */
export type MethodsOf<P> = { [K in keyof P]-?: P[K] extends (...args: never[]) => unknown ? K : never }[keyof P] & string;

/**
 * The IAM actions each port method of an adapter needs: the commands it sends
 * and the permission-only actions AWS checks while authorizing them (every
 * action named here is in one of the adapter's grants, which scope it).
 * A function is granted the actions of the methods it calls, not of the whole
 * adapter: CheckHealth, which calls `Fleet.health`, gets no `ecs:CreateTaskSet`.
 */
export type MethodActions<M extends string> = Readonly<Record<M, readonly string[]>>;

/** Every IAM action named by `grants`. */
export function grantedActions(grants: readonly IamGrant<never>[]): string[] {
  return [...new Set(grants.flatMap((g) => g.actions))].sort();
}

/** The name part of an ARN or a plain name (`arn:...:cluster/prod` → `prod`). */
export function resourceName(nameOrArn: string): string {
  if (!nameOrArn.startsWith('arn:')) return nameOrArn;
  const slash = nameOrArn.lastIndexOf('/');
  return slash === -1 ? nameOrArn : nameOrArn.slice(slash + 1);
}

/** Service Authorization Reference pages cited by the grants. */
export const SAR = {
  ecs: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html',
  elb: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
  autoscaling: 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-api-permissions.html',
  cloudwatch: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html',
  cloudwatchActions: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html',
  states: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html',
  secretsmanager: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html',
} as const;
