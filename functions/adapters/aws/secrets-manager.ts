/**
 * The approval path's Slack secrets from AWS Secrets Manager: one secret whose
 * SecretString is the JSON of functions/approval/secrets.ts, read with
 * GetSecretValue on first use and cached (re-read after the cache's lifetime,
 * so a rotation is picked up without a deploy).
 *
 * Errors name the secret, the operation and the AWS error code, or the missing
 * field of the JSON; never a value of the secret.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { InvalidInputError } from '../../errors.js';
import { cachedSlackSecrets, parseSlackSecretString, type SlackSecrets, type SlackSecretValues } from '../../approval/secrets.js';
import { callAws } from './errors.js';
import { SAR, type ArnEnv, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** The configuration the secret's permission is scoped by. */
export interface SlackSecretsManagerIamScope {
  /** The secret's name (config `slack.secretName`), in the stack's account and region. */
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

/** The IAM permissions {@link SlackSecretsManager} uses. */
export const SLACK_SECRETS_MANAGER_IAM: readonly IamGrant<SlackSecretsManagerIamScope>[] = [
  {
    actions: ['secretsmanager:GetSecretValue'],
    resources: (s, env) => [secretArnPattern(s.secretName, env)],
    why: `the Slack secret only, by name (the ARN ends in six random characters): ${SAR.secretsmanager}`,
  },
];

/** What each {@link SlackSecretsManager} method sends. */
export const SLACK_SECRETS_MANAGER_METHODS: MethodActions<MethodsOf<SlackSecrets>> = {
  get: ['secretsmanager:GetSecretValue'],
};

export interface SlackSecretsManagerOptions {
  /** How long a read value is used before the secret is read again. @default 5 minutes */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** {@link SlackSecrets} read from Secrets Manager. Build once per container. */
export class SlackSecretsManager implements SlackSecrets {
  private readonly cache: SlackSecrets;

  /** @param secretId the secret's name (or ARN) */
  public constructor(
    private readonly secretsManager: SecretsManagerClient,
    private readonly secretId: string,
    options: SlackSecretsManagerOptions = {},
  ) {
    this.cache = cachedSlackSecrets(() => this.read(), options);
  }

  public get(): Promise<SlackSecretValues> {
    return this.cache.get();
  }

  private async read(): Promise<SlackSecretValues> {
    const out = await callAws('secretsmanager', 'GetSecretValue', () => this.secretsManager.send(new GetSecretValueCommand({ SecretId: this.secretId })));
    if (out.SecretString === undefined) {
      throw new InvalidInputError(`secret ${this.secretId}`, 'SecretString', 'is not set: store the Slack secrets as a JSON string, not binary');
    }
    return parseSlackSecretString(out.SecretString);
  }
}
