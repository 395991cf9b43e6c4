/**
 * Every bundle esbuild produced, loaded the way Lambda loads it: the built
 * `index.mjs` imported by a fresh Node.js process with native ESM, with the
 * environment variables the template gives the function (the ledger table
 * pointing at DynamoDB Local, fake credentials), then its `handler` called.
 * The alarm handler and the reconciler run on AWS's documented example events
 * against DynamoDB Local; the build trigger starts executions on a local
 * stand-in for the Step Functions API.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ENV } from '../../functions/handlers/environment.js';
import { EVENT_FUNCTIONS, TASK_FUNCTIONS } from '../../infra/functions.js';
import { createLedgerTable, localDynamoClient } from '../../local/ledger-table.js';
import { alarmStateChangeFor, cloudWatchAlarmStateChange, ecrImagePush, scheduledEvent, stepFunctionsExecutionFailed } from './aws-events.js';
import { synthStack, testApp } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

const outdir = mkdtempSync(join(tmpdir(), 'rollgate-bundles-'));
const tableName = `rollgate-bundles-${Math.random().toString(36).slice(2, 10)}`;
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Rollgate-release';

// One synth with real bundling for the whole file: esbuild runs once per function.
const { stack, template } = synthStack({}, testApp({ bundle: true, outdir }));
const rendered = template.toJSON() as { Resources: Record<string, Resource> };

interface Bundle {
  readonly file: string;
  readonly env: Record<string, string>;
}

/** The bundle of function `id` and the environment the template gives it, made concrete for this test. */
function bundleOf(id: string): Bundle {
  const fn = stack.orchestrator.functions[id];
  if (fn === undefined) throw new Error(`no function ${id}`);
  const props = rendered.Resources[stack.getLogicalId(fn.node.defaultChild as never)]?.Properties;
  const key = (props?.Code as { S3Key: string }).S3Key;
  const variables = (props?.Environment as { Variables: Record<string, unknown> }).Variables;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value === 'string') env[name] = value;
    else if (name === ENV.ledgerTable) env[name] = tableName;
    else if (name === ENV.stateMachineArn) env[name] = STATE_MACHINE_ARN;
    else throw new Error(`${id}: no test value for ${name}=${JSON.stringify(value)}`);
  }
  return { file: join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs'), env };
}

/** What a Node.js process made of importing a bundle and, if given an event, calling its handler. */
type Outcome = { ok: true; handler: string; result?: unknown } | { ok: false; name: string; message: string };

const MARK = '@@rollgate-outcome@@';

/** Lambda's way: native ESM import of the built file, then `handler(event, context)`. */
const RUNNER = `
const [file, event] = process.argv.slice(1);
const context = {
  functionName: 'test', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '512', awsRequestId: 'req-1', logGroupName: '/aws/lambda/test', logStreamName: 's',
  callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000, done() {}, fail() {}, succeed() {},
};
try {
  const mod = await import(file);
  const out = { ok: true, handler: typeof mod.handler };
  if (event !== undefined) out.result = await mod.handler(JSON.parse(event), context);
  console.log('${MARK}' + JSON.stringify(out));
} catch (error) {
  console.log('${MARK}' + JSON.stringify({ ok: false, name: error?.name, message: error?.message }));
}
`;

let dynamodbEndpoint = '';
let sfnEndpoint = '';

