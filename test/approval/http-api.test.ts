/**
 * The approval endpoint as the Lambda runs it: API Gateway HTTP API (payload
 * format 2.0) and Function URL events through createApprovalFunctionUrlHandler,
 * behind a named stage and behind a custom domain with a path, on a release
 * really waiting for approval. And what is refused on sight, before any
 * secret, ledger or Slack call.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SlackWebApi } from '../../functions/adapters/slack/web-api.js';
import { ApprovalEndpoint, type ApprovalEndpointOptions } from '../../functions/approval/endpoint.js';
import { createApprovalFunctionUrlHandler, requestFromFunctionUrl } from '../../functions/approval/function-url.js';
import { staticSlackSecrets, type SlackSecrets } from '../../functions/approval/secrets.js';
import { slackSignature } from '../../functions/approval/slack-signature.js';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { DynamoDbLedger } from '../../functions/ledger/dynamodb-ledger.js';
import type { Callbacks } from '../../functions/ports.js';
import { localDynamoClient } from '../../local/ledger-table.js';
import { ALICE, clickBody, expectStillWaiting, releaseAwaitingApproval, type ApprovalHarness } from './approval-harness.js';

const API_DOMAIN = 'a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com';
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36';

interface EventInput {
  readonly method: string;
  /** The path as the client sent it (stage or mapping path included). */
  readonly rawPath: string;
  readonly rawQueryString?: string;
  readonly headers?: Record<string, string>;
  readonly cookies?: string[];
  readonly body?: string;
  /** @default '$default' */
  readonly stage?: string;
  /** @default {@link API_DOMAIN} */
  readonly domainName?: string;
}

/** An HTTP API event in payload format 2.0, shaped like AWS's documented example; a body goes base64-encoded, as API Gateway sends forms. */
function httpApiEvent(input: EventInput): APIGatewayProxyEventV2 {
  const domainName = input.domainName ?? API_DOMAIN;
  const stage = input.stage ?? '$default';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: input.rawPath,
    rawQueryString: input.rawQueryString ?? '',
    ...(input.cookies === undefined ? {} : { cookies: input.cookies }),
    headers: { host: domainName, 'user-agent': BROWSER, ...input.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'a1b2c3d4e5',
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: { method: input.method, path: input.rawPath, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: BROWSER },
      requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
      routeKey: '$default',
      stage,
      time: '12/Mar/2020:19:03:58 +0000',
      timeEpoch: 1583348638390,
    },
    ...(input.body === undefined ? {} : { body: Buffer.from(input.body).toString('base64') }),
    isBase64Encoded: input.body !== undefined,
  };
}

type Handler = ReturnType<typeof createApprovalFunctionUrlHandler>;

/** The Lambda handler over the harness's ledger, engine and Slack stand-in. */
function lambdaFor(h: ApprovalHarness, options: Partial<ApprovalEndpointOptions> = {}): Handler {
  return createApprovalFunctionUrlHandler(
    new ApprovalEndpoint({
      ledger: h.runtime.ledger,
      callbacks: h.runtime.engine.callbacks,
      slack: h.approvals.slack,
      secrets: staticSlackSecrets(h.approvals.secrets),
      ...options,
    }),
  );
}

/** Opens the page at `rawPath?query` and posts Approve with its cookie and CSRF token, from `origin`. */
async function approveThroughPage(handler: Handler, page: { rawPath: string; rawQueryString: string; stage?: string; domainName?: string }, origin: string) {
  const shown = await handler(httpApiEvent({ method: 'GET', ...page }));
  const body = shown.body ?? '';
  const cookie = shown.cookies?.[0] ?? '';
  const form = new URLSearchParams({
    t: /name="t" value="([^"]+)"/.exec(body)?.[1] ?? '',
    csrf: /name="csrf" value="([^"]+)"/.exec(body)?.[1] ?? '',
    decision: 'approve',
  });
  const decided = await handler(
    httpApiEvent({
      method: 'POST',
      rawPath: page.rawPath,
      ...(page.stage === undefined ? {} : { stage: page.stage }),
      ...(page.domainName === undefined ? {} : { domainName: page.domainName }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin, 'sec-fetch-site': 'same-origin' },
      cookies: [cookie.split(';')[0] ?? ''],
      body: form.toString(),
    }),
  );
  return { shown, body, cookie, decided };
}

