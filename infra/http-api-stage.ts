/**
 * An HTTP API with no auto-created stage, and its `$default` stage made
 * here: throttled stage-wide (API Gateway's token bucket answers 429 before
 * the function is invoked, and before IAM is evaluated) and access-logged to
 * a retained log group. The approval API and the control API are both built
 * on it.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import type { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The stage name: `$default`, so the endpoint URL has no stage segment. */
export const HTTP_API_STAGE = '$default';

export interface LoggedHttpApiProps {
  readonly description: string;
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  readonly accessLogRetention: logs.RetentionDays;
  readonly accessLogFormat: AccessLogFormat;
}

export interface LoggedHttpApi {
  readonly httpApi: apigwv2.HttpApi;
  readonly accessLogs: logs.LogGroup;
  readonly stage: apigwv2.HttpStage;
}

/** The API (`Api`), its log group (`AccessLogs`) and its `$default` stage (`DefaultStage`), as children of `scope`. */
export function loggedHttpApi(scope: Construct, props: LoggedHttpApiProps): LoggedHttpApi {
  const httpApi = new apigwv2.HttpApi(scope, 'Api', { description: props.description, createDefaultStage: false });
  const accessLogs = new logs.LogGroup(scope, 'AccessLogs', { retention: props.accessLogRetention, removalPolicy: RemovalPolicy.RETAIN });
  const stage = httpApi.addStage('DefaultStage', {
    stageName: HTTP_API_STAGE,
    autoDeploy: true,
    throttle: { rateLimit: props.throttleRateLimit, burstLimit: props.throttleBurstLimit },
    accessLogSettings: { destination: new apigwv2.LogGroupLogDestination(accessLogs), format: props.accessLogFormat },
  });
  return { httpApi, accessLogs, stage };
}
