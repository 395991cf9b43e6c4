/**
 * The DynamoDB client the ledger talks through: how it is configured (fail fast
 * on a hung connection, let the SDK retry what passes) and the one place where
 * its failures become rollgate's errors, so a ledger outage is retried like any
 * other dependency's instead of failing a release.
 */
import { TransactionCanceledException, type DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { toDomainError } from '../adapters/aws/errors.js';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { CloudProviderUnavailableError, LedgerUnavailableError, type RollgateError } from '../errors.js';

/**
 * Client configuration of the ledger's DynamoDB client in the Lambda functions.
 * DynamoDB answers in milliseconds; a connection that takes a second to open or
 * a request that takes two is a fault, not a slow answer, so it is cut off and
 * retried (the SDK retries `TimeoutError`) rather than left to eat the
 * function's timeout. `throwOnRequestTimeout` makes `requestTimeout` an error
 * rather than a logged warning. Three attempts keep one ledger call under
 * about 8 s even when every attempt hangs, so a step fails with
 * {@link LedgerUnavailableError} (which the state machine retries) well before
 * its Lambda times out. The `requestHandler` shorthand (options, not a handler):
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * Retries: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export const ledgerClientConfig = {
  ...awsClientConfig,
  maxAttempts: 3,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000, throwOnRequestTimeout: true },
} as const satisfies DynamoDBClientConfig;

/**
 * Cancellation reasons that mean the transaction was throttled, not refused:
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 * ("ProvisionedThroughputExceeded", "ThrottlingError" among the CancellationReasons codes).
 */
const THROTTLED_CANCELLATION_CODES: ReadonlySet<string> = new Set(['ProvisionedThroughputExceeded', 'ThrottlingError']);

/**
 * What the ledger sees of a failed DynamoDB call. A conditional check that
 * failed, and a transaction cancelled for any reason but throttling, are the
 * ledger's own to read (they carry the current item), so they pass unchanged.
 * Everything else becomes a rollgate error naming DynamoDB: throttling, server
 * faults, timeouts and refused or reset connections a
 * {@link LedgerUnavailableError}, the rest a final `CloudProviderError`.
 */
export function ledgerError(operation: string, error: unknown): unknown {
  if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return error;
  if (error instanceof TransactionCanceledException) {
    const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    const throttled = codes.some((c) => THROTTLED_CANCELLATION_CODES.has(c)) && !codes.includes('ConditionalCheckFailed');
    if (!throttled) return error;
    return new LedgerUnavailableError(operation, error.name, `${error.message} (${codes.join(', ')})`, { cause: error });
  }
  const translated: RollgateError = toDomainError('dynamodb', operation, error);
  if (translated instanceof CloudProviderUnavailableError && !(translated instanceof LedgerUnavailableError)) {
    return new LedgerUnavailableError(operation, translated.code, messageOf(error), { cause: error });
  }
  return translated;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The DocumentClient the ledger expects: optional fields that are `undefined`
 * are left out of items instead of failing the write, and every failure is
 * translated by {@link ledgerError} after the SDK's own retries. The client
 * gets its own copy of `client`'s middleware stack (a DocumentClient shares it
 * otherwise), so other users of `client` (table creation and its waiter) keep
 * seeing the SDK's errors.
 */
export function ledgerDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  const documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  documentClient.middlewareStack = client.middlewareStack.clone();
  documentClient.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw ledgerError((context.commandName ?? 'DynamoDB').replace(/Command$/, ''), error);
      }
    },
    // The outermost step: it sees what is left once the retry middleware gave up.
    { step: 'initialize', priority: 'high', name: 'rollgateLedgerErrors', tags: ['ROLLGATE'] },
  );
  return documentClient;
}