describe('the approval endpoint behind an API Gateway HTTP API', () => {
  it('takes the stage off the path and puts it back in links, the form and the cookie, so a decision made behind a named stage resumes the flow', async () => {
    const h = await releaseAwaitingApproval();
    const handler = lambdaFor(h);

    // "Open in browser" through the API: the link carries the API's domain and stage.
    const timestamp = String(h.nowSeconds());
    const click = clickBody(h, 'open', ALICE);
    const opened = await handler(
      httpApiEvent({
        method: 'POST',
        rawPath: '/prod/slack/interactivity',
        stage: 'prod',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': timestamp,
          'x-slack-signature': slackSignature({ signingSecret: h.approvals.secrets.signingSecret, timestamp, rawBody: click }),
        },
        body: click,
      }),
    );
    expect(opened).toMatchObject({ statusCode: 200, headers: { 'x-rollgate-outcome': 'link-sent' } });
    const sent = h.approvals.stub.ephemerals.find((e) => e.user === ALICE)?.text ?? '';
    const link = new URL(/https:\/\/\S+/.exec(sent)?.[0] ?? 'https://missing/');
    expect(`${link.origin}${link.pathname}`).toBe(`https://${API_DOMAIN}/prod/approvals/${h.approvalId}`);

    const { shown, body, cookie, decided } = await approveThroughPage(handler, { rawPath: link.pathname, rawQueryString: link.search.slice(1), stage: 'prod' }, `https://${API_DOMAIN}`);
    expect(shown).toMatchObject({ statusCode: 200, headers: { 'x-rollgate-outcome': 'page' } });
    expect(body).toContain(`action="/prod/approvals/${h.approvalId}"`);
    expect(cookie).toContain(`Path=/prod/approvals/${h.approvalId};`);
    expect(cookie).toContain('; Secure');
    expect(decided).toMatchObject({ statusCode: 200, headers: { 'x-rollgate-outcome': 'approved' } });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
    expect((await h.approval()).decision).toMatchObject({ outcome: 'APPROVED', by: ALICE, via: 'browser' });
  });

  it('serves under the path of a public URL on a custom domain, and refuses page POSTs from the API domain', async () => {
    const h = await releaseAwaitingApproval();
    const publicBaseUrl = 'https://ops.example.com/rollgate/';
    const handler = lambdaFor(h, { publicBaseUrl });
    const endpoint = new ApprovalEndpoint({ ledger: h.runtime.ledger, callbacks: h.runtime.engine.callbacks, slack: h.approvals.slack, secrets: staticSlackSecrets(h.approvals.secrets), publicBaseUrl });
    const link = new URL(await endpoint.personalLink(h.approvalId, ALICE));
    expect(`${link.origin}${link.pathname}`).toBe(`https://ops.example.com/rollgate/approvals/${h.approvalId}`);

    const page = { rawPath: link.pathname, rawQueryString: link.search.slice(1), domainName: 'ops.example.com' };
    const fromApiDomain = await approveThroughPage(handler, page, `https://${API_DOMAIN}`);
    expect(fromApiDomain.body).toContain(`action="/rollgate/approvals/${h.approvalId}"`);
    expect(fromApiDomain.decided).toMatchObject({ statusCode: 403, headers: { 'x-rollgate-outcome': 'cross-site' } });
    await expectStillWaiting(h);

    const { decided } = await approveThroughPage(handler, page, 'https://ops.example.com');
    expect(decided).toMatchObject({ statusCode: 200, headers: { 'x-rollgate-outcome': 'approved' } });
    expect((await h.execution.result).status).toBe('SUCCEEDED');
  });

  it('reads a Function URL event (stage $default) and an HTTP API event alike', () => {
    const functionUrl = requestFromFunctionUrl(httpApiEvent({ method: 'GET', rawPath: '/approvals/abc', domainName: 'abc.lambda-url.eu-west-1.on.aws' }));
    expect(functionUrl).toMatchObject({ path: '/approvals/abc', basePath: '', origin: 'https://abc.lambda-url.eu-west-1.on.aws' });
    const staged = requestFromFunctionUrl(httpApiEvent({ method: 'post', rawPath: '/prod/approvals/abc', stage: 'prod', body: 'a=1' }));
    expect(staged).toMatchObject({ method: 'POST', path: '/approvals/abc', basePath: '/prod', origin: `https://${API_DOMAIN}` });
    expect(staged.rawBody.toString('utf8')).toBe('a=1');
    // A stage name that is only a prefix of the first segment is not taken off.
    expect(requestFromFunctionUrl(httpApiEvent({ method: 'GET', rawPath: '/production/x', stage: 'prod' }))).toMatchObject({ path: '/production/x', basePath: '' });
  });
});

