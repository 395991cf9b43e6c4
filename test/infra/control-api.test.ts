/**
 * The control API as deployed: one AWS_IAM route per CONTROL_ROUTES entry to
 * the control function, its stage, the function's grants, and the read-only
 * and operator managed policies, which must allow exactly their routes. One
 * synth of the sample stack is shared by the file (synth takes seconds).
 */
import type { Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { actionsForUses } from '../../functions/adapters/aws/grants.js';
import { CONTROL_ROUTES, type ControlRoute } from '../../functions/control/routes.js';
import { InvalidInputError } from '../../functions/errors.js';
import { ENV } from '../../functions/handlers/environment.js';
import { flattenCfnReference } from '../../infra/acknowledgments.js';
import { CONTROL_FUNCTIONS } from '../../infra/functions.js';
import { LEDGER_ACTIONS } from '../../infra/grants.js';
import { synthStack } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

const { stack, template } = synthStack();
const json = template.toJSON() as { Resources: Record<string, Resource>; Outputs: Record<string, { Value: unknown; Export?: { Name: string } }> };
const control = stack.orchestrator.controlApi;
const [SPEC] = CONTROL_FUNCTIONS;
if (SPEC === undefined) throw new Error('no control function spec');

function logicalId(construct: { node: { defaultChild?: unknown } } | undefined): string {
  const child = construct?.node.defaultChild;
  if (child === undefined) throw new Error('no such construct');
  return stack.getLogicalId(child as Parameters<Stack['getLogicalId']>[0]);
}

const ofType = (type: string): [string, Resource][] => Object.entries(json.Resources).filter(([, r]) => r.Type === type);
const apiId = logicalId(control.httpApi);
const functionId = logicalId(stack.orchestrator.functions[SPEC.id]);
const controlRoutes = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => JSON.stringify(r.Properties.ApiId) === JSON.stringify({ Ref: apiId }));
const routeKey = (route: Pick<ControlRoute, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** Every Allow statement of the policies attached to the role `roleId`. */
function statementsOfRole(roleId: string): Statement[] {
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const asArray = <T,>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const actionsOf = (statements: readonly Statement[]): string[] => [...new Set(statements.flatMap((s) => asArray(s.Action)))].sort();
const roleId = ((json.Resources[functionId]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'])[0];

/** The route's `execute-api:Invoke` ARN as the docs give it, `{param}` segments as `*`, references flattened the way cdk-nag writes them. */
const expectedArn = (route: ControlRoute): string =>
  `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/$default/${route.method}${route.path.replace(/\{[^/}]+\}/g, '*')}`;

/** A managed policy's resources, flattened, and its actions. */
function policyOf(construct: { node: { defaultChild?: unknown } }): { name: unknown; actions: string[]; resources: string[]; statements: Statement[] } {
  const policy = json.Resources[logicalId(construct)];
  const statements = (policy?.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
  return {
    name: policy?.Properties.ManagedPolicyName,
    statements,
    actions: actionsOf(statements),
    resources: statements.flatMap((s) => asArray(s.Resource)).map(flattenCfnReference).sort(),
  };
}

/**
 * Whether IAM's ARN matching lets `pattern` cover `arn`: `*` any run of
 * characters (`/` included), `?` one character, everything else literal.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
 */
function iamMatches(pattern: string, arn: string): boolean {
  const regex = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** The ARN API Gateway authorizes for a concrete request to `route` (each parameter some id). */
const requestArn = (route: ControlRoute): string =>
  `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/$default/${route.method}${route.path.replace(/\{[^/}]+\}/g, 'id-1')}`;

const READ_ROUTES = CONTROL_ROUTES.filter((r) => r.access === 'read');
const OPERATE_ROUTES = CONTROL_ROUTES.filter((r) => r.access === 'operate');

describe('control API routes', () => {
  it('has exactly the routes of CONTROL_ROUTES, no $default route and no other', () => {
    expect(controlRoutes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(CONTROL_ROUTES.map(routeKey).sort());
    expect(Object.keys(control.routes).sort()).toEqual(CONTROL_ROUTES.map((r) => r.id).sort());
    expect(READ_ROUTES.length).toBeGreaterThan(0);
    expect(OPERATE_ROUTES.length).toBeGreaterThan(0);
  });

  it.each(CONTROL_ROUTES.map((r) => [routeKey(r), r] as const))('authorizes %s with AWS_IAM and sends it to the control function', (key) => {
    const route = controlRoutes.find(([, r]) => r.Properties.RouteKey === key)?.[1];
    expect(route?.Properties.AuthorizationType).toBe('AWS_IAM');
    const target = route?.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
    const integration = json.Resources[target['Fn::Join'][1][1].Ref];
    expect(integration?.Properties).toEqual({
      ApiId: { Ref: apiId },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [functionId, 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
  });

  it("leaves no route of the stack without authorization but the approval endpoint's three, which verify Slack's and the links' signatures", () => {
    const approvalApi = { Ref: logicalId(stack.orchestrator.approvalApi?.httpApi) };
    const open = ofType('AWS::ApiGatewayV2::Route').filter(([, r]) => r.Properties.AuthorizationType !== 'AWS_IAM');
    expect(open.map(([, r]) => r.Properties.ApiId)).toEqual(open.map(() => approvalApi));
    expect(open).toHaveLength(3);
  });

  it('has no CORS configuration: no browser origin calls it', () => {
    expect(json.Resources[apiId]?.Properties).toEqual({ Description: expect.any(String) as unknown, Name: expect.any(String) as unknown, ProtocolType: 'HTTP' });
  });

  it('lets API Gateway invoke the control function from this API only, with one permission', () => {
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(`"${functionId}"`));
    expect(permissions).toHaveLength(1);
    const [, permission] = permissions[0] ?? [];
    expect(permission?.Properties.Principal).toBe('apigateway.amazonaws.com');
    expect(flattenCfnReference(permission?.Properties.SourceArn)).toBe(`arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/*/*/*`);
  });
});

describe('control API stage', () => {
  const stage = ofType('AWS::ApiGatewayV2::Stage').find(([, s]) => JSON.stringify(s.Properties.ApiId) === JSON.stringify({ Ref: apiId }))?.[1];

  it('is $default, auto-deployed, throttled to 20 requests a second with bursts of 40', () => {
    expect(stage?.Properties).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 } });
  });

  it('logs every request, with its route key, status and verified caller, to its own log group kept three months', () => {
    const logsId = logicalId(control.accessLogs);
    expect(json.Resources[logsId]?.Properties.RetentionInDays).toBe(90);
    const settings = stage?.Properties.AccessLogSettings as { DestinationArn: unknown; Format: string };
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [logsId, 'Arn'] });
    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      caller: '$context.identity.userArn',
      sourceIp: '$context.identity.sourceIp',
    });
  });
});

describe('managed policies', () => {
  it('rollgate-read-only allows execute-api:Invoke on exactly the read routes', () => {
    const policy = policyOf(control.readOnlyPolicy);
    expect(policy.name).toBe('rollgate-read-only');
    expect(policy.statements.map((s) => s.Effect)).toEqual(['Allow']);
    expect(policy.actions).toEqual(['execute-api:Invoke']);
    expect(policy.resources).toEqual(READ_ROUTES.map(expectedArn).sort());
  });

  it('rollgate-operator allows execute-api:Invoke on exactly every route, read and operate', () => {
    const policy = policyOf(control.operatorPolicy);
    expect(policy.name).toBe('rollgate-operator');
    expect(policy.statements.map((s) => s.Effect)).toEqual(['Allow']);
    expect(policy.actions).toEqual(['execute-api:Invoke']);
    expect(policy.resources).toEqual(CONTROL_ROUTES.map(expectedArn).sort());
  });

  it('lets a read-only caller reach every read route and, under IAM matching, no operate route', () => {
    const { resources } = policyOf(control.readOnlyPolicy);
    for (const route of READ_ROUTES) expect(resources.some((p) => iamMatches(p, requestArn(route))), route.id).toBe(true);
    for (const route of OPERATE_ROUTES) expect(resources.filter((p) => iamMatches(p, requestArn(route))), route.id).toEqual([]);
  });

  it('lets a read-only caller list versions and read a release\'s traffic per version (GET only)', () => {
    const { resources } = policyOf(control.readOnlyPolicy);
    for (const path of ['/services/checkout/versions', '/services/checkout/prod/releases/01JDX3R7Y2G8N1V6Q4K5M9T0AB/traffic']) {
      const arn = (method: string) => `arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiId}>/$default/${method}${path}`;
      expect(resources.some((p) => iamMatches(p, arn('GET'))), path).toBe(true);
      expect(resources.some((p) => iamMatches(p, arn('POST'))), path).toBe(false);
    }
  });

  it('grants the control function cloudwatch:GetMetricData on "*" (no resource-level permissions), for the traffic route', () => {
    const reads = statementsOfRole(roleId).filter((s) => asArray(s.Action).includes('cloudwatch:GetMetricData'));
    // CDK merges the "*" statements (DescribeAlarms' among them) into one.
    expect(reads.map((s) => s.Resource)).toEqual(['*']);
    expect(actionsOf(statementsOfRole(roleId))).toEqual(expect.arrayContaining(['cloudwatch:GetMetricData', 'cloudwatch:DescribeAlarms']));
  });

  it('lets an operator reach every route', () => {
    const { resources } = policyOf(control.operatorPolicy);
    for (const route of CONTROL_ROUTES) expect(resources.some((p) => iamMatches(p, requestArn(route))), route.id).toBe(true);
  });

  it('is attached to nobody: who gets which is for the account to decide', () => {
    for (const policy of [control.readOnlyPolicy, control.operatorPolicy]) {
      const props = json.Resources[logicalId(policy)]?.Properties ?? {};
      expect([props.Roles, props.Users, props.Groups]).toEqual([undefined, undefined, undefined]);
    }
  });
});

describe('control function', () => {
  it('holds exactly the actions of the port methods it uses, its ledger and log actions, and no dead-letter queue', () => {
    const expected = [...actionsForUses(SPEC.uses), ...LEDGER_ACTIONS, 'logs:CreateLogStream', 'logs:PutLogEvents'];
    expect(actionsOf(statementsOfRole(roleId))).toEqual([...new Set(expected)].sort());
    expect(json.Resources[functionId]?.Properties.DeadLetterConfig).toBeUndefined();
  });

  it('starts, reads and resumes executions of the release state machine only, and reads the Slack bot token only', () => {
    const statements = statementsOfRole(roleId);
    for (const action of ['states:StartExecution', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:DescribeExecution']) {
      const resources = statements.filter((s) => asArray(s.Action).includes(action)).flatMap((s) => asArray(s.Resource)).map((r) => flattenCfnReference(stack.resolve(r)));
      expect(resources.length, action).toBeGreaterThan(0);
      for (const resource of resources) expect(resource, action).toMatch(/:(stateMachine|execution):Rollgate-release(:\*)?$/);
    }
    const secrets = statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('secretsmanager:'))).flatMap((s) => asArray(s.Resource)).map((r) => flattenCfnReference(r));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]).toMatch(/:secret:rollgate\/slack-bot-token-\?{6}$/);
  });

  it('gets the ledger table and the state machine ARN in its environment, and 29 s, under the HTTP API integration limit of 30', () => {
    const props = json.Resources[functionId]?.Properties;
    const env = (props?.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env[ENV.ledgerTable]).toEqual({ Ref: logicalId(stack.orchestrator.ledgerTable as never) });
    expect(flattenCfnReference(env[ENV.stateMachineArn])).toMatch(/:stateMachine:Rollgate-release$/);
    expect(props?.Timeout).toBe(29);
  });
});

