/**
 * The Notifier's Lambda entry (functions/handlers/notify.ts), imported as
 * Lambda imports it (module scope = cold start), fed DynamoDB stream events
 * of the ledger. EventBridge and Secrets Manager are mocked with
 * aws-sdk-client-mock (no local engine); Slack's Web API is a fetch stand-in:
 * nothing here reaches AWS or Slack.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RollgateConfigInput } from '../../functions/config.js';
import { ENV } from '../../functions/handlers/environment.js';
import type { Release } from '../../functions/domain/release.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG, SAMPLE_SLACK } from '../../local/sample-config.js';
import { RELEASE_ID, release, rolledBackDetail, streamRecord } from './fixture.js';

const record = (sequence: number, before: Release | undefined, after: Release): DynamoDBRecord => streamRecord(sequence, `REL#${RELEASE_ID}`, before, after);

const STARTED = record(1, undefined, release('PENDING'));
const PROGRESS = record(2, release('PENDING'), release('DEPLOYING'));
const ROLLED_BACK = record(3, release('ROLLING_BACK'), release('ROLLED_BACK', { outcome: 'ALARM', reason: 'checkout-prod-5xx in ALARM', finishedAt: '2026-12-02T10:06:00.000Z' }));

const CONTEXT = { functionName: 'rollgate-notifier', awsRequestId: 'req-1' } as Context;

const eventBridge = mockClient(EventBridgeClient);
const secretsManager = mockClient(SecretsManagerClient);
/** Slack Web API calls the handler made, through fetch. */
const slackCalls: { method: string; authorization: string | null; body: Record<string, unknown> }[] = [];

beforeEach(() => {
  eventBridge.reset();
  secretsManager.reset();
  slackCalls.length = 0;
  vi.stubGlobal('fetch', async (url: URL | string, init?: RequestInit) => {
    await Promise.resolve();
    const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{}') as Record<string, unknown>;
    slackCalls.push({ method: new URL(url).pathname.split('/').pop() ?? '', authorization: new Headers(init?.headers).get('authorization'), body });
    return new Response(JSON.stringify({ ok: true, channel: body.channel, ts: '1733133600.000100' }), { headers: { 'content-type': 'application/json' } });
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});

/** A cold start of the Notifier with `config` compiled in (here: in its environment, as outside a bundle). */
async function coldStart(config: RollgateConfigInput): Promise<(event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>> {
  vi.stubEnv(ENV.config, JSON.stringify(config));
  vi.resetModules();
  const { handler } = await import('../../functions/handlers/notify.js');
  return (event) => handler(event, CONTEXT);
}

/** The sample without its Slack app (and so without the approval steps that need one). */
const NO_SLACK: RollgateConfigInput = {
  ...structuredClone(SAMPLE_CONFIG),
  slack: undefined,
  services: SAMPLE_CONFIG.services.map((s) => ({ ...structuredClone(s), plan: { steps: s.plan.steps.filter((step) => step.type !== 'approval') } })),
};

describe('Notifier handler', () => {
  it('puts one rollgate event per notification on EventBridge and reports no batch item failure', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const notify = await coldStart(NO_SLACK);
    expect(await notify({ Records: [STARTED, PROGRESS, ROLLED_BACK] })).toEqual({ batchItemFailures: [] });

    const entries = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]);
    expect(entries.map((e) => [e?.Source, e?.DetailType])).toEqual([
      ['rollgate', 'Release Started'],
      ['rollgate', 'Release Rolled Back'],
    ]);
    expect(entries.every((e) => e?.EventBusName === undefined)).toBe(true);
    expect(JSON.parse(entries[1]?.Detail ?? '{}')).toEqual(rolledBackDetail());
    expect(slackCalls).toEqual([]);
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toEqual([]);
  });

  it('reports the first record EventBridge did not take as the batch item failure, and sends nothing after it', async () => {
    eventBridge.on(PutEventsCommand).resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }).rejects(Object.assign(new Error('down'), { name: 'InternalException', $fault: 'server' }));
    const notify = await coldStart(NO_SLACK);
    expect(await notify({ Records: [STARTED, ROLLED_BACK] })).toEqual({ batchItemFailures: [{ itemIdentifier: ROLLED_BACK.dynamodb?.SequenceNumber }] });
    // The client's own retries (5 attempts) are inside one send; the adapter tried the call once.
    expect(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]?.DetailType)).toEqual(['Release Started', 'Release Rolled Back']);
  });

  it("with a Slack app, reads the bot token once at cold start and posts each notification to the service's channel after EventBridge", async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    secretsManager.on(GetSecretValueCommand, { SecretId: SAMPLE_SLACK.botTokenSecretName }).resolves({ SecretString: JSON.stringify({ botToken: 'xoxb-notifier-test' }) });
    const notify = await coldStart(SAMPLE_CONFIG);
    expect(await notify({ Records: [STARTED] })).toEqual({ batchItemFailures: [] });
    expect(await notify({ Records: [ROLLED_BACK] })).toEqual({ batchItemFailures: [] });

    expect(secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([SAMPLE_SLACK.botTokenSecretName]);
    expect(slackCalls.map((c) => [c.method, c.authorization, c.body.channel, c.body.text])).toEqual([
      ['chat.postMessage', 'Bearer xoxb-notifier-test', CHECKOUT_SERVICE.approvals.slackChannel, 'checkout v2 release started in prod (was v1)'],
      ['chat.postMessage', 'Bearer xoxb-notifier-test', CHECKOUT_SERVICE.approvals.slackChannel, 'checkout v2 rolled back in prod (was v1): checkout-prod-5xx in ALARM'],
    ]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });
});
