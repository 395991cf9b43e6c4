/**
 * Least privilege, proven from the tests themselves, per port method: every
 * scenario of every AWS adapter runs here again against recording mocks, each
 * command attributed to the adapter method (or methods, when one calls
 * another) that sent it, and the IAM actions a method's commands need must be
 * exactly the actions the adapter declares for that method — nothing missing
 * (AccessDenied in production for a function calling it), nothing unused
 * (privilege a function would hold for nothing). Permission-only actions
 * (iam:PassRole...) belong to a method exactly when it sends the call that
 * triggers them. infra/grants.ts grants a function the union of its methods'
 * actions; test/infra/port-uses.test.ts proves which methods each calls.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { AlbRouter, ALB_ROUTER_IAM } from '../../functions/adapters/aws/alb-router.js';
import { AsgFleet, ASG_FLEET_IAM } from '../../functions/adapters/aws/asg-fleet.js';
import { CloudWatchAlarms } from '../../functions/adapters/aws/cloudwatch-alarms.js';
import { CloudWatchMetrics } from '../../functions/adapters/aws/cloudwatch-metrics.js';
import { EcsFleet, ECS_FLEET_IAM } from '../../functions/adapters/aws/ecs-fleet.js';
import { EcsMigrator, ECS_MIGRATOR_IAM } from '../../functions/adapters/aws/ecs-migrator.js';
import { EventBridgeReleaseEvents } from '../../functions/adapters/aws/eventbridge.js';
import { actionsForUses, adapterMethods, AWS_ADAPTERS, type AwsAdapterName } from '../../functions/adapters/aws/grants.js';
import { grantedActions, type IamGrant } from '../../functions/adapters/aws/iam.js';
import { SECRETS_MANAGER_SECRET_IAM, SlackBotTokenSecret, SlackSigningSecret } from '../../functions/adapters/aws/secrets-manager.js';
import { SfnCallbacks, SFN_CALLBACKS_IAM } from '../../functions/adapters/aws/sfn-callbacks.js';
import { SfnExecutions } from '../../functions/adapters/aws/sfn-executions.js';
import { SfnReleaseStarter, SFN_RELEASE_STARTER_IAM } from '../../functions/adapters/aws/sfn-release-starter.js';
import { albRouterScenarios } from './alb-router.scenarios.js';
import { asgFleetScenarios } from './asg-fleet.scenarios.js';
import { cloudWatchAlarmsScenarios } from './cloudwatch-alarms.scenarios.js';
import { cloudWatchMetricsScenarios } from './cloudwatch-metrics.scenarios.js';
import { ecsFleetScenarios } from './ecs-fleet.scenarios.js';
import { ecsMigratorScenarios } from './ecs-migrator.scenarios.js';
import { eventBridgeScenarios } from './eventbridge.scenarios.js';
import { sfnCallbacksScenarios } from './sfn-callbacks.scenarios.js';
import { sfnExecutionsScenarios } from './sfn-executions.scenarios.js';
import { sfnReleaseStarterScenarios } from './sfn-release-starter.scenarios.js';
import { slackBotTokenSecretScenarios, slackSigningSecretScenarios } from './secrets-manager.scenarios.js';
import { awsMocks, IAM_PREFIX, sentActions, type AwsMocks, type Scenario } from './harness.js';
import { ALL_FUNCTIONS } from '../../infra/functions.js';
import { ENV } from './fixtures.js';

const ALL: readonly Scenario[] = [
  ...ecsFleetScenarios,
  ...asgFleetScenarios,
  ...albRouterScenarios,
  ...cloudWatchAlarmsScenarios,
  ...cloudWatchMetricsScenarios,
  ...ecsMigratorScenarios,
  ...sfnCallbacksScenarios,
  ...sfnExecutionsScenarios,
  ...sfnReleaseStarterScenarios,
  ...slackBotTokenSecretScenarios,
  ...slackSigningSecretScenarios,
  ...eventBridgeScenarios,
];

/** The class of each adapter, whose port methods are instrumented. */
const CLASSES: Readonly<Record<AwsAdapterName, { readonly prototype: object }>> = {
  EcsFleet,
  AsgFleet,
  AlbRouter,
  CloudWatchAlarms,
  EcsMigrator,
  SfnCallbacks,
  SfnExecutions,
  SfnReleaseStarter,
  SlackBotTokenSecret,
  SlackSigningSecret,
  CloudWatchMetrics,
  EventBridgeReleaseEvents,
};

