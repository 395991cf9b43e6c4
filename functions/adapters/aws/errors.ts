/**
 * One translation from AWS SDK v3 errors to rollgate's named errors, shared by
 * every AWS adapter (the SDK's own retries of transient ones are in
 * ./client-config.ts).
 */
import { CloudProviderError, CloudProviderUnavailableError, RollgateError } from '../../errors.js';

/** What an SDK v3 service exception carries (a `ServiceException` from smithy). */
export interface AwsServiceError {
  readonly name: string;
  readonly message: string;
  readonly $fault: 'client' | 'server';
  readonly $retryable?: { readonly throttling?: boolean } | undefined;
}

/**
 * Error codes that mean "slow down": the SDK retries them, so seeing one here
 * means its attempts ran out. https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 * DynamoDB's are 400s with a client fault (ProvisionedThroughputExceededException,
 * RequestLimitExceeded, ThrottlingException; TransactionInProgressException while
 * an earlier attempt of the same transaction still runs), which its error page
 * says to retry: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
]);

/** The SDK service exception inside `error`, if it is one (duck-typed: each client has its own base class). */
export function asAwsServiceError(error: unknown): AwsServiceError | undefined {
  if (!(error instanceof Error)) return undefined;
  const fault = (error as { $fault?: unknown }).$fault;
  if (fault !== 'client' && fault !== 'server') return undefined;
  return error as unknown as AwsServiceError;
}

/**
 * Turns whatever an SDK call threw into a rollgate error naming the service,
 * the operation and the AWS error code. Throttling, server faults and network
 * failures (after the client's retries) become {@link CloudProviderUnavailableError}
 * so the state machine may retry them; everything else is a final
 * {@link CloudProviderError}. Rollgate errors pass through unchanged.
 */
export function toDomainError(service: string, operation: string, error: unknown): RollgateError {
  if (error instanceof RollgateError) return error;
  const sdk = asAwsServiceError(error);
  if (sdk !== undefined) {
    const transient = sdk.$fault === 'server' || sdk.$retryable?.throttling === true || THROTTLING_CODES.has(sdk.name);
    const ErrorClass = transient ? CloudProviderUnavailableError : CloudProviderError;
    return new ErrorClass(service, operation, sdk.name, sdk.message, { cause: error });
  }
  // No $fault: the request never got a service answer (socket reset, timeout, DNS).
  // Node names a refused or reset connection only by its `code` (ECONNREFUSED, ECONNRESET).
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return new CloudProviderUnavailableError(service, operation, typeof code === 'string' ? code : error.name, error.message, { cause: error });
  }
  return new CloudProviderError(service, operation, 'Unknown', String(error), { cause: error });
}

/**
 * Runs one SDK call and translates its failure. `handle` may turn specific AWS
 * error codes into a result (e.g. "already gone" → success) or a more specific
 * domain error; returning `undefined` falls through to {@link toDomainError}.
 */
export async function callAws<T>(
  service: string,
  operation: string,
  call: () => Promise<T>,
  handle?: (code: string, error: AwsServiceError) => { readonly value: T } | RollgateError | undefined,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const sdk = asAwsServiceError(error);
    if (sdk !== undefined && handle !== undefined) {
      const handled = handle(sdk.name, sdk);
      if (handled instanceof RollgateError) throw handled;
      if (handled !== undefined) return handled.value;
    }
    throw toDomainError(service, operation, error);
  }
}
