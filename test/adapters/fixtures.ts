/** Shared values of the AWS adapter tests (no real account, no real host names). */
import type { AwsServiceError } from '../../functions/adapters/aws/errors.js';

export const RELEASE_ID = '01JABCDEFGHJKMNPQRSTVWXYZ0';
export const REPO = 'acme/api';
export const DIGEST = `sha256:${'ab'.repeat(32)}`;
export const ACCOUNT = '111122223333';
export const ENV = { partition: 'aws', region: 'us-east-1', account: ACCOUNT } as const;

export const TG_BLUE = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/api-blue/aaaaaaaaaaaaaaaa`;
export const TG_GREEN = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/api-green/bbbbbbbbbbbbbbbb`;
export const LISTENER = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:listener/app/web/1111111111111111/2222222222222222`;
export const RULE = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:listener-rule/app/web/1111111111111111/2222222222222222/3333333333333333`;

/**
 * An SDK service exception as the SDK deserializes one: `name` is the AWS
 * error code, `$fault` says whose fault. Built without a client class so
 * unmodelled codes (Auto Scaling's ValidationError) look exactly as real ones.
 */
export function awsError(
  name: string,
  message = `${name} (test)`,
  fault: 'client' | 'server' = 'client',
): Error & AwsServiceError {
  return Object.assign(new Error(message), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: fault === 'client' ? 400 : 500 },
  });
}
