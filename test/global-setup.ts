/**
 * vitest globalSetup: one DynamoDB Local for the whole run, and one temp
 * directory. Test files reach DynamoDB Local with `inject('dynamodbEndpoint')`
 * and isolate themselves by table name.
 *
 * The run's TMPDIR is a fresh directory (the workers and every process they
 * start inherit it), so that what a test leaves behind is seen: at the end
 * the run fails naming each leftover, and the directory is removed.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Endpoint of the run's DynamoDB Local, e.g. `http://127.0.0.1:8123`. */
    dynamodbEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runTmp = mkdtempSync(join(tmpdir(), 'rollgate-test-run-'));
  const outerTmp = process.env.TMPDIR;
  process.env.TMPDIR = runTmp;
  const dynamoDb = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', dynamoDb.endpoint);
  return async () => {
    await dynamoDb.stop();
    if (outerTmp === undefined) Reflect.deleteProperty(process.env, 'TMPDIR');
    else process.env.TMPDIR = outerTmp;
    const leftovers = readdirSync(runTmp, { recursive: true, encoding: 'utf8' }).sort();
    rmSync(runTmp, { recursive: true, force: true });
    if (leftovers.length > 0) {
      // vitest prints an error thrown here but still exits 0: the exit status is set instead.
      process.exitCode = 1;
      const shown = leftovers.slice(0, 20).join(', ');
      const more = leftovers.length > 20 ? ` and ${String(leftovers.length - 20)} more` : '';
      console.error(`\nFAIL tests left ${String(leftovers.length)} path(s) in the temp directory (each test removes what it creates): ${shown}${more}`);
    }
  };
}
