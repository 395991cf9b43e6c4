import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import { SlackBotTokenSecret, SlackSigningSecret } from '../../functions/adapters/aws/secrets-manager.js';
import { InvalidInputError } from '../../functions/errors.js';
import { scenarios, type AwsMocks } from './harness.js';
import { awsError } from './fixtures.js';

const BOT_TOKEN_SECRET = 'rollgate/slack-bot-token';
const SIGNING_SECRET = 'rollgate/slack-signing';
const BOT = { botToken: 'xoxb-0000-test-bot-token' };
const SIGNING = {
  signingSecret: 'test-signing-secret-0123456789',
  linkSigningKey: 'test-link-signing-key-0123456789abcdef0123456789',
};
const botToken = (aws: AwsMocks, options: { ttlMs?: number; now?: () => number } = {}) => new SlackBotTokenSecret(aws.clients.secretsmanager, BOT_TOKEN_SECRET, options);
const signing = (aws: AwsMocks) => new SlackSigningSecret(aws.clients.secretsmanager, SIGNING_SECRET);

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('resolved');
}

export const slackBotTokenSecretScenarios = scenarios('SlackBotTokenSecret', {
  'get reads the secret by name once and serves every later call, concurrent ones included, from the cache': async (aws) => {
    aws.secretsmanager.on(GetSecretValueCommand).resolves({ Name: BOT_TOKEN_SECRET, SecretString: JSON.stringify(BOT) });
    const provider = botToken(aws);
    const [first, second] = await Promise.all([provider.get(), provider.get()]);
    expect(first).toEqual(BOT);
    expect(second).toEqual(BOT);
    await expect(provider.get()).resolves.toEqual(BOT);
    expect(aws.secretsmanager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: BOT_TOKEN_SECRET }]);
  },

  'get reads the secret again once the cache has expired, so a rotation is picked up': async (aws) => {
    const rotated = { botToken: 'xoxb-0000-rotated-bot-token' };
    aws.secretsmanager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(BOT) })
      .resolves({ SecretString: JSON.stringify(rotated) });
    let clock = 0;
    const provider = botToken(aws, { ttlMs: 1000, now: () => clock });
    await expect(provider.get()).resolves.toEqual(BOT);
    clock = 999;
    await expect(provider.get()).resolves.toEqual(BOT);
    clock = 1000;
    await expect(provider.get()).resolves.toEqual(rotated);
    expect(aws.secretsmanager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  },

  'get refuses a bot-token secret that also holds the signing secret, naming the field and never echoing a value': async (aws) => {
    aws.secretsmanager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ ...BOT, ...SIGNING }) });
    const error = await failure(botToken(aws).get());
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ name: 'InvalidInputError', operation: 'slackBotTokenSecret', field: 'signingSecret' });
    for (const value of [BOT.botToken, ...Object.values(SIGNING)]) expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(value);
  },

  'get refuses a secret that is not JSON without quoting it, and a binary secret naming SecretString': async (aws) => {
    aws.secretsmanager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: `botToken=${BOT.botToken}` })
      .resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const provider = botToken(aws);
    const notJson = await failure(provider.get());
    expect(notJson).toMatchObject({ name: 'InvalidInputError', operation: 'slackBotTokenSecret' });
    expect(`${notJson.message} ${String(notJson.cause)}`).not.toContain(BOT.botToken);
    // A failed read is not cached: the next call reads again.
    await expect(provider.get()).rejects.toMatchObject({ name: 'InvalidInputError', operation: `secret ${BOT_TOKEN_SECRET}`, field: 'SecretString' });
    expect(aws.secretsmanager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  },

  'get fails with CloudProviderError naming the code when the secret cannot be read, and retries on the next call': async (aws) => {
    aws.secretsmanager
      .on(GetSecretValueCommand)
      .rejectsOnce(awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."))
      .rejectsOnce(awsError('InternalServiceError', 'oops', 'server'))
      .resolves({ SecretString: JSON.stringify(BOT) });
    const provider = botToken(aws);
    await expect(provider.get()).rejects.toMatchObject({
      name: 'CloudProviderError',
      service: 'secretsmanager',
      operation: 'GetSecretValue',
      code: 'ResourceNotFoundException',
    });
    await expect(provider.get()).rejects.toMatchObject({ name: 'CloudProviderUnavailableError', code: 'InternalServiceError' });
    await expect(provider.get()).resolves.toEqual(BOT);
  },
});

export const slackSigningSecretScenarios = scenarios('SlackSigningSecret', {
  'get reads the signing secret by name once and serves later calls from the cache': async (aws) => {
    aws.secretsmanager.on(GetSecretValueCommand).resolves({ Name: SIGNING_SECRET, SecretString: JSON.stringify(SIGNING) });
    const provider = signing(aws);
    await expect(provider.get()).resolves.toEqual(SIGNING);
    await expect(provider.get()).resolves.toEqual(SIGNING);
    expect(aws.secretsmanager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SIGNING_SECRET }]);
  },

  'get names a missing field of the signing secret and never echoes a value': async (aws) => {
    aws.secretsmanager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ signingSecret: SIGNING.signingSecret }) });
    const error = await failure(signing(aws).get());
    expect(error).toMatchObject({ name: 'InvalidInputError', operation: 'slackSigningSecret', field: 'linkSigningKey' });
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(SIGNING.signingSecret);
  },
});