describe('requests refused on sight', () => {
  // Nothing here may be reached: a secret read, a ledger call, a Slack call or a callback would turn the answer into a 500.
  const touched: string[] = [];
  const secrets: SlackSecrets = {
    get: () => {
      touched.push('secrets');
      return Promise.reject(new Error('secrets touched'));
    },
  };
  const fail = () => {
    touched.push('callbacks');
    return Promise.reject(new Error('callbacks touched'));
  };
  const callbacks: Callbacks = { success: fail, failure: fail };
  const unreachable: ApprovalEndpointOptions = {
    ledger: new DynamoDbLedger({ client: ledgerDocumentClient(localDynamoClient('http://127.0.0.1:1')), tableName: 'unreachable' }),
    callbacks,
    slack: new SlackWebApi({ botToken: () => Promise.reject(new Error('slack touched')), baseUrl: 'http://127.0.0.1:1/api/' }),
    secrets,
  };
  const handler = createApprovalFunctionUrlHandler(new ApprovalEndpoint(unreachable));

  it('refuses a public URL that is not an absolute http(s) URL, naming publicBaseUrl', () => {
    for (const publicBaseUrl of ['ops.example.com/rollgate', 'ftp://ops.example.com/']) {
      expect(() => new ApprovalEndpoint({ ...unreachable, publicBaseUrl })).toThrow(expect.objectContaining({ name: 'InvalidInputError', field: 'publicBaseUrl' }) as Error);
    }
  });
  const ID = 'abcdefghijklmnopqrstuvwxyz012345';

  it.each<[string, EventInput, number, string]>([
    ['a body over 64 KiB', { method: 'POST', rawPath: '/slack/interactivity', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `payload=${'x'.repeat(64 * 1024)}` }, 413, 'too-large'],
    ['a JSON body to the Slack interactivity path', { method: 'POST', rawPath: '/slack/interactivity', headers: { 'content-type': 'application/json' }, body: '{"type":"block_actions"}' }, 415, 'unsupported-media-type'],
    ['a Slack request without a content type', { method: 'POST', rawPath: '/slack/interactivity', body: 'payload=%7B%7D' }, 415, 'unsupported-media-type'],
    ['a page POST that is not the form', { method: 'POST', rawPath: `/approvals/${ID}`, headers: { 'content-type': 'text/plain' }, body: 'decision=approve' }, 415, 'unsupported-media-type'],
    ['a GET of the Slack interactivity path', { method: 'GET', rawPath: '/slack/interactivity' }, 405, 'method'],
    ['a DELETE of an approval page', { method: 'DELETE', rawPath: `/approvals/${ID}` }, 405, 'method'],
    ['an unknown path', { method: 'POST', rawPath: '/admin', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, 404, 'not-found'],
    ['a malformed approval id', { method: 'GET', rawPath: '/approvals/../../etc/passwd' }, 404, 'not-found'],
    ['an unknown path behind a stage', { method: 'GET', rawPath: '/prod/approvals', stage: 'prod' }, 404, 'not-found'],
  ])('refuses %s without reading a secret, the ledger or Slack', async (_, input, statusCode, outcome) => {
    touched.length = 0;
    const answer = await handler(httpApiEvent(input));
    expect(answer).toMatchObject({ statusCode, headers: { 'x-rollgate-outcome': outcome } });
    expect(touched).toEqual([]);
  });
});
