/**
 * vitest globalSetup: one DynamoDB Local for the whole run. Test files reach it
 * with `inject('dynamodbEndpoint')` and isolate themselves by table name.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the run's DynamoDB Local, e.g. `http://127.0.0.1:8123`. */
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dynamoDb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamoDb.endpoint);
  return () => dynamoDb.stop();
}