const ADAPTERS = Object.keys(AWS_ADAPTERS) as AwsAdapterName[];
const grantsOf = (adapter: AwsAdapterName) => AWS_ADAPTERS[adapter].grants;
const methodTable = (adapter: AwsAdapterName): Readonly<Record<string, readonly string[]>> => AWS_ADAPTERS[adapter].methods;
const METHODS: readonly (readonly [AwsAdapterName, string])[] = ADAPTERS.flatMap((a) => Object.keys(methodTable(a)).map((m) => [a, m] as const));

/** Permission-only actions: AWS checks them during another call; no command of that name is sent. */
const permissionOnly = (adapter: AwsAdapterName) => new Set(grantedActions(grantsOf(adapter).filter((g) => g.checkedDuring !== undefined)));
/** The API actions (commands) a method declares. */
const declaredCommands = (adapter: AwsAdapterName, method: string) => (methodTable(adapter)[method] ?? []).filter((a) => !permissionOnly(adapter).has(a)).sort();

/** The port methods running now, outermost first (setWeights → getWeights). */
const running = new AsyncLocalStorage<readonly string[]>();
for (const adapter of ADAPTERS) {
  const prototype = CLASSES[adapter].prototype as Record<string, (...args: unknown[]) => unknown>;
  for (const method of Object.keys(methodTable(adapter))) {
    const original = prototype[method];
    if (typeof original !== 'function') throw new Error(`${adapter} has no method ${method}`);
    prototype[method] = function (this: unknown, ...args: unknown[]) {
      return running.run([...(running.getStore() ?? []), method], () => original.apply(this, args));
    };
  }
}

/** Records each command sent through `aws`'s clients with the methods running when it was sent. */
function recordSends(aws: AwsMocks, onSend: (action: string, methods: readonly string[]) => void): void {
  for (const key of Object.keys(IAM_PREFIX) as (keyof typeof IAM_PREFIX)[]) {
    const client = aws.clients[key] as unknown as { send: (command: object, ...rest: unknown[]) => unknown };
    const mocked = client.send;
    client.send = function (this: unknown, command: object, ...rest: unknown[]) {
      onSend(`${IAM_PREFIX[key]}:${command.constructor.name.replace(/Command$/, '')}`, running.getStore() ?? []);
      return mocked.call(this, command, ...rest);
    };
  }
}

/** Actions sent, by adapter and method. */
const sentBy = new Map<string, Set<string>>(METHODS.map(([a, m]) => [`${a}.${m}`, new Set<string>()]));
/** Methods called at all, whether or not they sent anything. */
const called = new Set<string>();
const outsideAnyMethod: string[] = [];
let commandsRecorded = 0;

beforeAll(async () => {
  for (const scenario of ALL) {
    const aws = awsMocks();
    recordSends(aws, (action, methods) => {
      commandsRecorded += 1;
      if (methods.length === 0) outsideAnyMethod.push(`${scenario.adapter}: ${action} in "${scenario.name}"`);
      for (const method of methods) sentBy.get(`${scenario.adapter}.${method}`)?.add(action);
    });
    const calls = running.run([], () => {
      // Methods called, even those that send nothing (AsgFleet.promote).
      const prototype = CLASSES[scenario.adapter].prototype as Record<string, (...args: unknown[]) => unknown>;
      const restore: [string, (...args: unknown[]) => unknown][] = [];
      for (const method of Object.keys(methodTable(scenario.adapter))) {
        const instrumented = prototype[method];
        if (instrumented === undefined) continue;
        restore.push([method, instrumented]);
        prototype[method] = function (this: unknown, ...args: unknown[]) {
          called.add(`${scenario.adapter}.${method}`);
          return instrumented.apply(this, args);
        };
      }
      return scenario.run(aws).finally(() => {
        for (const [method, fn] of restore) prototype[method] = fn;
      });
    });
    await calls;
  }
});

