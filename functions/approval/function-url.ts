/**
 * The approval endpoint behind a Lambda Function URL or an API Gateway HTTP
 * API (payload format 2.0, the same event; no authorizer: Slack and browsers
 * call it, and every request is authenticated by the Slack signature, or by
 * the personal link plus the CSRF token). functions/handlers/approval-endpoint.ts
 * is the Lambda entry that builds it.
 *
 * The body arrives base64-encoded when Lambda or API Gateway deems it binary;
 * it is decoded back to the exact bytes Slack signed. Behind an HTTP API
 * stage other than `$default`, the path starts with the stage name; it is
 * taken off (and kept as the base path, for links and forms).
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApprovalEndpoint } from './endpoint.js';
import { parseCookies, type HttpRequest } from './http.js';

/** A Function URL request, or an HTTP API request in payload format 2.0 (`LambdaFunctionURLEvent` is this type). */
export type ApprovalHttpEvent = APIGatewayProxyEventV2;

export type ApprovalFunctionUrlHandler = (event: ApprovalHttpEvent) => Promise<APIGatewayProxyStructuredResultV2>;

/** The stage path an HTTP API puts in front of the route (`/prod`), or `''` for `$default` and Function URLs. */
function stagePath(event: ApprovalHttpEvent): string {
  const stage = event.requestContext.stage;
  if (stage === '' || stage === '$default') return '';
  const prefix = `/${stage}`;
  return event.rawPath === prefix || event.rawPath.startsWith(`${prefix}/`) ? prefix : '';
}

/** The Function URL or HTTP API event as the endpoint's request. */
export function requestFromFunctionUrl(event: ApprovalHttpEvent): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers)) headers[name.toLowerCase()] = value;
  const cookieHeaders = [...(event.cookies ?? []), ...(headers.cookie === undefined ? [] : [headers.cookie])];
  const basePath = stagePath(event);
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath.slice(basePath.length) || '/',
    query: new URLSearchParams(event.rawQueryString),
    headers,
    cookies: parseCookies(cookieHeaders),
    rawBody: event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    // Function URLs and HTTP APIs are HTTPS only.
    origin: `https://${event.requestContext.domainName}`,
    basePath,
  };
}

/** A Lambda handler for a Function URL or an HTTP API in front of `endpoint`. */
export function createApprovalFunctionUrlHandler(endpoint: ApprovalEndpoint): ApprovalFunctionUrlHandler {
  return async (event) => {
    const response = await endpoint.handle(requestFromFunctionUrl(event));
    return {
      statusCode: response.status,
      headers: { ...response.headers },
      ...(response.cookies === undefined || response.cookies.length === 0 ? {} : { cookies: [...response.cookies] }),
      body: response.body,
      isBase64Encoded: false,
    };
  };
}
