/**
 * AWS's documented example events, as published, for the handlers and rules
 * to be tested against. Each is a function returning a fresh copy.
 */

/**
 * "State change for a single-metric alarm":
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
/** An EventBridge event whose `detail` the tests may change. */
export type ExampleEvent = Record<string, unknown> & { resources: string[]; detail: Record<string, unknown> };

export function cloudWatchAlarmStateChange(): ExampleEvent {
  return {
    version: '0',
    id: 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time: '2019-10-02T17:04:40Z',
    region: 'us-east-1',
    resources: ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:ServerCpuTooHigh'],
    detail: {
      alarmName: 'ServerCpuTooHigh',
      configuration: {
        description: 'Goes into alarm when server CPU utilization is too high!',
        metrics: [
          {
            id: '30b6c6b2-a864-43a2-4877-c09a1afc3b87',
            metricStat: {
              metric: { dimensions: { InstanceId: 'i-12345678901234567' }, name: 'CPUUtilization', namespace: 'AWS/EC2' },
              period: 300,
              stat: 'Average',
            },
            returnData: true,
          },
        ],
      },
      previousState: {
        reason:
          'Threshold Crossed: 1 out of the last 1 datapoints [0.0666851903306472 (01/10/19 13:46:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for ALARM -> OK transition).',
        reasonData:
          '{"version":"1.0","queryDate":"2019-10-01T13:56:40.985+0000","startDate":"2019-10-01T13:46:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[0.0666851903306472],"threshold":50.0}',
        timestamp: '2019-10-01T13:56:40.987+0000',
        value: 'OK',
      },
      state: {
        reason:
          'Threshold Crossed: 1 out of the last 1 datapoints [99.50160229693434 (02/10/19 16:59:00)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition).',
        reasonData:
          '{"version":"1.0","queryDate":"2019-10-02T17:04:40.985+0000","startDate":"2019-10-02T16:59:00.000+0000","statistic":"Average","period":300,"recentDatapoints":[99.50160229693434],"threshold":50.0}',
        timestamp: '2019-10-02T17:04:40.989+0000',
        value: 'ALARM',
      },
    },
  };
}

/** The documented example for one of rollgate's alarms: same event, that alarm's name and ARN. */
export function alarmStateChangeFor(alarmName: string): ExampleEvent {
  const event = cloudWatchAlarmStateChange();
  event.detail.alarmName = alarmName;
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`];
  return event;
}

/**
 * "Execution failed" (Step Functions Execution Status Change):
 * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
 */
export function stepFunctionsExecutionFailed(): ExampleEvent {
  return {
    version: '0',
    id: '315c1398-40ff-a850-213b-158f73e60175',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '123456789012',
    time: '2019-02-26T19:42:21Z',
    region: 'us-east-1',
    resources: ['arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name'],
    detail: {
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:state-machine-name:execution-name',
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:state-machine',
      name: 'execution-name',
      status: 'FAILED',
      startDate: 1551225146847,
      stopDate: 1551225151881,
      input: '{}',
      output: null,
    },
  };
}

/** A scheduled event (EventBridge Scheduler's "Scheduled Event" from a rate rule). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html */
export function scheduledEvent(): ExampleEvent {
  return {
    version: '0',
    id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: '2015-10-08T16:53:06Z',
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule'],
    detail: {},
  };
}

/** "Event for a completed image push": https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html */
export function ecrImagePush(): ExampleEvent {
  return {
    version: '0',
    id: '13cde686-328b-6117-af20-0e5566167482',
    'detail-type': 'ECR Image Action',
    source: 'aws.ecr',
    account: '123456789012',
    time: '2019-11-16T01:54:34Z',
    region: 'us-west-2',
    resources: [],
    detail: {
      result: 'SUCCESS',
      'repository-name': 'my-repository-name',
      // The documentation's digest is shortened; a real one has 64 hex digits.
      'image-digest': 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
      'action-type': 'PUSH',
      'image-tag': 'latest',
    },
  };
}

/** The build-state-change notification: https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html#sample-build-notifications-ref */
export function codeBuildStateChange(): ExampleEvent {
  return {
    version: '0',
    id: 'c030038d-8c4d-6141-9545-00ff7b7153EX',
    'detail-type': 'CodeBuild Build State Change',
    source: 'aws.codebuild',
    account: '123456789012',
    time: '2017-09-01T16:14:28Z',
    region: 'us-west-2',
    resources: ['arn:aws:codebuild:us-west-2:123456789012:build/my-sample-project:8745a7a9-c340-456a-9166-edf953571bEX'],
    detail: {
      'build-status': 'SUCCEEDED',
      'project-name': 'my-sample-project',
      'build-id': 'arn:aws:codebuild:us-west-2:123456789012:build/my-sample-project:8745a7a9-c340-456a-9166-edf953571bEX',
      'additional-information': {
        artifact: {
          md5sum: 'da9c44c8a9a3cd4b443126e823168fEX',
          sha256sum: '6ccc2ae1df9d155ba83c597051611c42d60e09c6329dcb14a312cecc0a8e39EX',
          location: 'arn:aws:s3:::codebuild-123456789012-output-bucket/my-output-artifact.zip',
        },
        environment: {
          image: 'aws/codebuild/standard:5.0',
          'privileged-mode': false,
          'compute-type': 'BUILD_GENERAL1_SMALL',
          type: 'LINUX_CONTAINER',
          'environment-variables': [],
        },
        'timeout-in-minutes': 60,
        'build-complete': true,
        initiator: 'MyCodeBuildDemoUser',
        'build-start-time': 'Sep 1, 2017 4:12:29 PM',
        source: { location: 'codebuild-123456789012-input-bucket/my-input-artifact.zip', type: 'S3' },
        'source-version': 'my-source-version',
      },
      'current-phase': 'COMPLETED',
      'current-phase-context': '[]',
      version: '1',
    },
  };
}

/** What a request to the approval API carries, for {@link httpApiRequest}. */
export interface HttpApiRequestParts {
  readonly method: 'GET' | 'POST';
  /** The route key's path with the id filled in: `/approvals/<id>`. */
  readonly path: string;
  readonly routeKey: string;
  readonly headers: Record<string, string>;
  readonly rawQueryString?: string;
  readonly body?: string;
}

/**
 * An HTTP API request to a Lambda integration in payload format 2.0, shaped
 * like the documented example (header names lower-case, the route's path
 * parameters in `pathParameters`, the body as sent):
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
export function httpApiRequest(parts: HttpApiRequestParts): Record<string, unknown> {
  const id = /^\/approvals\/([^/]+)$/.exec(parts.path)?.[1];
  return {
    version: '2.0',
    routeKey: parts.routeKey,
    rawPath: parts.path,
    rawQueryString: parts.rawQueryString ?? '',
    headers: { host: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com', 'x-forwarded-proto': 'https', ...parts.headers },
    ...(parts.rawQueryString === undefined ? {} : { queryStringParameters: Object.fromEntries(new URLSearchParams(parts.rawQueryString)) }),
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName: 'a1b2c3d4e5.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'a1b2c3d4e5',
      http: { method: parts.method, path: parts.path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: parts.headers['user-agent'] ?? '' },
      requestId: 'JKJaXmPLvHcESHA=',
      routeKey: parts.routeKey,
      stage: '$default',
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: 1583348638390,
    },
    ...(id === undefined ? {} : { pathParameters: { id } }),
    ...(parts.body === undefined ? {} : { body: parts.body }),
    isBase64Encoded: false,
  };
}
