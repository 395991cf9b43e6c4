import { readFileSync } from 'node:fs';
import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import aslValidator from 'asl-validator';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { AWS_ADAPTER_GRANTS } from '../../functions/adapters/aws/grants.js';
import { grantedActions, type IamGrant } from '../../functions/adapters/aws/iam.js';
import { parseConfig, type RollgateConfigInput } from '../../functions/config.js';
import { InvalidInputError, StateMachineDefinitionError, UnsubstitutedPlaceholderError } from '../../functions/errors.js';
import { ENV } from '../../functions/handlers/environment.js';
import { SFN_RELEASE_STARTER_IAM } from '../../functions/handlers/release-starter.js';
import { EVENT_FUNCTIONS, TASK_FUNCTIONS, type AdapterName, type FunctionSpec } from '../../infra/functions.js';
import { LEDGER_ACTIONS } from '../../infra/grants.js';
import { checkSubstitutions, RELEASE_ASL_PATH } from '../../infra/release-orchestrator.js';
import { STEP_FUNCTIONS } from '../../local/runtime.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG, SEARCH_SERVICE } from '../../local/sample-config.js';
import { alarmStateChangeFor, cloudWatchAlarmStateChange, codeBuildStateChange, ecrImagePush, scheduledEvent, stepFunctionsExecutionFailed } from './aws-events.js';
import { matchesPattern } from './event-pattern.js';
import { synthStack } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const { stack, template } = synthStack();
const resources = template.toJSON() as { Resources: Record<string, Resource> };
const ALL_FUNCTIONS: readonly FunctionSpec[] = [...TASK_FUNCTIONS, ...EVENT_FUNCTIONS];

/** The logical id of a construct of the orchestrator. */
function logicalId(construct: { node: { defaultChild?: unknown } } | undefined): string {
  const child = construct?.node.defaultChild;
  if (child === undefined) throw new Error('no such construct');
  return stack.getLogicalId(child as Parameters<Stack['getLogicalId']>[0]);
}

function functionId(id: string): string {
  return logicalId(stack.orchestrator.functions[id]);
}

function ofType(type: string): [string, Resource][] {
  return Object.entries(resources.Resources).filter(([, r]) => r.Type === type);
}

/** Every Allow statement of the policies attached to the role `roleId`. */
function statementsOfRole(roleId: string): Statement[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const actionsOf = (statements: readonly Statement[]): string[] =>
  [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();

function roleOfFunction(id: string): string {
  const fn = resources.Resources[functionId(id)];
  return ((fn?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];
}

const ADAPTER_GRANTS: Record<AdapterName, readonly IamGrant<never>[]> = {
  ...AWS_ADAPTER_GRANTS,
  SfnReleaseStarter: SFN_RELEASE_STARTER_IAM,
};

describe('functions', () => {
  it('has one Lambda function per Task state and per event handler', () => {
    template.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length);
    expect(Object.keys(stack.orchestrator.functions).sort()).toEqual(ALL_FUNCTIONS.map((f) => f.id).sort());
  });

  it('has a Task function for exactly the placeholders of the ASL, as the local runtime does', () => {
    expect(TASK_FUNCTIONS.map((f) => f.substitution).sort()).toEqual(Object.keys(STEP_FUNCTIONS).sort());
  });

  it.each(ALL_FUNCTIONS.map((f) => [f.id, f] as const))('runs %s on nodejs22.x, arm64, ESM, with its log group and environment', (id, spec) => {
    const fn = resources.Resources[functionId(id)];
    expect(fn?.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: spec.timeoutSeconds,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logicalId(stack.node.findChild('Orchestrator').node.findChild(`${id}Logs`) as never) } },
    });
    const env = (fn?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('rollgate');
    expect(parseConfig(JSON.parse(env[ENV.config] as string))).toEqual(parseConfig(SAMPLE_CONFIG));
    expect(env[ENV.ledgerTable]).toEqual(spec.ledger ? { Ref: logicalId(stack.orchestrator.ledgerTable as never) } : undefined);
    expect(ENV.stateMachineArn in env).toBe(spec.needsStateMachineArn === true);
  });

  it('keeps every function log group for three months', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups).toHaveLength(ALL_FUNCTIONS.length + 1);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(90);
  });

  it('gives the event handlers a dead-letter queue for failed invocations, after two retries', () => {
    const dlq = logicalId(stack.orchestrator.deadLetterQueue);
    for (const spec of EVENT_FUNCTIONS) {
      expect(resources.Resources[functionId(spec.id)]?.Properties.DeadLetterConfig).toEqual({ TargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] } });
    }
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', EVENT_FUNCTIONS.length);
    template.allResourcesProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
  });
});

