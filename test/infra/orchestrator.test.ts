import { readFileSync } from 'node:fs';
import type { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import aslValidator from 'asl-validator';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { actionsForUses } from '../../functions/adapters/aws/grants.js';
import type { RollgateConfigInput } from '../../functions/config.js';
import { InvalidInputError, StateMachineDefinitionError, UnsubstitutedPlaceholderError } from '../../functions/errors.js';
import { ENV } from '../../functions/handlers/environment.js';
import { ALL_FUNCTIONS, APPROVAL_FUNCTIONS, CONTROL_FUNCTIONS, TASK_FUNCTIONS, type FunctionSpec } from '../../infra/functions.js';
import { CONFIG_PUBLISHER_FUNCTION, CONFIG_READ_ACTIONS, CONFIG_WRITE_ACTIONS } from '../../infra/config-publisher.js';
import { LEDGER_ACTIONS, ON_FAILURE_ACTIONS, STREAM_READ_ACTIONS } from '../../infra/grants.js';
import { checkSubstitutions, RELEASE_ASL_PATH } from '../../infra/release-orchestrator.js';
import { STEP_FUNCTIONS } from '../../local/runtime.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG, SAMPLE_SLACK, SEARCH_SERVICE } from '../../local/sample-config.js';
import { alarmStateChangeFor, cloudWatchAlarmStateChange, codeBuildStateChange, ecrImagePush, scheduledEvent, stepFunctionsExecutionFailed } from './aws-events.js';
import { matchesPattern } from './event-pattern.js';
import { synthStack } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

const { stack, template } = synthStack();
const resources = template.toJSON() as { Resources: Record<string, Resource> };
/** The sample names a Slack app and onboards build triggers: every function of ALL_FUNCTIONS is deployed. */
const EVENT_TARGETS = ALL_FUNCTIONS.filter((f) => f.kind === 'event');

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

describe('functions', () => {
  it('has one Lambda function per Task state, per event handler, per approval function and the control function, and the ConfigPublisher with its Provider framework function', () => {
    template.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length + 2);
    expect(Object.keys(stack.orchestrator.functions).sort()).toEqual([...ALL_FUNCTIONS.map((f) => f.id), CONFIG_PUBLISHER_FUNCTION.id].sort());
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
    // Every function reads the configuration from the ledger's CONFIG items; it is in neither the environment nor the bundle.
    expect(env[ENV.ledgerTable]).toEqual({ Ref: logicalId(stack.orchestrator.ledgerTable as never) });
    expect(JSON.stringify(env)).not.toContain(CHECKOUT_SERVICE.traffic.listenerArn);
    expect(ENV.stateMachineArn in env).toBe(spec.needsStateMachineArn === true);
  });

  it('keeps every log group (functions, state machine, approval and control API access) for three months', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    // Every function's, the ConfigPublisher's and its Provider framework's included.
    expect(groups).toHaveLength(ALL_FUNCTIONS.length + 2 + 3);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(90);
  });

  it('gives the event handlers a dead-letter queue for failed invocations, after two retries (the alarm handler keeps its event 6 hours, the longest Lambda allows)', () => {
    const dlq = logicalId(stack.orchestrator.deadLetterQueue);
    for (const spec of ALL_FUNCTIONS) {
      const expected = spec.kind === 'event' ? { TargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] } } : undefined;
      expect(resources.Resources[functionId(spec.id)]?.Properties.DeadLetterConfig, spec.id).toEqual(expected);
    }
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', EVENT_TARGETS.length);
    const invokeConfigs = ofType('AWS::Lambda::EventInvokeConfig').map(([, r]) => r.Properties);
    for (const spec of EVENT_TARGETS) {
      const config = invokeConfigs.find((c) => JSON.stringify(c.FunctionName) === JSON.stringify({ Ref: functionId(spec.id) }));
      expect(config, spec.id).toMatchObject({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: spec.id === 'AlarmHandler' ? 21_600 : 3600 });
    }
  });
});

