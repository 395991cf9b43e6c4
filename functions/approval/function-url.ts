/**
 * The approval endpoint behind a Lambda Function URL (auth type NONE: Slack
 * and browsers call it; every request is authenticated by the Slack
 * signature, or by the personal link plus the CSRF token). This is the seam
 * the CDK stack wires:
 *
 *   // functions/handlers/approval-endpoint.ts (module scope = cold start)
 *   const secrets = cachedSlackSecrets(async () => parseSlackSecretString(await readSecret(SECRET_ARN)));
 *   const slack = new SlackWebApi({ botToken: async () => (await secrets.get()).botToken });
 *   export const handler = createApprovalFunctionUrlHandler(
 *     new ApprovalEndpoint({ ledger, callbacks: new SfnCallbacks(sfn), slack, secrets }),
 *   );
 *
 * The body arrives base64-encoded when Lambda deems it binary; it is decoded
 * back to the exact bytes Slack signed.
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 */
import type { LambdaFunctionURLEvent, LambdaFunctionURLResult } from 'aws-lambda';
import type { ApprovalEndpoint } from './endpoint.js';
import { parseCookies, type HttpRequest } from './http.js';

export type ApprovalFunctionUrlHandler = (event: LambdaFunctionURLEvent) => Promise<LambdaFunctionURLResult>;

/** The Function URL event as the endpoint's request. */
export function requestFromFunctionUrl(event: LambdaFunctionURLEvent): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers)) headers[name.toLowerCase()] = value;
  const cookieHeaders = [...(event.cookies ?? []), ...(headers.cookie === undefined ? [] : [headers.cookie])];
  return {
    method: event.requestContext.http.method.toUpperCase(),
    path: event.rawPath,
    query: new URLSearchParams(event.rawQueryString),
    headers,
    cookies: parseCookies(cookieHeaders),
    rawBody: event.body === undefined ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'),
    // Function URLs are HTTPS only.
    origin: `https://${event.requestContext.domainName}`,
  };
}

/** A Lambda handler for a Function URL in front of `endpoint`. */
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