describe('least privilege of the AWS adapters, per port method', () => {
  it('runs scenarios of every adapter, calling every port method, and records their commands', () => {
    for (const adapter of ADAPTERS) expect(ALL.filter((s) => s.adapter === adapter).length, adapter).toBeGreaterThan(0);
    expect(METHODS.map(([a, m]) => `${a}.${m}`).filter((m) => !called.has(m))).toEqual([]);
    expect(commandsRecorded).toBeGreaterThan(ALL.length);
  });

  it('sends every command from inside a port method, never from a constructor or helper called from outside', () => {
    expect(outsideAnyMethod).toEqual([]);
  });

  it('records each command as <iam prefix>:<operation>', async () => {
    const aws = awsMocks();
    const [scenario] = ecsFleetScenarios;
    if (scenario === undefined) throw new Error('no EcsFleet scenario');
    await scenario.run(aws);
    expect(sentActions(aws)[0]).toBe('ecs:DescribeTaskSets');
  });

  it.each(METHODS)('%s.%s sends no command its declared actions do not name', (adapter, method) => {
    const declared = new Set(declaredCommands(adapter, method));
    expect([...(sentBy.get(`${adapter}.${method}`) ?? [])].filter((a) => !declared.has(a)).sort()).toEqual([]);
  });

  it.each(METHODS)('%s.%s declares no API action its scenarios never send', (adapter, method) => {
    const sent = sentBy.get(`${adapter}.${method}`) ?? new Set<string>();
    expect(declaredCommands(adapter, method).filter((a) => !sent.has(a))).toEqual([]);
  });

  it.each(METHODS)('%s.%s declares a permission-only grant exactly when it sends a call AWS checks it during', (adapter, method) => {
    const sent = sentBy.get(`${adapter}.${method}`) ?? new Set<string>();
    const declared = new Set(methodTable(adapter)[method] ?? []);
    for (const grant of grantsOf(adapter).filter((g) => g.checkedDuring !== undefined)) {
      expect(grant.checkedDuring?.length, grant.actions.join()).toBeGreaterThan(0);
      const triggered = (grant.checkedDuring ?? []).some((trigger) => sent.has(trigger));
      for (const action of grant.actions) expect(declared.has(action), `${action} (checked during ${(grant.checkedDuring ?? []).join(', ')})`).toBe(triggered);
    }
  });

  it.each(ALL_FUNCTIONS.map((f) => [f.id, f.uses] as const))(
    '%s is granted exactly the commands the methods it calls send, and the permission-only actions they trigger',
    (_id, uses) => {
      const granted = actionsForUses(uses);
      const sent = new Set<string>();
      const triggered = new Set<string>();
      for (const [adapter, methods] of adapterMethods(uses)) {
        for (const method of methods) for (const action of sentBy.get(`${adapter}.${method}`) ?? []) sent.add(action);
        for (const grant of grantsOf(adapter).filter((g) => g.checkedDuring?.some((t) => sent.has(t)) === true)) for (const a of grant.actions) triggered.add(a);
      }
      // Every command sent is granted; every granted action is sent, or checked during one that is.
      expect([...sent].filter((a) => !granted.includes(a)).sort()).toEqual([]);
      expect(granted.filter((a) => !sent.has(a) && !triggered.has(a))).toEqual([]);
    },
  );

  it.each(ADAPTERS)('%s declares only actions its grants scope, and grants none that no method declares', (adapter) => {
    const granted = grantedActions(grantsOf(adapter));
    const declared = [...new Set(Object.values(methodTable(adapter)).flat())].sort();
    expect(declared.filter((a) => !granted.includes(a))).toEqual([]);
    expect(granted.filter((a) => !declared.includes(a))).toEqual([]);
  });

  it('declares the create-a-fleet actions (new task sets, groups, instances, passed roles) for create only', () => {
    const creating = ['ecs:CreateTaskSet', 'ecs:RegisterTaskDefinition', 'autoscaling:CreateAutoScalingGroup', 'ec2:RunInstances', 'iam:PassRole'];
    for (const fleet of ['EcsFleet', 'AsgFleet'] as const) {
      for (const method of ['health', 'promote', 'retire'] as const) {
        expect(AWS_ADAPTERS[fleet].methods[method].filter((a) => creating.includes(a)), `${fleet}.${method}`).toEqual([]);
      }
    }
    expect(AWS_ADAPTERS.EcsFleet.methods.create).toEqual(expect.arrayContaining(['ecs:CreateTaskSet', 'iam:PassRole']));
    expect(AWS_ADAPTERS.AsgFleet.methods.create).toEqual(expect.arrayContaining(['autoscaling:CreateAutoScalingGroup', 'ec2:RunInstances', 'iam:PassRole']));
  });

  it('every grant says why, with the AWS document, and "*" only where cited', () => {
    for (const adapter of ADAPTERS) {
      for (const grant of grantsOf(adapter)) {
        expect(grant.why, `${adapter} ${grant.actions.join()}`).toMatch(/https:\/\/docs\.aws\.amazon\.com\//);
        expect(grant.actions.every((a) => /^[a-z0-9-]+:[A-Z][A-Za-z]+$/.test(a))).toBe(true);
      }
    }
  });

  /** The adapters whose grants are scoped by the rollgate:service tag, with a scope that needs every grant. */
  const TAG_SCOPED = [
    ['EcsFleet', ECS_FLEET_IAM, { passesRoles: true }],
    ['AsgFleet', ASG_FLEET_IAM, { passesRoles: true }],
    ['AlbRouter', ALB_ROUTER_IAM, undefined],
    ['EcsMigrator', ECS_MIGRATOR_IAM, { passesRoles: true }],
  ] as const;
  const rendered = (grant: IamGrant<never>, scope: unknown) => ({
    resources: grant.resources === '*' ? ['*'] : grant.resources(scope as never, ENV),
    conditions: grant.conditions?.(scope as never, ENV) ?? {},
  });
  const requestTag = { Null: { 'aws:RequestTag/rollgate:service': 'false' } };
  const resourceTag = { Null: { 'aws:ResourceTag/rollgate:service': 'false' } };

  it.each(TAG_SCOPED)('%s scopes every grant to the stack\'s account and region, never to one service\'s resources', (_adapter, grants, scope) => {
    for (const grant of grants as readonly IamGrant<never>[]) {
      for (const arn of rendered(grant, scope).resources) {
        if (arn === '*') continue;
        // Every ARN is a pattern over the account (IAM roles have no region; images and snapshots no account).
        expect(arn, grant.actions.join()).toMatch(/^arn:aws:(iam::111122223333:role\/\*|ec2:us-east-1::(image|snapshot)\/\*|[a-z0-9-]+:us-east-1:111122223333:[A-Za-z-]+[:/].*\*)$/);
        expect(arn).not.toMatch(/prod|api|lt-|listener\/app\/web/);
      }
    }
  });

  it('creates task sets, groups, rules and migration tasks only with the rollgate:service tag, and changes or deletes only tagged resources', () => {
    const conditionsOf = (action: string) =>
      TAG_SCOPED.flatMap(([, grants, scope]) => (grants as readonly IamGrant<never>[]).filter((g) => g.actions.includes(action)).map((g) => rendered(g, scope).conditions));
    for (const action of ['ecs:CreateTaskSet', 'autoscaling:CreateAutoScalingGroup', 'ecs:RunTask']) {
      expect(conditionsOf(action), action).toEqual([expect.objectContaining(requestTag)]);
    }
    for (const action of ['ecs:UpdateServicePrimaryTaskSet', 'ecs:DeleteTaskSet', 'ecs:StopTask', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule']) {
      expect(conditionsOf(action), action).toEqual([resourceTag]);
    }
    expect(conditionsOf('autoscaling:DeleteAutoScalingGroup')).toEqual([{ Null: { 'autoscaling:ResourceTag/rollgate:service': 'false' } }]);
    // CreateRule: on a tagged listener, making a rule tagged in the request.
    expect(conditionsOf('elasticloadbalancing:CreateRule')).toEqual([resourceTag, requestTag]);
    // RunInstances: only from a tagged launch template, and the launched resources only through a launch template.
    expect(conditionsOf('ec2:RunInstances')).toEqual([resourceTag, { ArnLike: { 'ec2:LaunchTemplate': 'arn:aws:ec2:us-east-1:111122223333:launch-template/*' } }]);
    expect(conditionsOf('ecs:RunTask')).toEqual([{ ArnLike: { 'ecs:cluster': 'arn:aws:ecs:us-east-1:111122223333:cluster/*' }, ...requestTag }]);
    // A role's tags are its iam:ResourceTag (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html).
    const roleTag = { Null: { 'iam:ResourceTag/rollgate:service': 'false' } };
    expect(conditionsOf('iam:PassRole')).toEqual([
      { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }, ...roleTag },
      { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' }, ...roleTag },
      { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }, ...roleTag },
    ]);
  });

  it('tags on create only: the tagging actions a create checks are limited to that create (CreateAction), with the tag', () => {
    const tagging = TAG_SCOPED.flatMap(([, grants, scope]) =>
      (grants as readonly IamGrant<never>[]).filter((g) => g.actions.some((a) => /:(TagResource|AddTags|CreateTags|CreateOrUpdateTags)$/.test(a))).map((g) => [g.actions.join(), rendered(g, scope).conditions] as const),
    );
    expect(tagging).toEqual([
      ['ecs:TagResource', { StringEquals: { 'ecs:CreateAction': 'CreateTaskSet' }, ...requestTag }],
      ['ec2:CreateTags', { StringEquals: { 'ec2:CreateAction': 'RunInstances' } }],
      ['elasticloadbalancing:AddTags', { StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule' }, ...requestTag }],
      ['ecs:TagResource', { StringEquals: { 'ecs:CreateAction': 'RunTask' }, ...requestTag }],
    ]);
  });

  it('renders iam:PassRole to no resource when no service names a role to pass', () => {
    for (const grants of [ECS_FLEET_IAM, ASG_FLEET_IAM, ECS_MIGRATOR_IAM] as const) {
      const passRole = (grants as readonly IamGrant<never>[]).find((g) => g.actions.includes('iam:PassRole'));
      expect(passRole === undefined ? undefined : rendered(passRole, { passesRoles: false }).resources).toEqual([]);
      expect(passRole === undefined ? undefined : rendered(passRole, { passesRoles: true }).resources).toEqual(['arn:aws:iam::111122223333:role/*']);
    }
  });

  it('scopes the state machine grants to the release state machine', () => {
    const sfn = SFN_CALLBACKS_IAM[0]?.resources;
    const machine = 'arn:aws:states:us-east-1:111122223333:stateMachine:release';
    expect(typeof sfn === 'function' ? sfn({ stateMachineArn: machine }, ENV) : sfn).toEqual([machine]);
    const start = SFN_RELEASE_STARTER_IAM[0]?.resources;
    expect(typeof start === 'function' ? start({ stateMachineArn: machine }, ENV) : start).toEqual([machine]);
  });

  it('grants a Slack secret by name only: GetSecretValue on its ARN with the six random characters left open', () => {
    expect(SECRETS_MANAGER_SECRET_IAM).toHaveLength(1);
    const [grant] = SECRETS_MANAGER_SECRET_IAM;
    expect(grant?.actions).toEqual(['secretsmanager:GetSecretValue']);
    const resources = grant?.resources;
    expect(typeof resources === 'function' ? resources({ secretName: 'rollgate/slack' }, { ...ENV, partition: 'aws-us-gov' }) : resources).toEqual([
      'arn:aws-us-gov:secretsmanager:us-east-1:111122223333:secret:rollgate/slack-??????',
    ]);
  });
});
