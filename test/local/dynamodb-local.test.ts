import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, inject, test, vi } from 'vitest';
import {
  DynamoDbLocalStartError,
  JavaNotFoundError,
  parseJavaMajorVersion,
  startDynamoDbLocal,
} from '../../local/dynamodb-local.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/start-dynamodb-local.ts', import.meta.url));

function clientFor(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Pids of every process (the watchdog or java) running DynamoDB Local on `port`. */
function dynamoDbLocalPids(port: number): number[] {
  if (!existsSync('/proc/self/cmdline')) {
    try {
      const out = execFileSync('pgrep', ['-f', `DynamoDBLocal\\.jar.* -port ${port} `], { encoding: 'utf8' });
      return out.split('\n').filter(Boolean).map(Number);
    } catch {
      return []; // pgrep exits 1 when nothing matches
    }
  }
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // exited while we looked
    }
    const portIndex = args.indexOf('-port');
    if (args.some((arg) => arg.endsWith('DynamoDBLocal.jar')) && args[portIndex + 1] === String(port)) {
      pids.push(Number(entry));
    }
  }
  return pids;
}

async function waitForNoDynamoDbLocal(port: number, timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let pids = dynamoDbLocalPids(port);
  while (pids.length > 0 && Date.now() < deadline) {
    await delay(100);
    pids = dynamoDbLocalPids(port);
  }
  return pids;
}

function connectionError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code ?? error.message);
    });
  });
}

function listenOnFreePort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address !== null && typeof address === 'object') {
        resolve({ server, port: address.port });
      } else {
        reject(new Error('no port'));
      }
    });
  });
}

interface FixtureProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const fixtures: ChildProcess[] = [];

/**
 * Runs the fixture under the tsx loader inside one node process, so the pid
 * that is signalled is the very process that owns DynamoDB Local (the tsx CLI
 * would add a relaying parent process in between).
 */
async function startFixture(...args: string[]): Promise<FixtureProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  fixtures.push(child);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const started = await new Promise<{ pid: number; port: number }>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((each) => each.startsWith('{'));
      if (line !== undefined) {
        resolve(JSON.parse(line) as { pid: number; port: number });
      }
    });
    void exit.then(({ code }) => {
      reject(new Error(`fixture exited with ${String(code)} before it started:\n${stderr}`));
    });
  });
  return { child, exit, ...started };
}

afterEach(() => {
  for (const child of fixtures.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
    }
  }
  vi.unstubAllEnvs();
});

