/**
 * The three Lambda entries of the approval path, imported as Lambda imports
 * them (module scope = cold start) with the environment the stack gives
 * them: the ledger on DynamoDB Local, Secrets Manager on a loopback stand-in,
 * every other AWS endpoint unreachable, and no Slack (nothing here may reach it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { slackSignature } from '../../functions/approval/slack-signature.js';
import type { RollgateConfigInput } from '../../functions/config.js';
import { ENV } from '../../functions/handlers/environment.js';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { ConfigStore } from '../../functions/ledger/config-store.js';
import { createLedgerTable, localDynamoClient } from '../../local/ledger-table.js';
import { SAMPLE_CONFIG, SAMPLE_SLACK, SEARCH_SERVICE } from '../../local/sample-config.js';

const SECRET = {
  botToken: 'xoxb-handler-test-token',
  signingSecret: 'handler-test-signing-secret',
  linkSigningKey: 'handler-test-link-signing-key-0123456789abcdef',
};
/** What a secret holds: the bot token alone, or the signing secret with the link key (every other name). */
const secretString = (secretId: string): string =>
  JSON.stringify(secretId === SAMPLE_SLACK.botTokenSecretName ? { botToken: SECRET.botToken } : { signingSecret: SECRET.signingSecret, linkSigningKey: SECRET.linkSigningKey });
const tableName = `rollgate-approval-handlers-${Math.random().toString(36).slice(2, 10)}`;
const UNREACHABLE = 'http://127.0.0.1:1';

/** Secret ids GetSecretValue was asked for, and answered. */
const secretReads: string[] = [];
/** The secrets that exist: GetSecretValue of any other is ResourceNotFoundException. */
const existingSecrets = new Set<string>();
let secretsManager: Server;
let secretsManagerUrl = '';

beforeAll(async () => {
  await createLedgerTable(localDynamoClient(inject('dynamodbEndpoint')), tableName);
  // Secrets Manager speaks AWS JSON 1.1: POST / with X-Amz-Target.
  secretsManager = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { SecretId: secretId = '' } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      if (request.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue' || !existingSecrets.has(secretId)) {
        response.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'no such secret' }));
        return;
      }
      secretReads.push(secretId);
      response
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.1' })
        .end(JSON.stringify({ ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${secretId}-AbCdEf`, Name: secretId, SecretString: secretString(secretId), VersionId: 'v1' }));
    });
  });
  await new Promise<void>((resolve) => secretsManager.listen(0, '127.0.0.1', resolve));
  secretsManagerUrl = `http://127.0.0.1:${String((secretsManager.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  await new Promise((resolve) => secretsManager.close(resolve));
});

const VARIABLES = [ENV.ledgerTable, 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_ENDPOINT_URL_SFN', 'AWS_ENDPOINT_URL_CLOUDWATCH'] as const;
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

/** The environment of a cold start with `config` published in the ledger. */
async function environment(config: RollgateConfigInput): Promise<void> {
  await new ConfigStore({ client: ledgerDocumentClient(localDynamoClient(inject('dynamodbEndpoint'))), tableName }).publish(config, 'test');
  Object.assign(process.env, {
    [ENV.ledgerTable]: tableName,
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManagerUrl,
    AWS_ENDPOINT_URL_SFN: UNREACHABLE,
    AWS_ENDPOINT_URL_CLOUDWATCH: UNREACHABLE,
  });
  // Every import below is a fresh cold start.
  vi.resetModules();
  existingSecrets.clear();
  existingSecrets.add(SAMPLE_SLACK.botTokenSecretName);
  existingSecrets.add(SAMPLE_SLACK.signingSecretName);
}

afterEach(() => {
  vi.restoreAllMocks();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) Reflect.deleteProperty(process.env, name);
    else process.env[name] = value;
  }
  secretReads.length = 0;
});

const ENTRIES = {
  approval: () => import('../../functions/handlers/approval.js'),
  'approval-endpoint': () => import('../../functions/handlers/approval-endpoint.js'),
  'approval-sweeper': () => import('../../functions/handlers/approval-sweeper.js'),
} as const;

const context = { functionName: 'test', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** One call to the functions' logger: its level, message and fields. */
type LogCall = readonly [level: 'debug' | 'info' | 'warn' | 'error', message: unknown, ...fields: unknown[]];

/**
 * Everything the next cold start's logger is asked to log, written nowhere
 * else. Call after `environment()` and before importing an entry: the entry
 * then gets this very logger instance.
 */
async function capturedLogs(): Promise<LogCall[]> {
  const { logger } = await import('../../functions/handlers/logger.js');
  const calls: LogCall[] = [];
  for (const level of ['debug', 'info', 'warn', 'error'] as const) {
    vi.spyOn(logger, level).mockImplementation((message: unknown, ...fields: unknown[]) => {
      calls.push([level, message, ...fields]);
    });
  }
  return calls;
}

/** A signed Slack interactivity POST as a Function URL event. */
function slackEvent(payload: unknown, signingSecret = SECRET.signingSecret): APIGatewayProxyEventV2 {
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/slack/interactivity',
    rawQueryString: '',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': slackSignature({ signingSecret, timestamp, rawBody: body }),
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc',
      domainName: 'abc.lambda-url.us-east-1.on.aws',
      domainPrefix: 'abc',
      http: { method: 'POST', path: '/slack/interactivity', protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'Slackbot 1.0' },
      requestId: 'r1',
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2030:00:00:00 +0000',
      timeEpoch: 0,
    },
    body,
    isBase64Encoded: false,
  };
}

