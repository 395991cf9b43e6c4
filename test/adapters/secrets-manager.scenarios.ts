import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { expect } from 'vitest';
import { SlackSecretsManager } from '../../functions/adapters/aws/secrets-manager.js';
import { InvalidInputError } from '../../functions/errors.js';
import { scenarios, type AwsMocks } from './harness.js';
import { awsError } from './fixtures.js';

const SECRET_NAME = 'rollgate/slack';
const VALUES = {
  botToken: 'xoxb-0000-test-bot-token',
  signingSecret: 'test-signing-secret-0123456789',
  linkSigningKey: 'test-link-signing-key-0123456789abcdef0123456789',
};
const secrets = (aws: AwsMocks, options: { ttlMs?: number; now?: () => number } = {}) => new SlackSecretsManager(aws.clients.secretsmanager, SECRET_NAME, options);

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

export const slackSecretsManagerScenarios = scenarios('SlackSecretsManager', {
  'get reads the secret by name once and serves every later call, concurrent ones included, from the cache': async (aws) => {
    aws.secretsmanager.on(GetSecretValueCommand).resolves({ Name: SECRET_NAME, SecretString: JSON.stringify(VALUES) });
    const provider = secrets(aws);
    const [first, second] = await Promise.all([provider.get(), provider.get()]);
    expect(first).toEqual(VALUES);
    expect(second).toEqual(VALUES);
    await expect(provider.get()).resolves.toEqual(VALUES);
    expect(aws.secretsmanager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([{ SecretId: SECRET_NAME }]);
  },

  'get reads the secret again once the cache has expired, so a rotation is picked up': async (aws) => {
    const rotated = { ...VALUES, botToken: 'xoxb-0000-rotated-bot-token' };
    aws.secretsmanager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify(VALUES) })
      .resolves({ SecretString: JSON.stringify(rotated) });
    let clock = 0;
    const provider = secrets(aws, { ttlMs: 1000, now: () => clock });
    await expect(provider.get()).resolves.toEqual(VALUES);
    clock = 999;
    await expect(provider.get()).resolves.toEqual(VALUES);
    clock = 1000;
    await expect(provider.get()).resolves.toEqual(rotated);
    expect(aws.secretsmanager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  },

  'get names a missing field of the secret and never echoes a value': async (aws) => {
    aws.secretsmanager.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ botToken: VALUES.botToken, signingSecret: VALUES.signingSecret }) });
    const error = await failure(secrets(aws).get());
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ name: 'InvalidInputError', field: 'linkSigningKey' });
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(VALUES.botToken);
  },

  'get refuses a secret that is not JSON without quoting it, and a binary secret naming SecretString': async (aws) => {
    aws.secretsmanager
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: `botToken=${VALUES.botToken}` })
      .resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });
    const provider = secrets(aws);
    const notJson = await failure(provider.get());
    expect(notJson).toMatchObject({ name: 'InvalidInputError', operation: 'slackSecrets' });
    expect(`${notJson.message} ${String(notJson.cause)}`).not.toContain(VALUES.botToken);
    // A failed read is not cached: the next call reads again.
    await expect(provider.get()).rejects.toMatchObject({ name: 'InvalidInputError', operation: `secret ${SECRET_NAME}`, field: 'SecretString' });
    expect(aws.secretsmanager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  },

  'get fails with CloudProviderError naming the code when the secret cannot be read, and retries on the next call': async (aws) => {
    aws.secretsmanager
      .on(GetSecretValueCommand)
      .rejectsOnce(awsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret."))
      .rejectsOnce(awsError('InternalServiceError', 'oops', 'server'))
      .resolves({ SecretString: JSON.stringify(VALUES) });
    const provider = secrets(aws);
    await expect(provider.get()).rejects.toMatchObject({
      name: 'CloudProviderError',
      service: 'secretsmanager',
      operation: 'GetSecretValue',
      code: 'ResourceNotFoundException',
    });
    await expect(provider.get()).rejects.toMatchObject({ name: 'CloudProviderUnavailableError', code: 'InternalServiceError' });
    await expect(provider.get()).resolves.toEqual(VALUES);
  },
});