describe('grants', () => {
  it.each(ALL_FUNCTIONS.map((f) => [f.id, f] as const))("gives %s exactly its adapters' actions, its ledger and log actions", (id, spec) => {
    const statements = statementsOfRole(roleOfFunction(id));
    const expected = [
      ...spec.adapters.flatMap((a) => grantedActions(ADAPTER_GRANTS[a])),
      ...(spec.ledger ? LEDGER_ACTIONS : []),
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      ...(spec.kind === 'event' ? ['sqs:SendMessage'] : []),
    ];
    expect(actionsOf(statements)).toEqual([...new Set(expected)].sort());
  });

  it('scopes the ledger actions to the ledger table and its index', () => {
    const table = logicalId(stack.orchestrator.ledgerTable);
    const ledger = statementsOfRole(roleOfFunction('Advance')).find((s) => actionsOf([s]).includes('dynamodb:PutItem'));
    expect(ledger?.Resource).toEqual([{ 'Fn::GetAtt': [table, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/*']] }]);
  });

  it('scopes fleet and router actions to the onboarded services', () => {
    const statements = statementsOfRole(roleOfFunction('Deploy'));
    const rendered = JSON.stringify(stack.resolve(statements));
    expect(rendered).toContain(':service/prod/checkout');
    expect(rendered).toContain(':task-set/prod/checkout/*');
    expect(rendered).toContain('autoScalingGroupName/search-prod-*');
    expect(rendered).toContain('arn:aws:iam::123456789012:role/checkout-task-execution');
    const router = JSON.stringify(statementsOfRole(roleOfFunction('Advance')));
    expect(router).toContain(CHECKOUT_SERVICE.traffic.listenerArn);
    expect(router).not.toContain('autoscaling');
  });

  it('lets the alarm handler fail task tokens and the reconciler describe executions of the release state machine only', () => {
    const smArn = stack.resolve(stack.orchestrator.stateMachine.stateMachineArn) as unknown;
    expect(smArn).toEqual({ Ref: logicalId(stack.orchestrator.stateMachine) });
    const alarm = statementsOfRole(roleOfFunction('AlarmHandler')).find((s) => actionsOf([s]).includes('states:SendTaskFailure'));
    expect(JSON.stringify(alarm?.Resource)).toContain(':stateMachine:Rollgate-release');
    const reconciler = statementsOfRole(roleOfFunction('Reconciler')).find((s) => actionsOf([s]).includes('states:DescribeExecution'));
    expect(JSON.stringify(reconciler?.Resource)).toContain(':execution:Rollgate-release:*');
    const trigger = statementsOfRole(roleOfFunction('BuildTrigger')).find((s) => actionsOf([s]).includes('states:StartExecution'));
    expect(JSON.stringify(trigger?.Resource)).toContain(':stateMachine:Rollgate-release');
  });

  it('leaves iam:PassRole out when a service names no role to pass', () => {
    const config: RollgateConfigInput = {
      services: [{ ...structuredClone(SEARCH_SERVICE), fleet: { ...SEARCH_SERVICE.fleet, instanceRoleArns: [] } }],
    };
    const { stack: bare, template: t } = synthStack({ config });
    const fn = bare.orchestrator.functions.Deploy?.node.defaultChild;
    const roleId = ((t.toJSON() as { Resources: Record<string, Resource> }).Resources[bare.getLogicalId(fn as never)]?.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
    const policies = Object.values((t.toJSON() as { Resources: Record<string, Resource> }).Resources).filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles).includes(roleId),
    );
    const actions = actionsOf(policies.flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement));
    expect(actions).not.toContain('iam:PassRole');
    expect(actions).not.toContain('ecs:CreateTaskSet');
    expect(actions).toContain('autoscaling:CreateAutoScalingGroup');
  });
});

describe('state machine', () => {
  const [smId, sm] = ofType('AWS::StepFunctions::StateMachine')[0] ?? [];
  const definition = sm?.Properties.DefinitionString as string;
  const substitutions = sm?.Properties.DefinitionSubstitutions as Record<string, { 'Fn::GetAtt': [string, string] }>;

  it('is the ASL file, inline, with a substitution per placeholder pointing at its function', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    expect(definition).toBe(readFileSync(RELEASE_ASL_PATH, 'utf8'));
    for (const spec of TASK_FUNCTIONS) {
      expect(substitutions[spec.substitution ?? '']).toEqual({ 'Fn::GetAtt': [functionId(spec.id), 'Arn'] });
    }
  });

  it('validates with asl-validator once substituted', () => {
    let substituted = definition;
    for (const [name, value] of Object.entries(substitutions)) {
      substituted = substituted.replaceAll(`\${${name}}`, `arn:aws:lambda:us-east-1:123456789012:function:${value['Fn::GetAtt'][0]}`);
    }
    const result = aslValidator(JSON.parse(substituted));
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('is a Standard workflow logging ALL to its log group, without execution data, traced by X-Ray', () => {
    expect(sm?.Properties).toMatchObject({
      StateMachineType: 'STANDARD',
      StateMachineName: 'Rollgate-release',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logicalId(stack.node.findChild('Orchestrator').node.findChild('ReleaseLogs') as never), 'Arn'] } } }],
      },
    });
  });

  it('may invoke exactly its Task functions, and nothing else may invoke them', () => {
    const smRole = ((sm?.Properties.RoleArn as { 'Fn::GetAtt': [string] })['Fn::GetAtt'])[0];
    const invoke = statementsOfRole(smRole).filter((s) => actionsOf([s]).includes('lambda:InvokeFunction'));
    const invoked = invoke.flatMap((s) => s.Resource as unknown[]).map((r) => JSON.stringify(r));
    const expected = TASK_FUNCTIONS.flatMap((f) => [
      JSON.stringify({ 'Fn::GetAtt': [functionId(f.id), 'Arn'] }),
      JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [functionId(f.id), 'Arn'] }, ':*']] }),
    ]);
    expect(invoked.sort()).toEqual(expected.sort());
    // No other role may invoke a function.
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      if (id === smRole) continue;
      expect(actionsOf(statementsOfRole(id)), id).not.toContain('lambda:InvokeFunction');
      expect(role.Type).toBe('AWS::IAM::Role');
    }
    // Resource policies exist only for the event handlers, for EventBridge.
    const taskIds = new Set(TASK_FUNCTIONS.map((f) => functionId(f.id)));
    for (const [, permission] of ofType('AWS::Lambda::Permission')) {
      const target = JSON.stringify(permission.Properties.FunctionName);
      expect([...taskIds].some((id) => target.includes(id)), target).toBe(false);
      expect(permission.Properties.Principal).toBe('events.amazonaws.com');
    }
    expect(smId).toBeDefined();
  });
});

describe('substitutions', () => {
  it('names every placeholder left without a value', () => {
    const check = () => { checkSubstitutions('{"a":"${OneFunctionArn}","b":"${TwoFunctionArn}"}', { OneFunctionArn: 'x' }); };
    expect(check).toThrow(UnsubstitutedPlaceholderError);
    expect(check).toThrow('${TwoFunctionArn}');
  });

  it('refuses a substitution the definition has no placeholder for', () => {
    expect(() => { checkSubstitutions('{"a":"${OneFunctionArn}"}', { OneFunctionArn: 'x', GoneFunctionArn: 'y' }); }).toThrow(StateMachineDefinitionError);
  });
});

/** The rendered pattern of the rule whose construct id is `id`. */
function rulePattern(id: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  const rule = ofType('AWS::Events::Rule').find(([logical]) => logical.includes(id));
  if (rule === undefined) throw new Error(`no rule ${id}`);
  return rule[1].Properties.EventPattern as Record<string, unknown> & { detail: Record<string, unknown> };
}

function ruleTargets(id: string): Record<string, unknown>[] {
  const rule = ofType('AWS::Events::Rule').find(([logical]) => logical.includes(id));
  return (rule?.[1].Properties.Targets ?? []) as Record<string, unknown>[];
}

describe('event rules', () => {
  const dlqArn = { 'Fn::GetAtt': [logicalId(stack.orchestrator.deadLetterQueue), 'Arn'] };

  it('sends alarm state changes of the onboarded alarms to the alarm handler, with retries and a dead-letter queue', () => {
    expect(rulePattern('AlarmStateChange')).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['checkout-prod-5xx', 'checkout-prod-p99-latency', 'search-prod-5xx'], state: { value: ['ALARM'] } },
    });
    expect(ruleTargets('AlarmStateChange')).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [functionId('AlarmHandler'), 'Arn'] },
        DeadLetterConfig: { Arn: dlqArn },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
      }),
    ]);
  });

  it("matches AWS's documented alarm state change for an onboarded alarm, and not for another alarm", () => {
    const pattern = rulePattern('AlarmStateChange');
    expect(matchesPattern(pattern, alarmStateChangeFor('checkout-prod-5xx'))).toBe(true);
    expect(matchesPattern(pattern, alarmStateChangeFor('search-prod-5xx'))).toBe(true);
    expect(matchesPattern(pattern, cloudWatchAlarmStateChange())).toBe(false);
    const recovered = alarmStateChangeFor('checkout-prod-5xx');
    recovered.detail.state = { value: 'OK', reason: 'Threshold Crossed', timestamp: '2019-10-02T17:09:40.989+0000' };
    expect(matchesPattern(pattern, recovered)).toBe(false);
  });

  it('sends FAILED, TIMED_OUT and ABORTED executions of the release state machine to the reconciler', () => {
    const pattern = rulePattern('ExecutionEnded');
    const smRef = { Ref: logicalId(stack.orchestrator.stateMachine) };
    expect(pattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [smRef] },
    });
    // Evaluate with the state machine's ARN standing in for its Ref.
    const deployed = { ...pattern, detail: { ...pattern.detail, stateMachineArn: ['arn:aws:states:us-east-1:123456789012:stateMachine:state-machine'] } };
    expect(matchesPattern(deployed, stepFunctionsExecutionFailed())).toBe(true);
    const other = stepFunctionsExecutionFailed();
    other.detail.stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:another';
    expect(matchesPattern(deployed, other)).toBe(false);
    expect(ruleTargets('ExecutionEnded')).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionId('Reconciler'), 'Arn'] }, DeadLetterConfig: { Arn: dlqArn } })]);
  });

  it('runs the reconciler every 5 minutes', () => {
    const rule = ofType('AWS::Events::Rule').find(([id]) => id.includes('ReconcileSchedule'));
    expect(rule?.[1].Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(ruleTargets('ReconcileSchedule')).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionId('Reconciler'), 'Arn'] } })]);
    expect(scheduledEvent()['detail-type']).toBe('Scheduled Event');
  });

  it('sends image pushes to onboarded repositories and successful builds of onboarded projects to the build trigger', () => {
    const push = rulePattern('ImagePushed');
    const build = rulePattern('BuildSucceeded');
    const ours = ecrImagePush();
    ours.detail['repository-name'] = 'checkout';
    expect(matchesPattern(push, ours)).toBe(true);
    expect(matchesPattern(push, ecrImagePush())).toBe(false);
    const ourBuild = codeBuildStateChange();
    ourBuild.detail['project-name'] = 'search-ami-build';
    expect(matchesPattern(build, ourBuild)).toBe(true);
    expect(matchesPattern(build, codeBuildStateChange())).toBe(false);
    for (const id of ['ImagePushed', 'BuildSucceeded']) {
      expect(ruleTargets(id)).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionId('BuildTrigger'), 'Arn'] }, DeadLetterConfig: { Arn: dlqArn } })]);
    }
  });

  it('creates no build trigger when no service has one', () => {
    const config: RollgateConfigInput = { services: [{ ...structuredClone(SEARCH_SERVICE), buildTrigger: undefined }] };
    const { stack: bare, template: t } = synthStack({ config });
    expect(bare.orchestrator.functions.BuildTrigger).toBeUndefined();
    t.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length - 1);
    expect(JSON.stringify(t.toJSON())).not.toContain('aws.ecr');
  });

  it('keeps dead letters 14 days, encrypted, over TLS only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks(stack, { verbose: true }).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges every finding with a reason naming what in this stack needs it', () => {
    const acks = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => m.data as Record<string, unknown>));
    const reasons = acks.flatMap((a) => Object.entries(a));
    expect(reasons.length).toBeGreaterThan(0);
    for (const [id, reason] of reasons) {
      const text = typeof reason === 'string' ? reason : JSON.stringify(reason);
      expect(text.length, id).toBeGreaterThan(40);
    }
  });
});

