import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackWebApi } from '../../functions/adapters/slack/web-api.js';
import { ApprovalEndpoint } from '../../functions/approval/endpoint.js';
import { createApprovalFunctionUrlHandler, requestFromFunctionUrl } from '../../functions/approval/function-url.js';
import { csrfToken, signApprovalLink, verifyApprovalLink, verifyCsrfToken } from '../../functions/approval/links.js';
import { authorize, type ApproverDirectory } from '../../functions/approval/policy.js';
import { cachedSlackSecrets, combinedSlackSecrets, parseSlackBotTokenSecret, parseSlackSigningSecret, staticSlackSecrets } from '../../functions/approval/secrets.js';
import { slackSignature } from '../../functions/approval/slack-signature.js';
import { NotAnApproverError, SelfApprovalError, SlackApiError } from '../../functions/errors.js';
import { DynamoDbLedger } from '../../functions/ledger/dynamodb-ledger.js';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { localDynamoClient } from '../../local/ledger-table.js';
import type { Callbacks } from '../../functions/ports.js';
import { LocalSlackStub } from '../../local/slack-stub.js';

const KEY = 'k'.repeat(43);
const ID = 'abcdefghijklmnopqrstuvwxyz012345';

describe('personal links and CSRF tokens', () => {
  const expiresAt = new Date('2030-01-01T00:00:00Z');
  it('round-trip the approval, the user and the expiry', () => {
    const token = signApprovalLink(KEY, { approvalId: ID, userId: 'U01ALICE', expiresAt });
    expect(verifyApprovalLink(KEY, ID, token)).toEqual({ approvalId: ID, userId: 'U01ALICE', expiresAt });
  });
  it('refuse another key, another approval, an altered payload and garbage', () => {
    const token = signApprovalLink(KEY, { approvalId: ID, userId: 'U01ALICE', expiresAt });
    expect(verifyApprovalLink('x'.repeat(43), ID, token)).toBeUndefined();
    expect(verifyApprovalLink(KEY, `${ID.slice(0, -1)}6`, token)).toBeUndefined();
    const [, , mac] = token.split('.');
    const altered = Buffer.from(JSON.stringify({ a: ID, u: 'U09MALLORY', e: 1893456000 })).toString('base64url');
    expect(verifyApprovalLink(KEY, ID, `v1.${altered}.${String(mac)}`)).toBeUndefined();
    for (const junk of [undefined, '', 'v1', 'v2.a.b', `${token}.x`, 'v1.%%%.%%%']) expect(verifyApprovalLink(KEY, ID, junk)).toBeUndefined();
  });
  it('bind the CSRF token to approval, user and cookie nonce', () => {
    const nonce = 'n'.repeat(24);
    const token = csrfToken(KEY, { approvalId: ID, userId: 'U01ALICE', nonce });
    expect(verifyCsrfToken(KEY, { approvalId: ID, userId: 'U01ALICE', nonce, token })).toBe(true);
    expect(verifyCsrfToken(KEY, { approvalId: ID, userId: 'U02BOB', nonce, token })).toBe(false);
    expect(verifyCsrfToken(KEY, { approvalId: ID, userId: 'U01ALICE', nonce: 'm'.repeat(24), token })).toBe(false);
    expect(verifyCsrfToken(KEY, { approvalId: ID, userId: 'U01ALICE', nonce: undefined, token })).toBe(false);
  });
});

