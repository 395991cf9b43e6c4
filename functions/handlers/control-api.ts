/**
 * PLACEHOLDER, replaced at merge by the control function of the `control`
 * branch. It exists so the stack (infra/control-api.ts) has an entry point
 * to bundle; it serves nothing: every request is answered 501.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Answers 501 (`NotImplementedError`) in the control API's error shape (functions/control/routes.ts ControlErrorBody). */
export function handler(): Promise<APIGatewayProxyStructuredResultV2> {
  return Promise.resolve({
    statusCode: 501,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { name: 'NotImplementedError', message: 'the control function is not deployed in this build' } }),
  });
}