describe('outputs', () => {
  it('outputs the endpoint the CLI calls as ControlApiEndpoint, exported', () => {
    expect(json.Outputs.ControlApiEndpoint).toMatchObject({ Value: { 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, Export: { Name: 'Rollgate-ControlApiEndpoint' } });
  });

  it('outputs both policy ARNs, exported for other stacks to attach', () => {
    expect(json.Outputs.ReadOnlyPolicyArn).toMatchObject({ Value: { Ref: logicalId(control.readOnlyPolicy) }, Export: { Name: 'Rollgate-ReadOnlyPolicyArn' } });
    expect(json.Outputs.OperatorPolicyArn).toMatchObject({ Value: { Ref: logicalId(control.operatorPolicy) }, Export: { Name: 'Rollgate-OperatorPolicyArn' } });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding on the control API, its policies or its function', () => {
    const report = new AwsSolutionsChecks(stack, { verbose: true }).validateScope(stack);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('control options', () => {
  it('takes its throttling, log retention and policy name prefix from props.control', () => {
    const { template: t } = synthStack({
      control: { throttleRateLimit: 2.5, throttleBurstLimit: 5, accessLogRetention: logs.RetentionDays.ONE_YEAR, policyNamePrefix: 'payments-rollgate' },
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 2.5, ThrottlingBurstLimit: 5 } });
    const resources = Object.values((t.toJSON() as { Resources: Record<string, Resource> }).Resources);
    expect(resources.filter((r) => r.Type === 'AWS::Logs::LogGroup' && r.Properties.RetentionInDays === 365)).toHaveLength(1);
    expect(resources.filter((r) => r.Type === 'AWS::IAM::ManagedPolicy').map((r) => r.Properties.ManagedPolicyName).sort()).toEqual([
      'payments-rollgate-operator',
      'payments-rollgate-read-only',
    ]);
  });

  it.each([
    [{ throttleRateLimit: 0 }, /control\.throttleRateLimit: must be more than 0 and at most 10000/],
    [{ throttleBurstLimit: 2.5 }, /control\.throttleBurstLimit: must be a whole number of requests from 1 to 5000/],
    [{ policyNamePrefix: 'has space' }, /control\.policyNamePrefix: must be 1 to 100 characters/],
    [{ policyNamePrefix: '' }, /control\.policyNamePrefix/],
  ])('refuses %o, naming the prop', (control, message) => {
    const synth = () => synthStack({ control });
    expect(synth).toThrow(InvalidInputError);
    expect(synth).toThrow(message);
  });
});