const click = (teamId: string) => ({
  type: 'block_actions',
  team: { id: teamId },
  user: { id: 'U01ALICE', team_id: teamId },
  actions: [{ action_id: 'somebody_elses_button', value: 'x' }],
});

describe('the approval functions at cold start', () => {
  it.each(Object.keys(ENTRIES) as (keyof typeof ENTRIES)[])('%s fails its cold start naming slack when the configuration has none', async (entry) => {
    await environment({ services: [structuredClone(SEARCH_SERVICE)] });
    await expect(ENTRIES[entry]()).rejects.toMatchObject({ name: 'InvalidInputError', field: 'slack', message: expect.stringMatching(/^config: slack: is not configured/) as string });
  });

  it.each([
    ['approval', [SAMPLE_SLACK.botTokenSecretName]],
    ['approval-sweeper', [SAMPLE_SLACK.botTokenSecretName]],
    ['approval-endpoint', [SAMPLE_SLACK.botTokenSecretName, SAMPLE_SLACK.signingSecretName]],
  ] as const)('%s reads at cold start only the Slack secrets it uses: the bot token, and the signing secret for the endpoint alone', async (entry, reads) => {
    await environment(SAMPLE_CONFIG);
    const module = await ENTRIES[entry]();
    expect(typeof module.handler).toBe('function');
    expect(secretReads).toEqual(reads);
  });

  it('a secret that cannot be read at cold start does not fail it: the first request reads it again', async () => {
    const secretName = 'rollgate/created-after-deploy';
    await environment({ ...SAMPLE_CONFIG, slack: { ...SAMPLE_SLACK, signingSecretName: secretName } });
    const logs = await capturedLogs();
    const { handler } = await ENTRIES['approval-endpoint']();
    expect(secretReads).toEqual([SAMPLE_SLACK.botTokenSecretName]);
    const notFound = 'CloudProviderError: secretsmanager GetSecretValue failed: ResourceNotFoundException: no such secret';
    expect(logs).toEqual([['warn', 'Slack secret not read at cold start; the first request reads it again', { secretName, error: notFound }]]);
    // Still missing: the click cannot be verified, and nothing is decided.
    expect(await handler(slackEvent(click(SAMPLE_SLACK.teamId)))).toMatchObject({ statusCode: 500 });
    expect(logs.slice(1)).toEqual([['error', 'approval endpoint failed', { error: notFound }]]);
    // The platform team creates the secret: the next click reads it, with no new cold start.
    existingSecrets.add(secretName);
    expect(await handler(slackEvent(click(SAMPLE_SLACK.teamId)))).toMatchObject({ statusCode: 200, headers: { 'x-rollgate-outcome': 'ignored' } });
    expect(secretReads).toEqual([SAMPLE_SLACK.botTokenSecretName, secretName]);
  });

  it('the endpoint reads the Slack secret named in the configuration once, checks signatures with it, refuses other workspaces, and logs no secret', async () => {
    await environment(SAMPLE_CONFIG);
    const logs = await capturedLogs();
    const { handler } = await ENTRIES['approval-endpoint']();
    const written = (): string => JSON.stringify(logs);
    const answer = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => handler(event);
    expect(await answer(slackEvent(click(SAMPLE_SLACK.teamId)))).toMatchObject({ statusCode: 200, headers: { 'x-rollgate-outcome': 'ignored' } });
    expect(await answer(slackEvent(click(SAMPLE_SLACK.teamId), 'not-the-signing-secret'))).toMatchObject({ statusCode: 401, headers: { 'x-rollgate-outcome': 'bad-signature' } });
    expect(await answer(slackEvent(click('T0ANOTHER01')))).toMatchObject({ statusCode: 403, headers: { 'x-rollgate-outcome': 'wrong-team' } });
    expect(secretReads).toEqual([SAMPLE_SLACK.botTokenSecretName, SAMPLE_SLACK.signingSecretName]);
    expect(written()).toContain('bad or stale signature');
    for (const value of Object.values(SECRET)) expect(written()).not.toContain(value);
  });

  it('the sweeper sweeps the ledger on a scheduled event, whatever the event holds', async () => {
    await environment(SAMPLE_CONFIG);
    const logs = await capturedLogs();
    const { handler } = await ENTRIES['approval-sweeper']();
    await expect(handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }, context)).resolves.toEqual({ expired: [], updated: [], delivered: [], posted: [] });
    await expect(handler(undefined, context)).resolves.toEqual({ expired: [], updated: [], delivered: [], posted: [] });
    const swept = ['info', 'approvals swept', { expired: [], updated: [], delivered: [], posted: [] }];
    expect(logs).toEqual([swept, swept]);
  });
});
