/**
 * The control Lambda's event mapping: the caller is the IAM principal API
 * Gateway verified (requestContext.authorizer.iam.userArn), never a header or
 * the body; an event without it is refused before anything runs.
 */
import { describe, expect, it } from 'vitest';
import { errorBodyOf, statusOf } from '../../functions/control/api.js';
import { controlRequestOf, lambdaResultOf } from '../../functions/control/lambda-event.js';

const ALICE = 'arn:aws:sts::123456789012:assumed-role/Operators/alice';

/** An HTTP API payload 2.0 event, as API Gateway sends it with AWS_IAM authorization. */
function event(overrides: Record<string, unknown> = {}, context: Record<string, unknown> = {}) {
  return {
    version: '2.0',
    routeKey: 'POST /services/{service}/{environment}/releases',
    rawPath: '/services/checkout/prod/releases',
    rawQueryString: '',
    headers: { 'x-rollgate-principal': 'arn:aws:iam::123456789012:user/mallory', 'content-type': 'application/json' },
    body: JSON.stringify({ version: 'v2', principalArn: 'arn:aws:iam::123456789012:user/mallory' }),
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      stage: '$default',
      http: { method: 'POST', path: '/services/checkout/prod/releases', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'rollgate-cli' },
      authorizer: { iam: { accessKey: 'ASIAEXAMPLE', accountId: '123456789012', callerId: 'AROAEXAMPLE:alice', principalOrgId: null, userArn: ALICE, userId: 'AROAEXAMPLE:alice' } },
      ...context,
    },
    ...overrides,
  };
}

describe('the control Lambda event → request and caller', () => {
  it('takes the caller from the IAM authorizer context only, not from headers or the body', () => {
    const { request, caller } = controlRequestOf(event());
    expect(caller).toEqual({ principalArn: ALICE });
    expect(request).toEqual({ method: 'POST', path: '/services/checkout/prod/releases', query: {}, body: JSON.stringify({ version: 'v2', principalArn: 'arn:aws:iam::123456789012:user/mallory' }) });
  });

  it('refuses an event with no IAM identity (a route without AWS_IAM, a console test) with MissingIdentityError, 403', () => {
    for (const context of [{ authorizer: undefined }, { authorizer: {} }, { authorizer: { iam: { userArn: 'mallory' } } }]) {
      let thrown: unknown;
      try {
        controlRequestOf(event({}, context));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ name: 'MissingIdentityError' });
      expect(statusOf(thrown)).toBe(403);
      expect(errorBodyOf(thrown).error.name).toBe('MissingIdentityError');
    }
    expect(() => controlRequestOf({ hello: 'world' })).toThrow(expect.objectContaining({ name: 'MissingIdentityError' }) as Error);
  });

  it('strips a named stage from the path, decodes a base64 body and keeps the query', () => {
    const { request } = controlRequestOf(
      event(
        { rawPath: '/prod/releases', body: Buffer.from('{"a":1}').toString('base64'), isBase64Encoded: true, queryStringParameters: { limit: '5' } },
        { stage: 'prod', http: { method: 'get' } },
      ),
    );
    expect(request).toEqual({ method: 'GET', path: '/releases', query: { limit: '5' }, body: '{"a":1}' });
  });

  it('answers JSON with the status, uncached', () => {
    expect(lambdaResultOf({ status: 409, body: { error: { name: 'LockHeldError', message: 'held' } } })).toEqual({
      statusCode: 409,
      headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
      body: '{"error":{"name":"LockHeldError","message":"held"}}',
    });
  });
});