describe('startDynamoDbLocal', () => {
  test('the global setup provides a DynamoDB Local that lists and creates tables', async () => {
    const client = clientFor(inject('dynamodbEndpoint'));
    const tableName = `harness-${String(Date.now())}`;
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    const listed = await client.send(new ListTablesCommand({}));
    client.destroy();
    expect(listed.TableNames).toContain(tableName);
  });

  test('answers once started; stop() leaves no process and frees the port; a second stop is harmless', async () => {
    const dynamoDb = await startDynamoDbLocal();
    expect(dynamoDb.endpoint).toBe(`http://127.0.0.1:${dynamoDb.port}`);
    const client = clientFor(dynamoDb.endpoint);
    const listed = await client.send(new ListTablesCommand({}));
    client.destroy();
    expect(listed.TableNames).toEqual([]);
    expect(dynamoDbLocalPids(dynamoDb.port).length).toBeGreaterThan(0);

    await dynamoDb.stop();

    // stop() waits for the watchdog, which waits for java: nothing may remain.
    expect(dynamoDbLocalPids(dynamoDb.port)).toEqual([]);
    expect(await connectionError(dynamoDb.port)).toBe('ECONNREFUSED');
    await expect(dynamoDb.stop()).resolves.toBeUndefined();
  });

  test('with dbPath, tables survive a restart, and another access key and region see them', async () => {
    const dbPath = mkdtempSync(join(tmpdir(), 'rollgate-dbpath-'));
    try {
      const first = await startDynamoDbLocal({ dbPath });
      const client = clientFor(first.endpoint);
      await client.send(
        new CreateTableCommand({
          TableName: 'kept',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      client.destroy();
      await first.stop();
      expect(readdirSync(dbPath)).toContain('shared-local-instance.db');

      const second = await startDynamoDbLocal({ dbPath });
      const other = new DynamoDBClient({ endpoint: second.endpoint, region: 'eu-west-1', credentials: { accessKeyId: 'other', secretAccessKey: 'other' } });
      const listed = await other.send(new ListTablesCommand({}));
      other.destroy();
      await second.stop();
      expect(listed.TableNames).toEqual(['kept']);
    } finally {
      rmSync(dbPath, { recursive: true, force: true });
    }
  });

  test('a taken port fails with DynamoDbLocalStartError port-in-use and java output, leaving no java', async () => {
    const { server, port } = await listenOnFreePort();
    try {
      const error: unknown = await startDynamoDbLocal({ port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DynamoDbLocalStartError);
      expect(error).toMatchObject({ name: 'DynamoDbLocalStartError', reason: 'port-in-use', port });
      expect((error as Error).message).toMatch(/BindException/);
      expect(dynamoDbLocalPids(port)).toEqual([]);
    } finally {
      server.close();
    }
  });

  test('a start timeout fails with DynamoDbLocalStartError timeout and stops java', async () => {
    const error: unknown = await startDynamoDbLocal({ startTimeoutMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DynamoDbLocalStartError);
    expect(error).toMatchObject({ name: 'DynamoDbLocalStartError', reason: 'timeout' });
    expect((error as Error).message).toMatch(/did not answer within 0 ms/);
    expect(dynamoDbLocalPids((error as DynamoDbLocalStartError).port)).toEqual([]);
  });
});

describe('Java detection', () => {
  const installHint = /Java 17 or newer.*sudo apt-get install openjdk-17-jre-headless.*brew install openjdk@17.*JAVA_HOME/;

  test('a missing java fails with JavaNotFoundError carrying the install hint', async () => {
    const javaCommand = join(tmpdir(), 'rollgate-no-such-dir', 'java');
    const error: unknown = await startDynamoDbLocal({ javaCommand }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JavaNotFoundError);
    expect(error).toMatchObject({ name: 'JavaNotFoundError', javaCommand });
    expect((error as Error).message).toContain(`Java was not found (tried "${javaCommand}")`);
    expect((error as Error).message).toMatch(installHint);
  });

  test('JAVA_HOME is honoured: a JAVA_HOME without java fails naming $JAVA_HOME/bin/java', async () => {
    const javaHome = join(tmpdir(), 'rollgate-no-such-java-home');
    vi.stubEnv('ROLLGATE_JAVA', '');
    vi.stubEnv('JAVA_HOME', javaHome);
    const error: unknown = await startDynamoDbLocal().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JavaNotFoundError);
    expect(error).toMatchObject({ javaCommand: join(javaHome, 'bin', 'java') });
  });

  test('a java older than 17 fails with JavaNotFoundError naming the version found', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-old-java-'));
    const javaCommand = join(dir, 'java');
    writeFileSync(javaCommand, '#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n');
    chmodSync(javaCommand, 0o755);
    try {
      const error: unknown = await startDynamoDbLocal({ javaCommand }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JavaNotFoundError);
      expect(error).toMatchObject({ name: 'JavaNotFoundError', foundVersion: 8 });
      expect((error as Error).message).toContain(`Java 8 was found at "${javaCommand}", which is too old`);
      expect((error as Error).message).toMatch(installHint);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['openjdk version "21" 2023-09-19', 21],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "11.0.2" 2019-01-15', 11],
    ['no version here', undefined],
  ])('parseJavaMajorVersion(%j) is %s', (banner, expected) => {
    expect(parseJavaMajorVersion(banner)).toBe(expected);
  });
});

describe('no orphan java', () => {
  test('SIGKILL of the node process that started DynamoDB Local leaves no java behind', async () => {
    const started = await startFixture();
    expect(dynamoDbLocalPids(started.port).length).toBeGreaterThan(0);

    process.kill(started.pid, 'SIGKILL');

    expect(await started.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(await waitForNoDynamoDbLocal(started.port, 5_000)).toEqual([]);
  });

  test('SIGINT with installSignalCleanup stops DynamoDB Local, then exits with 130', async () => {
    const started = await startFixture('--signal-cleanup');
    expect(dynamoDbLocalPids(started.port).length).toBeGreaterThan(0);

    process.kill(started.pid, 'SIGINT');

    expect(await started.exit).toEqual({ code: 130, signal: null });
    // The process only exits after stop() has seen java gone.
    expect(dynamoDbLocalPids(started.port)).toEqual([]);
  });
});
