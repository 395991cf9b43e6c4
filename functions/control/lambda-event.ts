/**
 * An API Gateway HTTP API event (payload format 2.0) as the control function
 * gets it, mapped to a {@link ControlRequest} and its verified caller, and a
 * {@link ControlResponse} mapped back. The caller is only ever
 * `requestContext.authorizer.iam.userArn`, which API Gateway sets after it
 * verified the request's SigV4 signature with AWS_IAM authorization: never a
 * header or the body. An event without it (a route deployed without AWS_IAM,
 * a test invoke) is refused.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html#http-api-develop-integrations-lambda.proxy-format
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod';
import type { ControlRequest, ControlResponse } from './api.js';
import { MissingIdentityError } from './errors.js';
import type { ControlCaller } from './operations.js';

const EventSchema = z.object({
  rawPath: z.string(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  queryStringParameters: z.record(z.string(), z.string().optional()).optional(),
  requestContext: z.object({
    stage: z.string().optional(),
    http: z.object({ method: z.string() }),
    authorizer: z
      .object({ iam: z.object({ userArn: z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:\S+$/) }).optional() })
      .optional(),
  }),
});

/**
 * The request and caller of an HTTP API v2 event.
 *
 * @throws MissingIdentityError no IAM identity in the request context (or not the shape API Gateway sends).
 */
export function controlRequestOf(event: unknown): { request: ControlRequest; caller: ControlCaller } {
  const parsed = EventSchema.safeParse(event);
  if (!parsed.success) throw new MissingIdentityError('not an API Gateway HTTP API (payload 2.0) request');
  const { rawPath, body, isBase64Encoded, queryStringParameters, requestContext } = parsed.data;
  const userArn = requestContext.authorizer?.iam?.userArn;
  if (userArn === undefined) throw new MissingIdentityError('the request carries no verified IAM identity: the route must use AWS_IAM authorization');
  // A named stage prefixes rawPath with `/<stage>`; the $default stage does not.
  const stage = requestContext.stage;
  const path = stage !== undefined && stage !== '$default' && rawPath.startsWith(`/${stage}/`) ? rawPath.slice(stage.length + 1) : rawPath;
  return {
    request: {
      method: requestContext.http.method.toUpperCase(),
      path,
      query: queryStringParameters ?? {},
      body: body === undefined ? undefined : isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body,
    },
    caller: { principalArn: userArn },
  };
}

/** A control response as the HTTP API wants it back. */
export function lambdaResultOf(response: ControlResponse): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: response.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: JSON.stringify(response.body),
  };
}
