/**
 * Client configuration for every AWS SDK client the handlers build at module
 * scope: throttling, 5xx and network errors are retried with backoff by the
 * SDK itself, with client-side rate limiting in 'adaptive' mode, before an
 * adapter ever sees them (./errors.ts translates what is left).
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export const awsClientConfig = { maxAttempts: 5, retryMode: 'adaptive' } as const;