function run(bundle: Bundle, event?: unknown, envChanges: Record<string, string | undefined> = {}): Promise<Outcome> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
    AWS_ENDPOINT_URL_SFN: sfnEndpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...bundle.env,
    ...envChanges,
  };
  const args = ['--input-type=module', '-e', RUNNER, bundle.file, ...(event === undefined ? [] : [JSON.stringify(event)])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', () => {
      const line = stdout.split('\n').find((l) => l.startsWith(MARK));
      if (line === undefined) reject(new Error(`no outcome from ${bundle.file}\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(line.slice(MARK.length)) as Outcome);
    });
  });
}

/** A stand-in for the Step Functions API: StartExecution answers like AWS, the first time and the second. */
const started = new Map<string, string>();
const startRequests: { name: string; input: string }[] = [];
let sfnServer: Server | undefined;

beforeAll(async () => {
  dynamodbEndpoint = inject('dynamodbEndpoint');
  await createLedgerTable(localDynamoClient(dynamodbEndpoint), tableName);
  sfnServer = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const request = JSON.parse(body) as { name: string; input: string };
      startRequests.push(request);
      res.setHeader('content-type', 'application/x-amz-json-1.0');
      const earlier = started.get(request.name);
      if (req.headers['x-amz-target'] !== 'AWSStepFunctions.StartExecution') {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: String(req.headers['x-amz-target']) }));
      } else if (earlier !== undefined && earlier !== request.input) {
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${request.name}'` }));
      } else {
        started.set(request.name, request.input);
        res.end(JSON.stringify({ executionArn: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${request.name}`, startDate: 1.7e9 }));
      }
    });
  });
  await new Promise<void>((resolve) => sfnServer?.listen(0, '127.0.0.1', resolve));
  sfnEndpoint = `http://127.0.0.1:${String((sfnServer.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    if (sfnServer === undefined) resolve();
    else sfnServer.close(() => {
      resolve();
    });
  });
  rmSync(outdir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it.each([...TASK_FUNCTIONS, ...EVENT_FUNCTIONS].map((f) => [f.id] as const))('%s loads as Lambda loads it and exports a handler', async (id) => {
    expect(await run(bundleOf(id))).toEqual({ ok: true, handler: 'function' });
  });

  it('keeps error class names through minification, so the ASL catches them by name', async () => {
    const outcome = await run(bundleOf('Preflight'), { input: {} });
    expect(outcome).toMatchObject({ ok: false, name: 'InvalidInputError', message: expect.stringMatching(/^preflight: executionArn/) as unknown });
  });

  it('fails its cold start naming a missing environment variable', async () => {
    expect(await run(bundleOf('Bake'), undefined, { [ENV.ledgerTable]: undefined })).toEqual({
      ok: false,
      name: 'InvalidInputError',
      message: `Lambda environment: ${ENV.ledgerTable}: is not set`,
    });
    expect(await run(bundleOf('Bake'), undefined, { [ENV.config]: '{"services":[]}' })).toMatchObject({
      ok: false,
      message: `${ENV.config}: services: onboard at least one service`,
    });
  });
});

describe('alarm handler bundle on DynamoDB Local', () => {
  it("looks up the active release of the alarm's service for AWS's documented event about an onboarded alarm", async () => {
    expect(await run(bundleOf('AlarmHandler'), alarmStateChangeFor('checkout-prod-5xx'))).toEqual({
      ok: true,
      handler: 'function',
      result: [{ action: 'ignored', reason: 'checkout/prod has no active release' }],
    });
  });

  it("ignores AWS's documented event as published: not an onboarded alarm", async () => {
    expect(await run(bundleOf('AlarmHandler'), cloudWatchAlarmStateChange())).toEqual({
      ok: true,
      handler: 'function',
      result: [{ action: 'ignored', reason: 'ServerCpuTooHigh is not an onboarded alarm' }],
    });
  });
});

describe('reconciler bundle on DynamoDB Local', () => {
  it.each([
    ['the documented execution-failed event', stepFunctionsExecutionFailed()],
    ['a scheduled event', scheduledEvent()],
  ])('checks every onboarded service on %s and finds nothing to close', async (_name, event) => {
    expect(await run(bundleOf('Reconciler'), event)).toEqual({ ok: true, handler: 'function', result: [] });
  });
});

describe('build trigger bundle', () => {
  it('starts one execution named from the image digest, and nothing new for the same push again', async () => {
    const push = ecrImagePush();
    push.detail['repository-name'] = 'checkout';
    push.detail['image-digest'] = `sha256:${'7f5b2640'.repeat(8)}`;
    const first = await run(bundleOf('BuildTrigger'), push);
    const retagged = { ...push, id: 'another-delivery', detail: { ...push.detail, 'image-tag': 'v2' } };
    const second = await run(bundleOf('BuildTrigger'), retagged);
    expect(startRequests).toHaveLength(2);
    const [a, b] = startRequests;
    expect(a?.name).toMatch(/^checkout-prod-[0-9a-f]{32}$/);
    expect(b).toEqual(a);
    expect(JSON.parse(a?.input ?? '{}')).toEqual({
      service: 'checkout',
      environment: 'prod',
      version: push.detail['image-digest'],
      trigger: { source: 'ecr', buildId: `checkout@${String(push.detail['image-digest'])}` },
    });
    expect(first).toMatchObject({ ok: true, result: [{ started: true }] });
    expect(second).toMatchObject({ ok: true, result: [{ started: true, executionArn: (first as { result: [{ executionArn: string }] }).result[0].executionArn }] });
  });
});
