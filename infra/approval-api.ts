/**
 * The approval endpoint's front door: an API Gateway HTTP API with the three
 * routes the endpoint function serves, a throttled `$default` stage and its
 * access log. Slack posts interactivity (button clicks) to
 * `POST /slack/interactivity`; approvers' browsers open `GET /approvals/{id}`
 * (a confirmation page that changes nothing) and decide with
 * `POST /approvals/{id}`.
 *
 * There is no authorizer: API Gateway cannot check what authenticates these
 * requests. The function verifies Slack's signature over the raw body, or the
 * personal link's signature and the page's CSRF token, before it reads
 * anything else.
 */
import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { APPROVAL_PAGE_PREFIX, SLACK_INTERACTIVITY_PATH } from '../functions/approval/endpoint.js';
import { loggedHttpApi } from './http-api-stage.js';

/** The routes of the approval endpoint, on the paths the endpoint serves. */
export const APPROVAL_ROUTES = {
  slackInteractivity: { method: apigwv2.HttpMethod.POST, path: SLACK_INTERACTIVITY_PATH },
  approvalPage: { method: apigwv2.HttpMethod.GET, path: `${APPROVAL_PAGE_PREFIX}{id}` },
  approvalDecision: { method: apigwv2.HttpMethod.POST, path: `${APPROVAL_PAGE_PREFIX}{id}` },
} as const;

/** Properties of an {@link ApprovalApi}. */
export interface ApprovalApiProps {
  /** The approval endpoint function every route invokes. */
  readonly handler: lambda.IFunction;
  /** Steady-state requests per second the stage accepts. */
  readonly throttleRateLimit: number;
  /** Requests the stage accepts at once above the steady rate (the token bucket's size). */
  readonly throttleBurstLimit: number;
  /** How long access log entries are kept. */
  readonly accessLogRetention: logs.RetentionDays;
  /**
   * The public URL of the endpoint when a custom domain is in front of the
   * API (config `slack.publicBaseUrl`).
   *
   * @default - the API's own execute-api endpoint
   */
  readonly publicBaseUrl?: string;
}

/**
 * The access log entry of one request. The route key (`POST /approvals/{id}`)
 * stands in for the path, and nothing of the query string or headers but the
 * user agent is logged: a personal link's `t` parameter decides as its
 * approver, so it must not sit in a log group.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
 */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    sourceIp: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    integrationStatus: '$context.integrationStatus',
    integrationLatency: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
  }),
);

/** The HTTP API in front of the approval endpoint function. */
export class ApprovalApi extends Construct {
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;

  /** Its `$default` stage: throttled, access-logged, deployed on every change. */
  public readonly stage: apigwv2.HttpStage;

  /** Where the stage writes its access log. */
  public readonly accessLogs: logs.LogGroup;

  /** The URL Slack's interactivity settings take (Request URL), on the public base URL if there is one. */
  public readonly slackInteractivityUrl: string;

  public constructor(scope: Construct, id: string, props: ApprovalApiProps) {
    super(scope, id);
    ({ httpApi: this.httpApi, accessLogs: this.accessLogs, stage: this.stage } = loggedHttpApi(this, {
      description: 'rollgate: Slack interactivity and approval links',
      throttleRateLimit: props.throttleRateLimit,
      throttleBurstLimit: props.throttleBurstLimit,
      accessLogRetention: props.accessLogRetention,
      accessLogFormat: ACCESS_LOG_FORMAT,
    }));

    // Payload format 2.0: the body arrives as sent (base64-encoded when API
    // Gateway deems it binary, with isBase64Encoded), which the signature
    // check needs byte for byte; rawPath and rawQueryString likewise.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
    // Each route gets its own invoke permission, scoped to this API and the route's path.
    const integration = new HttpLambdaIntegration('Endpoint', props.handler, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    });
    for (const [name, route] of Object.entries(APPROVAL_ROUTES)) {
      for (const added of this.httpApi.addRoutes({ path: route.path, methods: [route.method], integration })) {
        Validations.of(added).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `The ${name} route (${route.method} ${route.path}) has no API Gateway authorizer because none can check what authenticates it: the approval endpoint verifies Slack's request signature (v0 HMAC over the raw body), or the personal link's signature plus the page's CSRF token, before it reads the request.`,
        });
      }
    }
    const base = props.publicBaseUrl?.replace(/\/+$/, '') ?? this.httpApi.apiEndpoint;
    this.slackInteractivityUrl = `${base}${APPROVAL_ROUTES.slackInteractivity.path}`;
  }
}
