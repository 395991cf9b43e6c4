/**
 * Lambda entry point. The ConfigPublisher (the onEvent handler of a CDK custom-resources Provider):
 * on Create and Update publishes the configuration asset as ledger items; Delete leaves them (config-resource.ts).
 * Its role reads that one S3 object and writes only items whose partition key is CONFIG.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { InvalidInputError } from '../errors.js';
import { S3ObjectReader } from '../adapters/aws/s3-object.js';
import { ledgerClientConfig, ledgerDocumentClient } from '../ledger/client.js';
import { ConfigStore } from '../ledger/config-store.js';
import { publishConfigResource, type ConfigResourceResponse } from './config-resource.js';
import { ENV, readEnvironment } from './environment.js';
import { logger } from './logger.js';

const env = readEnvironment([ENV.ledgerTable]);
// Lambda sets AWS_REGION; the asset bucket is in the stack's region.
const region = process.env.AWS_REGION;
if (region === undefined || region === '') throw new InvalidInputError('Lambda environment', 'AWS_REGION', 'is not set');
const s3 = new S3ObjectReader({ region });
const store = new ConfigStore({ client: ledgerDocumentClient(new DynamoDBClient(ledgerClientConfig)), tableName: env[ENV.ledgerTable] });

export async function handler(event: CloudFormationCustomResourceEvent, context: Context): Promise<ConfigResourceResponse> {
  logger.addContext(context);
  const response = await publishConfigResource({ read: (bucket, key) => s3.getText(bucket, key), store }, event);
  logger.info('configuration published', { requestType: event.RequestType, ...response.Data });
  return response;
}