describe('grants', () => {
  it.each(ALL_FUNCTIONS.map((f) => [f.id, f] as const))('gives %s exactly the actions of the port methods it calls, its ledger and log actions', (id, spec) => {
    const statements = statementsOfRole(roleOfFunction(id));
    const expected = [
      ...actionsForUses(spec.uses),
      // Every function reads the configuration: the whole ledger's actions, or the CONFIG items' reads.
      ...(spec.ledger ? LEDGER_ACTIONS : CONFIG_READ_ACTIONS),
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      ...(spec.kind === 'event' ? ['sqs:SendMessage'] : []),
      // The ledger stream's event source mapping reads with the function's role and sends failed batches to the dead-letter queue (test/infra/notifications.test.ts).
      ...(spec.kind === 'stream' ? [...STREAM_READ_ACTIONS, ...ON_FAILURE_ACTIONS] : []),
    ];
    expect(actionsOf(statements)).toEqual([...new Set(expected)].sort());
  });

  /** What only creating a fleet needs: a new task definition and task set, a new group and its instances, the roles they run as. */
  const CREATE_ONLY = ['ecs:CreateTaskSet', 'ecs:RegisterTaskDefinition', 'autoscaling:CreateAutoScalingGroup', 'ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'];

  it.each(['CheckHealth', 'Finalize', 'Retire', 'Rollback', 'Reconciler', 'AlarmHandler'])('gives %s none of the actions that create a fleet, which only Deploy calls', (id) => {
    const actions = actionsOf(statementsOfRole(roleOfFunction(id)));
    expect(actions.filter((a) => CREATE_ONLY.includes(a))).toEqual([]);
  });

  it('gives Deploy the actions that create a fleet, and none that shift traffic or remove a fleet', () => {
    const actions = actionsOf(statementsOfRole(roleOfFunction('Deploy')));
    expect(CREATE_ONLY.filter((a) => !actions.includes(a))).toEqual([]);
    expect(actions.filter((a) => a.startsWith('elasticloadbalancing:Modify') || a === 'ecs:DeleteTaskSet' || a === 'autoscaling:DeleteAutoScalingGroup')).toEqual([]);
  });

  it.each(ALL_FUNCTIONS.filter((f) => !f.ledger).map((f) => [f.id] as const))('lets %s, which uses no ledger, read the configuration items (partition key CONFIG) and nothing else of the table', (id) => {
    const table = logicalId(stack.orchestrator.ledgerTable);
    // The Notifier's stream reads (on the stream's ARN, not the table) are its event source mapping's (notifications.test.ts).
    const dynamodb = statementsOfRole(roleOfFunction(id)).filter((s) => actionsOf([s]).some((a) => a.startsWith('dynamodb:')) && !actionsOf([s]).includes('dynamodb:GetRecords') && !actionsOf([s]).includes('dynamodb:ListStreams'));
    expect(dynamodb).toEqual([
      { Effect: 'Allow', Action: [...CONFIG_READ_ACTIONS], Resource: { 'Fn::GetAtt': [table, 'Arn'] }, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CONFIG'] } } },
    ]);
  });

  it('lets the ConfigPublisher read only its configuration object and write only the configuration items', () => {
    const table = logicalId(stack.orchestrator.ledgerTable);
    const statements = statementsOfRole(roleOfFunction(CONFIG_PUBLISHER_FUNCTION.id)).filter((s) => !actionsOf([s]).some((a) => a.startsWith('logs:')));
    const asset = stack.orchestrator.configPublisher.asset;
    expect(stack.resolve(statements)).toEqual(
      expect.arrayContaining([
        { Effect: 'Allow', Action: 's3:GetObject', Resource: stack.resolve(asset.bucket.arnForObjects(asset.s3ObjectKey)) as unknown },
        { Effect: 'Allow', Action: [...CONFIG_WRITE_ACTIONS], Resource: { 'Fn::GetAtt': [table, 'Arn'] }, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CONFIG'] } } },
      ]),
    );
    // No write of anything but CONFIG items, no other S3 object, no bucket listing.
    const writes = statements.filter((s) => actionsOf([s]).some((a) => ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'].includes(a)));
    expect(writes.map((s) => s.Condition)).toEqual([{ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CONFIG'] } }]);
    expect(actionsOf(statements).filter((a) => a.startsWith('s3:'))).toEqual(['s3:GetObject']);
  });

  it('publishes the configuration asset on deploy with a custom resource keyed by its hash, before any function starts', () => {
    const asset = stack.orchestrator.configPublisher.asset;
    const [[id, resource] = ['', undefined]] = ofType('Custom::RollgateConfig');
    expect(stack.resolve(resource?.Properties)).toMatchObject({ Bucket: stack.resolve(asset.s3BucketName) as unknown, Key: stack.resolve(asset.s3ObjectKey) as unknown, Hash: asset.assetHash });
    for (const spec of ALL_FUNCTIONS) expect(resources.Resources[functionId(spec.id)]?.DependsOn, spec.id).toEqual(expect.arrayContaining([id]));
  });

  it('scopes the ledger actions to the ledger table and its index', () => {
    const table = logicalId(stack.orchestrator.ledgerTable);
    const ledger = statementsOfRole(roleOfFunction('ShiftTraffic')).find((s) => actionsOf([s]).includes('dynamodb:PutItem'));
    expect(ledger?.Resource).toEqual([{ 'Fn::GetAtt': [table, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/*']] }]);
  });

  it('scopes fleet and router actions by the rollgate:service tag and to the stack\'s account and region, never by a service\'s ARNs', () => {
    const deploy = statementsOfRole(roleOfFunction('Deploy'));
    const rendered = JSON.stringify(stack.resolve(deploy));
    for (const named of [':service/prod/checkout', 'search-prod', 'checkout-task-execution', CHECKOUT_SERVICE.traffic.listenerArn]) expect(rendered).not.toContain(named);
    const create = deploy.find((s) => actionsOf([s]).includes('ecs:CreateTaskSet'));
    expect(create?.Condition).toEqual({ Null: { 'aws:RequestTag/rollgate:service': 'false' } });
    expect(JSON.stringify(create?.Resource)).toContain(':ecs:');
    expect(JSON.stringify(create?.Resource)).toContain(':service/*/*');
    const router = statementsOfRole(roleOfFunction('ShiftTraffic'));
    expect(JSON.stringify(router)).not.toContain(CHECKOUT_SERVICE.traffic.listenerArn);
    expect(router.find((s) => actionsOf([s]).includes('elasticloadbalancing:ModifyListener'))?.Condition).toEqual({ Null: { 'aws:ResourceTag/rollgate:service': 'false' } });
    expect(JSON.stringify(router)).not.toContain('autoscaling');
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
      expect(substitutions[spec.substitution]).toEqual({ 'Fn::GetAtt': [functionId(spec.id), 'Arn'] });
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
    // No other role may invoke a function, but the custom-resources Provider's framework its ConfigPublisher.
    const framework = logicalId(stack.orchestrator.configPublisher.node.findChild('Provider').node.findChild('framework-onEvent').node.findChild('ServiceRole'));
    const publisher = functionId(CONFIG_PUBLISHER_FUNCTION.id);
    const frameworkInvokes = statementsOfRole(framework).filter((s) => actionsOf([s]).includes('lambda:InvokeFunction'));
    expect(frameworkInvokes.flatMap((s) => s.Resource as unknown[])).toEqual([{ 'Fn::GetAtt': [publisher, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [publisher, 'Arn'] }, ':*']] }]);
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      if (id === smRole || id === framework) continue;
      expect(actionsOf(statementsOfRole(id)), id).not.toContain('lambda:InvokeFunction');
      expect(role.Type).toBe('AWS::IAM::Role');
    }
    expect(smId).toBeDefined();
  });

  it('lets only API Gateway invoke the approval endpoint and the control function, each from its own API, only EventBridge rules the event handlers, and nobody the Task functions', () => {
    const apiRef = { Ref: logicalId(stack.orchestrator.approvalApi?.httpApi) };
    const controlApiRef = { Ref: logicalId(stack.orchestrator.controlApi.httpApi) };
    /** Each function's resource-policy grants: who, and from which source. */
    const grants = new Map<string, { principal: unknown; source: string }[]>();
    for (const [, permission] of ofType('AWS::Lambda::Permission')) {
      const fn = (permission.Properties.FunctionName as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      grants.set(fn, [...(grants.get(fn) ?? []), { principal: permission.Properties.Principal, source: JSON.stringify(permission.Properties.SourceArn) }]);
    }
    const rulesTargeting = (fnId: string) =>
      ofType('AWS::Events::Rule')
        .filter(([, rule]) => JSON.stringify(rule.Properties.Targets).includes(`"${fnId}"`))
        .map(([ruleId]) => JSON.stringify({ 'Fn::GetAtt': [ruleId, 'Arn'] }));
    for (const spec of ALL_FUNCTIONS) {
      const id = functionId(spec.id);
      const got = grants.get(id) ?? [];
      if (spec.kind === 'task') expect(got, spec.id).toEqual([]);
      if (spec.kind === 'event') {
        expect(got.map((g) => g.principal), spec.id).toEqual(got.map(() => 'events.amazonaws.com'));
        expect(got.map((g) => g.source).sort(), spec.id).toEqual(rulesTargeting(id).sort());
      }
      if (spec.kind === 'http' && CONTROL_FUNCTIONS.includes(spec)) {
        // One permission for the whole control API: every route goes to this function (test/infra/control-api.test.ts).
        expect(got, spec.id).toEqual([{ principal: 'apigateway.amazonaws.com', source: expect.stringContaining(JSON.stringify(controlApiRef)) as unknown }]);
      }
      if (spec.kind === 'http' && !CONTROL_FUNCTIONS.includes(spec)) {
        expect(got.length, spec.id).toBe(3);
        for (const grant of got) {
          expect(grant.principal).toBe('apigateway.amazonaws.com');
          expect(grant.source).toContain(JSON.stringify(apiRef));
        }
        const paths = got.map((g) => /"(\/\*\/\*\/[^"]+)"/.exec(g.source)?.[1]).sort();
        expect(paths).toEqual(['/*/*/approvals/{id}', '/*/*/approvals/{id}', '/*/*/slack/interactivity']);
      }
    }
    expect([...grants.keys()].every((fn) => ALL_FUNCTIONS.some((spec) => functionId(spec.id) === fn))).toBe(true);
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

  it("sends alarm state changes of the onboarded alarms to the alarm handler, with EventBridge's longest retry (185 attempts, 24 hours) and a dead-letter queue", () => {
    expect(rulePattern('AlarmStateChange')).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['checkout-prod-5xx', 'checkout-prod-p99-latency', 'search-prod-5xx'], state: { value: ['ALARM'] } },
    });
    expect(ruleTargets('AlarmStateChange')).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [functionId('AlarmHandler'), 'Arn'] },
        DeadLetterConfig: { Arn: dlqArn },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
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
    const config: RollgateConfigInput = { ...SAMPLE_CONFIG, services: [{ ...structuredClone(SEARCH_SERVICE), buildTrigger: undefined }] };
    const { stack: bare, template: t } = synthStack({ config });
    expect(bare.orchestrator.functions.BuildTrigger).toBeUndefined();
    t.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length - 1 + 2);
    expect(JSON.stringify(t.toJSON())).not.toContain('aws.ecr');
  });

  it('gives the alarm rule the longest retry even when the other rules are told to retry less', () => {
    const { stack: s, template: t } = synthStack({ events: { retryAttempts: 3, maxEventAgeSeconds: 600 } });
    const targets = (id: string) =>
      Object.entries((t.toJSON() as { Resources: Record<string, Resource> }).Resources)
        .filter(([logical, r]) => r.Type === 'AWS::Events::Rule' && logical.includes(id))
        .flatMap(([, r]) => r.Properties.Targets as Record<string, unknown>[]);
    expect(s.orchestrator.deadLetterAlarm).toBeDefined();
    expect(targets('AlarmStateChange').map((x) => x.RetryPolicy)).toEqual([{ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 }]);
    expect(targets('ReconcileSchedule').map((x) => x.RetryPolicy)).toEqual([{ MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 600 }]);
  });

  it('alarms as soon as the dead-letter queue holds a message, and outputs the alarm name', () => {
    const alarmId = logicalId(stack.orchestrator.deadLetterAlarm);
    expect(resources.Resources[alarmId]?.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.orchestrator.deadLetterQueue), 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      EvaluationPeriods: 1,
      Period: 60,
      Statistic: 'Maximum',
      TreatMissingData: 'notBreaching',
    });
    template.hasOutput('DeadLetterAlarmName', { Value: { Ref: alarmId } });
  });

  it('keeps dead letters 14 days, encrypted, over TLS only', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });
});

describe('approval endpoint', () => {
  const api = stack.orchestrator.approvalApi;
  const apiId = logicalId(api?.httpApi);
  /** The resources of `type` on the approval API (the control API has its own: test/infra/control-api.test.ts). */
  const onApprovalApi = (type: string): [string, Resource][] => ofType(type).filter(([, r]) => JSON.stringify(r.Properties.ApiId) === JSON.stringify({ Ref: apiId }));

  it('is an HTTP API with the three routes of the endpoint, each to the endpoint function with payload format 2.0', () => {
    // The approval API and the control API.
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 2);
    expect(resources.Resources[apiId]?.Properties.ProtocolType).toBe('HTTP');
    const routes = onApprovalApi('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(['GET /approvals/{id}', 'POST /approvals/{id}', 'POST /slack/interactivity']);
    const integrations = onApprovalApi('AWS::ApiGatewayV2::Integration');
    expect(integrations).toHaveLength(1);
    const [integrationId, integration] = integrations[0] ?? [];
    expect(integration?.Properties).toEqual({
      ApiId: { Ref: apiId },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [functionId('ApprovalEndpoint'), 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    for (const route of routes) {
      expect(route.Target).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] });
      expect(route.AuthorizationType).toBe('NONE');
    }
  });

  it('throttles its $default stage to 10 requests a second with bursts of 20 unless told otherwise', () => {
    const stages = onApprovalApi('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    expect(stages[0]?.[1].Properties).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    const { template: t } = synthStack({ approvals: { throttleRateLimit: 2.5, throttleBurstLimit: 5 } });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 2.5, ThrottlingBurstLimit: 5 } });
  });

  it('logs every request to its own log group, by route key, without paths or query strings', () => {
    const logsId = logicalId(api?.accessLogs);
    expect(resources.Resources[logsId]?.Properties.RetentionInDays).toBe(90);
    const [, stage] = onApprovalApi('AWS::ApiGatewayV2::Stage')[0] ?? [];
    const settings = stage?.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [logsId, 'Arn'] });
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', routeKey: '$context.routeKey', status: '$context.status', sourceIp: '$context.identity.sourceIp' });
    expect(Object.values(format).some((v) => /\$context\.(path|rawPath)|querystring/i.test(v))).toBe(false);
    const { template: t } = synthStack({ approvals: { accessLogRetention: logs.RetentionDays.ONE_YEAR } });
    const retentions = Object.values((t.toJSON() as { Resources: Record<string, Resource> }).Resources)
      .filter((r) => r.Type === 'AWS::Logs::LogGroup')
      .map((r) => r.Properties.RetentionInDays);
    expect(retentions.filter((days) => days === 365)).toHaveLength(1);
  });

  /** The secrets (name patterns) a function's role may read. */
  const readableSecrets = (id: string): string[] =>
    statementsOfRole(roleOfFunction(id))
      .filter((st) => actionsOf([st]).some((a) => a.startsWith('secretsmanager:')))
      .flatMap((st) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]).map((r) => JSON.stringify(stack.resolve(r))))
      .map((r) => /:secret:([^"]+)/.exec(r)?.[1] ?? r)
      .sort();

  it.each(['Approval', 'ApprovalSweeper'])('lets %s read the bot-token secret only: not the signing secret and link key', (id) => {
    expect(readableSecrets(id)).toEqual(['rollgate/slack-bot-token-??????']);
    expect(actionsOf(statementsOfRole(roleOfFunction(id))).filter((a) => a.startsWith('secretsmanager:'))).toEqual(['secretsmanager:GetSecretValue']);
  });

  it('lets the approval endpoint read both the bot-token and the signing secret, the control function and the Notifier the bot token, and no other function read either', () => {
    expect(readableSecrets('ApprovalEndpoint')).toEqual(['rollgate/slack-bot-token-??????', 'rollgate/slack-signing-??????']);
    expect(readableSecrets('ControlEndpoint')).toEqual(['rollgate/slack-bot-token-??????']);
    expect(readableSecrets('Notifier')).toEqual(['rollgate/slack-bot-token-??????']);
    for (const spec of ALL_FUNCTIONS.filter((f) => !['Approval', 'ApprovalSweeper', 'ApprovalEndpoint', 'ControlEndpoint', 'Notifier'].includes(f.id))) expect(readableSecrets(spec.id), spec.id).toEqual([]);
  });

  it("gives the endpoint 10 s (Slack wants an answer in 3) and the sweeper a minute, each with their adapters' grants", () => {
    expect(resources.Resources[functionId('ApprovalEndpoint')]?.Properties.Timeout).toBe(10);
    expect(resources.Resources[functionId('ApprovalSweeper')]?.Properties.Timeout).toBe(60);
    const callbacks = statementsOfRole(roleOfFunction('ApprovalEndpoint')).find((st) => actionsOf([st]).includes('states:SendTaskSuccess'));
    expect(JSON.stringify(callbacks?.Resource)).toContain(':stateMachine:Rollgate-release');
  });

  it('runs the sweeper every minute, with retries and the dead-letter queue', () => {
    const rule = ofType('AWS::Events::Rule').find(([id]) => id.includes('ApprovalSweepSchedule'));
    expect(rule?.[1].Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(ruleTargets('ApprovalSweepSchedule')).toEqual([
      expect.objectContaining({
        Arn: { 'Fn::GetAtt': [functionId('ApprovalSweeper'), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.orchestrator.deadLetterQueue), 'Arn'] } },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
      }),
    ]);
  });

  it("outputs the Request URL for the Slack app's interactivity settings, on the public base URL when one is configured", () => {
    template.hasOutput('SlackInteractivityRequestUrl', {
      Value: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, '/slack/interactivity']] },
    });
    const { template: t } = synthStack({ config: { ...SAMPLE_CONFIG, slack: { ...SAMPLE_SLACK, publicBaseUrl: 'https://rollgate.example.com/' } } });
    t.hasOutput('SlackInteractivityRequestUrl', { Value: 'https://rollgate.example.com/slack/interactivity' });
  });

  it('is not deployed, nor its functions, schedule or output, without a Slack app; the control API is', () => {
    const config: RollgateConfigInput = {
      services: SAMPLE_CONFIG.services.map((service) => ({ ...structuredClone(service), plan: { steps: service.plan.steps.filter((step) => step.type !== 'approval') } })),
    };
    const { stack: bare, template: t } = synthStack({ config });
    expect(bare.orchestrator.approvalApi).toBeUndefined();
    for (const spec of APPROVAL_FUNCTIONS) expect(bare.orchestrator.functions[spec.id]).toBeUndefined();
    t.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    expect(bare.orchestrator.controlApi.httpApi).toBeDefined();
    expect(Object.keys((t.toJSON() as { Outputs: Record<string, unknown> }).Outputs)).toContain('ControlApiEndpoint');
    t.resourceCountIs('AWS::Lambda::Function', ALL_FUNCTIONS.length - APPROVAL_FUNCTIONS.length + 2);
    expect(Object.keys((t.toJSON() as { Outputs: Record<string, unknown> }).Outputs)).not.toContain('SlackInteractivityRequestUrl');
    expect(JSON.stringify(t.toJSON())).not.toContain('secretsmanager');
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

  it('names the approval throttling props when out of range', () => {
    refuses({ approvals: { throttleRateLimit: 0 } }, /approvals\.throttleRateLimit: must be more than 0 and at most 10000/);
    refuses({ approvals: { throttleRateLimit: 20_000 } }, /approvals\.throttleRateLimit/);
    refuses({ approvals: { throttleBurstLimit: 2.5 } }, /approvals\.throttleBurstLimit: must be a whole number of requests from 1 to 5000/);
    refuses({ approvals: { throttleBurstLimit: 6000 } }, /approvals\.throttleBurstLimit/);
  });

  it('synthesizes 150 services, more than a configuration in the bundles allowed, with every environment far under 4 KB', () => {
    const { stack: s, template: t } = synthStack({ config: { ...SAMPLE_CONFIG, services: manyServices(150) } });
    expect(s.orchestrator.config.services).toHaveLength(150);
    const sizes = Object.values((t.toJSON() as { Resources: Record<string, Resource> }).Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment !== undefined)
      .map((r) => JSON.stringify((r.Properties.Environment as { Variables: unknown }).Variables).length);
    expect(Math.max(...sizes)).toBeLessThan(1024);
  });

  it("refuses an environment over Lambda's 4 KB, naming the function", () => {
    const { stack: s } = synthStack();
    const extra = { ...TASK_FUNCTIONS[0], id: 'Extra' } as FunctionSpec;
    expect(() => s.orchestrator.addFunction(extra, { EXTRA: 'x'.repeat(4000) })).toThrow(/functions\.Extra\.environment: is \d+ bytes, over Lambda's 4096/);
  });
});

/** `n` copies of the checkout service, each its own service with its own alarm. */
function manyServices(n: number): RollgateConfigInput['services'] {
  return Array.from({ length: n }, (_, i) => ({ ...structuredClone(CHECKOUT_SERVICE), service: `checkout${String(i)}`, alarms: [`checkout${String(i)}-prod-5xx`] }));
}
