/**
 * The IAM permissions each AWS adapter needs, exported next to the adapter:
 * its grants (actions and how they are scoped) and, per port method, the
 * actions that method needs ({@link MethodActions}). The stack grants every
 * function the actions of the methods it calls and nothing else, and tests
 * prove nothing is missing and nothing is extra (test/adapters/least-privilege.test.ts
 * per method, test/infra/port-uses.test.ts per function).
 *
 * A grant is data, not CDK: `actions` plus how to compute the resource ARNs
 * and conditions from the stack's environment (and from the scope, which says
 * at most whether any onboarded service needs the grant at all). No grant
 * names a service's resources: actions are scoped by the {@link SERVICE_TAG}
 * tag (attribute-based access control) and to the stack's account and
 * region, so no policy grows with the number of services (IAM caps a role's
 * inline policies at 10,240 characters in all:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 * The construct maps one grant to one PolicyStatement:
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

/**
 * The tag that puts a resource in rollgate's reach: the platform team tags
 * each service's listener (or rule), ECS service and task sets, launch
 * template and passed roles `rollgate:service=<service name>`, and rollgate
 * creates its task sets, Auto Scaling groups, dark-canary rules and migration
 * tasks with it. One role serves every service, so the policies check that the
 * key is there (any value) rather than which service it names; the value tells
 * people (and cost reports) whose resource it is.
 */
export const SERVICE_TAG = 'rollgate:service';

/** The tag as an SDK tag list entry (`Key`/`Value`, ELB and Auto Scaling spelling). */
export function serviceTag(service: string): { Key: string; Value: string } {
  return { Key: SERVICE_TAG, Value: service };
}

/**
 * The resource carries {@link SERVICE_TAG}, with any value: `aws:ResourceTag/rollgate:service`
 * (or a service's own key, `autoscaling:ResourceTag/...`, `iam:ResourceTag/...` for a role) is not null.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
 */
export function resourceTagged(key = `aws:ResourceTag/${SERVICE_TAG}`): IamConditions {
  return { Null: { [key]: 'false' } };
}

/** The request tags what it creates with {@link SERVICE_TAG}: `aws:RequestTag/rollgate:service` is not null. */
export function requestTagged(): IamConditions {
  return { Null: { [`aws:RequestTag/${SERVICE_TAG}`]: 'false' } };
}

/** Service Authorization Reference pages (and the user guides' permission pages) cited by the grants. */
export const SAR = {
  ecs: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html',
  ecsTagOnCreate: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html',
  ecsTags: 'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/control-access-with-tags.html',
  elb: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
  elbTagOnCreate: 'https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/tagging-resources-during-creation.html',
  autoscaling: 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-api-permissions.html',
  autoscalingActions: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html',
  autoscalingTags: 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/tag-security.html',
  launchTemplates: 'https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html',
  ec2: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  ec2TagOnCreate: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html',
  iam: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html',
  iamTags: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html',
  cloudwatch: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html',
  cloudwatchActions: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html',
  states: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html',
  secretsmanager: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html',
} as const;