describe('props validation', () => {
  const refuses = (props: Parameters<typeof synthStack>[0], field: RegExp) => {
    const synth = () => synthStack(props);
    expect(synth).toThrow(InvalidInputError);
    expect(synth).toThrow(field);
  };

  it('names the bad field of the configuration', () => {
    const config = structuredClone(SAMPLE_CONFIG) as { services: { alarms: string[] }[] };
    if (config.services[1]) config.services[1].alarms = [];
    refuses({ config: config as RollgateConfigInput }, /config\.services\.1\.alarms: onboard at least one alarm/);
  });

  it('names memorySize, retryAttempts, maxEventAgeSeconds and stateMachineName when out of range', () => {
    refuses({ functions: { memorySize: 64 } }, /functions\.memorySize/);
    refuses({ events: { retryAttempts: 200 } }, /events\.retryAttempts/);
    refuses({ events: { maxEventAgeSeconds: 10 } }, /events\.maxEventAgeSeconds/);
    refuses({ stateMachine: { stateMachineName: 'has space' } }, /stateMachine\.stateMachineName/);
  });

  it("refuses a configuration too large for Lambda's 4 KB environment, naming the function", () => {
    const services = Array.from({ length: 6 }, (_, i) => ({ ...structuredClone(CHECKOUT_SERVICE), service: `checkout${String(i)}` }));
    refuses({ config: { services } }, /config: makes the environment of Preflight \d+ bytes, over Lambda's 4096/);
  });

  it('passes extra environment to the Approval function for its notifier', () => {
    const { stack: s, template: t } = synthStack({ approvals: { notifierEnvironment: { SLACK_BOT_TOKEN_SECRET: 'rollgate/slack' } } });
    const id = s.getLogicalId(s.orchestrator.functions.Approval?.node.defaultChild as never);
    const env = ((t.toJSON() as { Resources: Record<string, Resource> }).Resources[id]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.SLACK_BOT_TOKEN_SECRET).toBe('rollgate/slack');
  });
});

