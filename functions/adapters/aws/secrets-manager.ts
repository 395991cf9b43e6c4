/**
 * The approval path's Slack secrets from AWS Secrets Manager: two secrets,
 * the bot token and the signing secret (with the link key), each a JSON
 * SecretString (functions/approval/secrets.ts), each its own adapter so a
 * function is granted GetSecretValue on exactly the secret it reads. Read
 * with GetSecretValue on first use and cached (re-read after the cache's
 * lifetime, so a rotation is picked up without a deploy).
 *
 * Errors name the secret, the operation and the AWS error code, or the missing
 * field of the JSON; never a value of the secret.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidInputError } from '../../errors.js';
import {
  cachedSlackSecrets,
  parseSlackBotTokenSecret,
  parseSlackSigningSecret,
  type SlackBotToken,
  type SlackBotTokenValues,
  type SlackSigningSecrets,
  type SlackSigningValues,
} from '../../approval/secrets.js';
import { callAws } from './errors.js';
import { SAR, type ArnEnv, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** The configuration the secret's permission is scoped by. */
export interface SecretsManagerSecretIamScope {
  /** The secret's name (config `slack.botTokenSecretName` or `slack.signingSecretName`), in the stack's account and region. */
  readonly secretName: string;
}

/**
 * The ARN pattern of the secret named `secretName`: Secrets Manager appends a
 * hyphen and six random characters to the name in the ARN, so a policy for one
 * secret by name ends in `-??????`.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html#auth-and-access_iam-policies-wildcard
 */
export function secretArnPattern(secretName: string, env: ArnEnv): string {
  return `arn:${env.partition}:secretsmanager:${env.region}:${env.account}:secret:${secretName}-??????`;
}

/** The IAM permissions of {@link SlackBotTokenSecret} and {@link SlackSigningSecret}: one secret each. */
export const SECRETS_MANAGER_SECRET_IAM: readonly IamGrant<SecretsManagerSecretIamScope>[] = [
  {
    actions: ['secretsmanager:GetSecretValue'],
    resources: (s, env) => [secretArnPattern(s.secretName, env)],
    why: `one Slack secret only, by name (the ARN ends in six random characters): ${SAR.secretsmanager}`,
  },
];

/** What {@link SlackBotTokenSecret}'s method sends. */
export const SLACK_BOT_TOKEN_SECRET_METHODS: MethodActions<MethodsOf<SlackBotToken>> = {
  get: ['secretsmanager:GetSecretValue'],
};

/** What {@link SlackSigningSecret}'s method sends. */
export const SLACK_SIGNING_SECRET_METHODS: MethodActions<MethodsOf<SlackSigningSecrets>> = {
  get: ['secretsmanager:GetSecretValue'],
};

export interface SecretsManagerSecretOptions {
  /** How long a read value is used before the secret is read again. @default 5 minutes */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Reads one secret's SecretString and parses it; errors name the secret, never a value. */
async function readSecret<T>(secretsManager: SecretsManagerClient, secretId: string, parse: (secretString: string) => T): Promise<T> {
  const out = await callAws('secretsmanager', 'GetSecretValue', () => secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })));
  if (out.SecretString === undefined) {
    throw new InvalidInputError(`secret ${secretId}`, 'SecretString', 'is not set: store the Slack secrets as a JSON string, not binary');
  }
  return parse(out.SecretString);
}

/** The bot token (`{"botToken":…}`), read by every approval function. Build once per container. */
export class SlackBotTokenSecret implements SlackBotToken {
  private readonly cache: SlackBotToken;

  /** @param secretId the secret's name (or ARN) */
  public constructor(secretsManager: SecretsManagerClient, secretId: string, options: SecretsManagerSecretOptions = {}) {
    this.cache = cachedSlackSecrets(() => readSecret(secretsManager, secretId, parseSlackBotTokenSecret), options);
  }

  public get(): Promise<SlackBotTokenValues> {
    return this.cache.get();
  }
}

/** The signing secret and link key (`{"signingSecret":…,"linkSigningKey":…}`), read by the approval endpoint only. Build once per container. */
export class SlackSigningSecret implements SlackSigningSecrets {
  private readonly cache: SlackSigningSecrets;

  /** @param secretId the secret's name (or ARN) */
  public constructor(secretsManager: SecretsManagerClient, secretId: string, options: SecretsManagerSecretOptions = {}) {
    this.cache = cachedSlackSecrets(() => readSecret(secretsManager, secretId, parseSlackSigningSecret), options);
  }

  public get(): Promise<SlackSigningValues> {
    return this.cache.get();
  }
}
