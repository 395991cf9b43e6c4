/**
 * The control API's front door: an API Gateway HTTP API with one route per
 * entry of the route table (functions/control/routes.ts CONTROL_ROUTES),
 * every route authorized with AWS_IAM (SigV4), all integrated with the one
 * control function; a throttled, access-logged `$default` stage; and the two
 * customer managed policies that say who may do what: read-only (the `read`
 * routes) and operator (every route).
 *
 * With IAM authorization API Gateway verifies the caller's signature and
 * evaluates `execute-api:Invoke` on the route before the function runs, and
 * hands the function the verified principal (`requestContext.authorizer.iam`),
 * the identity the ledger records and four-eyes compares.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
 *
 * No `$default` route (a request for a path outside the table is API
 * Gateway's 404, without invoking anything) and no CORS: the CLI and the
 * dashboard run on the operator's machine and sign their requests, no
 * browser origin calls this API.
 */
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CONTROL_ROUTES, type ControlRoute, type RouteAccess } from '../functions/control/routes.js';
import { acknowledgeWildcards } from './acknowledgments.js';
import { HTTP_API_STAGE, loggedHttpApi } from './http-api-stage.js';

/** Properties of a {@link ControlApi}. */
export interface ControlApiProps {
  /** The control function every route invokes. */
  readonly handler: lambda.IFunction;
  /** Steady-state requests per second the stage accepts. */
  readonly throttleRateLimit: number;
  /** Requests the stage accepts at once above the steady rate (the token bucket's size). */
  readonly throttleBurstLimit: number;
  /** How long access log entries are kept. */
  readonly accessLogRetention: logs.RetentionDays;
  /**
   * Prefix of the two managed policies' names: `<prefix>-read-only` and
   * `<prefix>-operator`. IAM names are unique per account (not per region).
   */
  readonly policyNamePrefix: string;
}

/**
 * The access log entry of one request: the route key stands in for the path
 * (ids only, but one format for every route), and the verified caller is
 * logged beside the status, so a refused call (403 from IAM) is visible even
 * though it never reached the function or the ledger.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    caller: '$context.identity.userArn',
    callerAccount: '$context.identity.accountId',
    routeKey: '$context.routeKey',
    status: '$context.status',
    error: '$context.error.message',
    responseLength: '$context.responseLength',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/** The stage every route is on: the API's own endpoint URL, no stage segment. */
export const CONTROL_STAGE = HTTP_API_STAGE;

/**
 * A route's path as its `execute-api:Invoke` ARN names it: each `{param}`
 * segment a `*`. IAM's `*` matches any run of characters, `/` included, so
 * a pattern can match more than its own route; test/infra/control-api.test.ts
 * proves no read-only pattern matches an operate route.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
 */
export function invokePath(route: Pick<ControlRoute, 'path'>): string {
  return route.path.replace(/\{\w+\}/g, '*');
}

/** The routes each policy allows: read-only the `read` routes, operator all of them. */
export const POLICY_ACCESS = {
  readOnly: ['read'],
  operator: ['read', 'operate'],
} as const satisfies Record<string, readonly RouteAccess[]>;

/** The HTTP API in front of the control function, and the policies that call it. */
export class ControlApi extends Construct {
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;

  /** Its `$default` stage: throttled, access-logged, deployed on every change. */
  public readonly stage: apigwv2.HttpStage;

  /** Where the stage writes its access log. */
  public readonly accessLogs: logs.LogGroup;

  /** Each route of CONTROL_ROUTES, by its id. */
  public readonly routes: Readonly<Record<string, apigwv2.HttpRoute>>;

  /** `execute-api:Invoke` on the `read` routes: looks at releases, approvals and locks, changes nothing. */
  public readonly readOnlyPolicy: iam.ManagedPolicy;

  /** `execute-api:Invoke` on every route: starts, promotes, aborts, rolls back, approves, takes over locks. */
  public readonly operatorPolicy: iam.ManagedPolicy;

  /** The URL the CLI calls (`--endpoint`): the `$default` stage's, with no stage segment. */
  public readonly endpoint: string;

  public constructor(scope: Construct, id: string, props: ControlApiProps) {
    super(scope, id);
    // Throttled before IAM is evaluated: a flood of unsigned requests gets 429s too.
    ({ httpApi: this.httpApi, accessLogs: this.accessLogs, stage: this.stage } = loggedHttpApi(this, {
      description: 'rollgate: control API (IAM-authorized): releases, approvals, locks',
      throttleRateLimit: props.throttleRateLimit,
      throttleBurstLimit: props.throttleBurstLimit,
      accessLogRetention: props.accessLogRetention,
      accessLogFormat: ACCESS_LOG_FORMAT,
    }));

    // Payload format 2.0: the verified caller is `requestContext.authorizer.iam`.
    // One invoke permission for the whole API rather than one per route:
    // every route goes to this one function, and fifteen statements would
    // only grow its resource policy.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    const integration = new HttpLambdaIntegration('Control', props.handler, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      scopePermissionToRoute: false,
    });
    const authorizer = new HttpIamAuthorizer();
    const routes: Record<string, apigwv2.HttpRoute> = {};
    for (const route of CONTROL_ROUTES) {
      routes[route.id] = new apigwv2.HttpRoute(this, `Route${route.id.charAt(0).toUpperCase()}${route.id.slice(1)}`, {
        httpApi: this.httpApi,
        routeKey: apigwv2.HttpRouteKey.with(route.path, apigwv2.HttpMethod[route.method]),
        integration,
        authorizer,
      });
    }
    this.routes = routes;

    this.readOnlyPolicy = this.policy('ReadOnlyPolicy', `${props.policyNamePrefix}-read-only`, POLICY_ACCESS.readOnly, 'look at releases, approvals and locks');
    this.operatorPolicy = this.policy('OperatorPolicy', `${props.policyNamePrefix}-operator`, POLICY_ACCESS.operator, 'operate releases');
    this.endpoint = this.httpApi.apiEndpoint;
  }

  /** The `execute-api:Invoke` ARN of each route of `access`, on this API's stage. */
  public invokeArns(access: readonly RouteAccess[]): string[] {
    return CONTROL_ROUTES.filter((r) => access.includes(r.access)).map((r) => this.httpApi.arnForExecuteApi(r.method, invokePath(r), CONTROL_STAGE));
  }

  private policy(id: string, name: string, access: readonly RouteAccess[], what: string): iam.ManagedPolicy {
    const statement = new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: this.invokeArns(access) });
    const policy = new iam.ManagedPolicy(this, id, {
      managedPolicyName: name,
      description: `rollgate: may ${what} through the control API (routes: ${access.join(', ')})`,
      statements: [statement],
    });
    acknowledgeWildcards(policy, [
      {
        statement,
        reason: `The ${name} policy allows each ${access.join(' and ')} route of the control API; a route's path parameters (service, environment, release, approval ids) are one '*' segment each in its execute-api:Invoke ARN, the form API Gateway documents for IAM-authorized HTTP API routes.`,
      },
    ]);
    return policy;
  }
}