describe('the approver policy', () => {
  const directory: ApproverDirectory = {
    groupMembers: (group) => (group === 'S0DOWN' ? Promise.reject(new SlackApiError('usergroups.users.list', 'ratelimited')) : Promise.resolve(new Set(group === 'S0MGR' ? ['U02BOB'] : []))),
    identities: (user) => Promise.resolve(user === 'U03DANA' ? ['U03DANA', 'dana.d', 'Dana Diaz', 'dana@example.com'] : [user]),
  };
  const approval = { approvalId: ID, approvers: { users: ['U01ALICE', 'U03DANA'], groups: ['S0MGR'] } };

  it('allows listed users and group members, refuses others, and holds four-eyes for approvals only', async () => {
    const base = { approval, startedBy: { kind: 'slack-user', id: 'U03DANA' }, fourEyes: true } as const;
    await expect(authorize(directory, { ...base, userId: 'U01ALICE', outcome: 'APPROVED' })).resolves.toEqual({ approversRequired: 1 });
    await expect(authorize(directory, { ...base, userId: 'U02BOB', outcome: 'APPROVED' })).resolves.toEqual({ approversRequired: 1 });
    await expect(authorize(directory, { ...base, userId: 'U09MALLORY', outcome: 'REJECTED' })).rejects.toBeInstanceOf(NotAnApproverError);
    await expect(authorize(directory, { ...base, userId: 'U03DANA', outcome: 'APPROVED' })).rejects.toBeInstanceOf(SelfApprovalError);
    await expect(authorize(directory, { ...base, userId: 'U03DANA', outcome: 'REJECTED' })).resolves.toEqual({ approversRequired: 1 });
    await expect(authorize(directory, { ...base, fourEyes: false, userId: 'U03DANA', outcome: 'APPROVED' })).resolves.toEqual({ approversRequired: 1 });
  });

  it('fails closed when Slack cannot say who is in a group', async () => {
    const down = { approvalId: ID, approvers: { users: [], groups: ['S0DOWN'] } };
    await expect(authorize(directory, { approval: down, userId: 'U02BOB', outcome: 'APPROVED', startedBy: undefined, fourEyes: true })).rejects.toThrow(/Slack usergroups.users.list failed: ratelimited/);
  });
});

describe('the Slack secrets', () => {
  it('parse the two secret strings and name a missing or misplaced field without echoing values', async () => {
    const values = { botToken: 'xoxb-1', signingSecret: 's', linkSigningKey: KEY };
    expect(parseSlackBotTokenSecret(JSON.stringify({ botToken: 'xoxb-1' }))).toEqual({ botToken: 'xoxb-1' });
    expect(parseSlackSigningSecret(JSON.stringify({ signingSecret: 's', linkSigningKey: KEY }))).toEqual({ signingSecret: 's', linkSigningKey: KEY });
    expect(() => parseSlackSigningSecret(JSON.stringify({ signingSecret: 'secret-value' }))).toThrow(/slackSigningSecret: linkSigningKey/);
    // Every approval function reads the bot-token secret: the signing secret may not ride along in it.
    expect(() => parseSlackBotTokenSecret(JSON.stringify(values))).toThrow(/slackBotTokenSecret: signingSecret: does not belong in the bot-token secret/);
    expect(() => parseSlackBotTokenSecret('{"botToken": "xoxb-secret-value"')).not.toThrow(/xoxb-secret-value/);
    expect(() => staticSlackSecrets({ ...values, linkSigningKey: 'short' })).toThrow(/linkSigningKey: must be at least 32/);
    const combined = combinedSlackSecrets({ get: () => Promise.resolve({ botToken: 'xoxb-1' }) }, { get: () => Promise.resolve({ signingSecret: 's', linkSigningKey: KEY }) });
    await expect(combined.get()).resolves.toEqual(values);
  });

  it('are loaded once per ttl, and a failed load is retried', async () => {
    let loads = 0;
    let now = 0;
    const secrets = cachedSlackSecrets(
      () => {
        loads += 1;
        return loads === 1 ? Promise.reject(new Error('throttled')) : Promise.resolve({ botToken: 'b', signingSecret: 's', linkSigningKey: KEY });
      },
      { ttlMs: 1000, now: () => now },
    );
    await expect(secrets.get()).rejects.toThrow('throttled');
    await secrets.get();
    await secrets.get();
    expect(loads).toBe(2);
    now = 1000;
    await secrets.get();
    expect(loads).toBe(3);
  });
});

describe('the Slack Web API client against the local stand-in', () => {
  let stub: LocalSlackStub;
  beforeAll(async () => {
    stub = await LocalSlackStub.start({ botToken: 'xoxb-right', users: [{ id: 'U01ALICE', name: 'alice', email: 'alice@example.com' }], userGroups: { S0MGR: ['U02BOB'] } });
  });
  afterAll(() => stub.close());

  it('posts, updates, reads groups and users', async () => {
    const slack = new SlackWebApi({ botToken: () => Promise.resolve('xoxb-right'), baseUrl: stub.baseUrl });
    const ref = await slack.postMessage({ channel: 'C0X', text: 'hello', blocks: [{ type: 'section' }] });
    await slack.updateMessage({ ...ref, text: 'bye', blocks: [] });
    expect(stub.message(ref.channel, ref.ts)).toMatchObject({ text: 'bye', history: [{ text: 'hello' }, { text: 'bye' }] });
    expect(await slack.userGroupMembers('S0MGR')).toEqual(['U02BOB']);
    expect(await slack.userInfo('U01ALICE')).toMatchObject({ id: 'U01ALICE', name: 'alice', email: 'alice@example.com' });
  });

  it("turns Slack's ok:false into SlackApiError with the code and never the token", async () => {
    const slack = new SlackWebApi({ botToken: () => Promise.resolve('xoxb-wrong-token'), baseUrl: stub.baseUrl });
    const error: unknown = await slack.postMessage({ channel: 'C0X', text: 'x', blocks: [] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SlackApiError);
    expect(error).toMatchObject({ name: 'SlackApiError', method: 'chat.postMessage', code: 'invalid_auth' });
    expect(JSON.stringify(error) + String(error)).not.toContain('xoxb-wrong-token');
    const unreachable = new SlackWebApi({ botToken: () => Promise.resolve('xoxb-right'), baseUrl: 'http://127.0.0.1:1/api/', timeoutMs: 500 });
    await expect(unreachable.userInfo('U01ALICE')).rejects.toMatchObject({ code: 'network' });
  });
});

describe('the Function URL handler', () => {
  const event = (over: Partial<LambdaFunctionURLEvent>): LambdaFunctionURLEvent =>
    ({
      version: '2.0',
      routeKey: '$default',
      rawPath: '/slack/interactivity',
      rawQueryString: '',
      headers: {},
      isBase64Encoded: false,
      requestContext: { domainName: 'abc.lambda-url.eu-west-1.on.aws', http: { method: 'POST', path: '/slack/interactivity', protocol: 'HTTP/1.1', sourceIp: '1.2.3.4', userAgent: 'x' } },
      ...over,
    }) as LambdaFunctionURLEvent;

  it('hands the endpoint the exact bytes, cookies and the https origin', () => {
    const body = 'payload=%7B%22a%22%3A1%7D';
    const request = requestFromFunctionUrl(event({ body: Buffer.from(body).toString('base64'), isBase64Encoded: true, cookies: ['rollgate_csrf=n1'], headers: { 'X-Slack-Signature': 'v0=1' }, rawQueryString: 't=abc' }));
    expect(request.rawBody.toString('utf8')).toBe(body);
    expect(request).toMatchObject({ method: 'POST', path: '/slack/interactivity', cookies: { rollgate_csrf: 'n1' }, headers: { 'x-slack-signature': 'v0=1' }, origin: 'https://abc.lambda-url.eu-west-1.on.aws' });
    expect(request.query.get('t')).toBe('abc');
  });

  it('answers an unsigned Slack request 401 without touching the ledger', async () => {
    // A ledger and callbacks nothing can reach: had the endpoint touched them, the answer would be 500.
    const unreachable = new DynamoDbLedger({ client: ledgerDocumentClient(localDynamoClient('http://127.0.0.1:1')), tableName: 'unreachable' });
    const fail = () => Promise.reject(new Error('touched'));
    const callbacks: Callbacks = { success: fail, failure: fail };
    const endpoint = new ApprovalEndpoint({
      ledger: unreachable,
      callbacks,
      slack: new SlackWebApi({ botToken: () => Promise.resolve('x'), baseUrl: 'http://127.0.0.1:1/api/' }),
      secrets: staticSlackSecrets({ botToken: 'b', signingSecret: 'secret', linkSigningKey: KEY }),
    });
    const handler = createApprovalFunctionUrlHandler(endpoint);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const forged = await handler(event({ body: 'payload=%7B%7D', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature({ signingSecret: 'other', timestamp, rawBody: 'payload=%7B%7D' }) } }));
    expect(forged).toMatchObject({ statusCode: 401, headers: { 'x-rollgate-outcome': 'bad-signature' } });
    const get = await handler(event({ rawPath: '/nowhere', requestContext: { ...event({}).requestContext, http: { ...event({}).requestContext.http, method: 'GET' } } }));
    expect(get).toMatchObject({ statusCode: 404 });
  });
});
