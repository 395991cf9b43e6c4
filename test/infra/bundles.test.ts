/**
 * Every bundle esbuild produced, loaded the way Lambda loads it: the built
 * `index.mjs` imported by a fresh Node.js process with native ESM, with the
 * environment variables the template gives the function (the ledger table
 * pointing at DynamoDB Local, fake credentials), then its `handler` called.
 * The configuration is neither in the bundle nor in the environment: the
 * bundles read it from the ledger's CONFIG items, published here first.
 * The alarm handler and the reconciler run on AWS's documented example
 * events against DynamoDB Local, with and without an active release; the
 * build trigger starts executions; the approval endpoint answers a forged
 * Slack click and a link preview. The AWS APIs they call beyond DynamoDB
 * (Step Functions, Elastic Load Balancing, ECS, Secrets Manager) are local
 * stand-ins (aws-stand-ins.ts) that record what they were asked.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { FileSystem } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { toAlbWeights } from '../../functions/domain/weights.js';
import { ALL_STABLE } from '../../functions/domain/plan.js';
import { ACTION_APPROVE } from '../../functions/approval/message.js';
import { ENV } from '../../functions/handlers/environment.js';
import { ConfigStore } from '../../functions/ledger/config-store.js';
import { ledgerDocumentClient } from '../../functions/ledger/client.js';
import { DynamoDbLedger } from '../../functions/ledger/dynamodb-ledger.js';
import type { Ledger } from '../../functions/ports.js';
import type { Release } from '../../functions/domain/release.js';
import { ALL_FUNCTIONS } from '../../infra/functions.js';
import { createLedgerTable, localDynamoClient } from '../../local/ledger-table.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG, SAMPLE_SLACK } from '../../local/sample-config.js';
import { numberedService } from '../ledger/config-fixture.js';
import { alarmStateChangeFor, cloudWatchAlarmStateChange, ecrImagePush, httpApiRequest, scheduledEvent, stepFunctionsExecutionFailed } from './aws-events.js';
import { AwsApiError, elbListenersStandIn, forwardOf, jsonApiStandIn, type Forward, type StandIn } from './aws-stand-ins.js';
import { synthStack, testApp } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

const outdir = mkdtempSync(join(tmpdir(), 'rollgate-bundles-'));
const tableName = `rollgate-bundles-${Math.random().toString(36).slice(2, 10)}`;
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Rollgate-release';
const executionArnOf = (name: string) => `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${name}`;

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

function run(bundle: Bundle, event?: unknown, envChanges: Record<string, string | undefined> = {}): Promise<Outcome> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: elb.endpoint,
    AWS_ENDPOINT_URL_ECS: ecs.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
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

// ───────────────────────────── the stand-ins ─────────────────────────────

/** Step Functions: StartExecution answers like AWS the first time and the second; executions' statuses are set by the tests. */
const started = new Map<string, string>();
const executionStatus = new Map<string, string>();
/** Elastic Load Balancing: the listeners of the onboarded services, as each test sets them. */
const listeners = new Map<string, Forward>();

const SLACK_SECRETS = { botToken: 'xoxb-stand-in', signingSecret: '8f742231b10e8888abcd99yyyzzz85a5', linkSigningKey: 'k'.repeat(43) };

let sfn: StandIn<Record<string, unknown>>;
let elb: StandIn<URLSearchParams>;
let ecs: StandIn<Record<string, unknown>>;
let secretsManager: StandIn<Record<string, unknown>>;

beforeAll(async () => {
  dynamodbEndpoint = inject('dynamodbEndpoint');
  await createLedgerTable(localDynamoClient(dynamodbEndpoint), tableName);
  await publishConfig(tableName);
  sfn = await jsonApiStandIn('application/x-amz-json-1.0', {
    StartExecution: (input) => {
      const name = String(input.name);
      const earlier = started.get(name);
      if (earlier !== undefined && earlier !== input.input) throw new AwsApiError('ExecutionAlreadyExists', `Execution Already Exists: '${name}'`);
      started.set(name, String(input.input));
      return { executionArn: executionArnOf(name), startDate: 1.7e9 };
    },
    DescribeExecution: (input) => {
      const executionArn = String(input.executionArn);
      const status = executionStatus.get(executionArn);
      if (status === undefined) throw new AwsApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
      return { executionArn, stateMachineArn: STATE_MACHINE_ARN, status, startDate: 1.7e9 };
    },
    SendTaskFailure: () => ({}),
  });
  elb = await elbListenersStandIn(listeners);
  ecs = await jsonApiStandIn('application/x-amz-json-1.1', {
    DeleteTaskSet: (input) => ({ taskSet: { id: input.taskSet, status: 'DRAINING' } }),
    // Every task set asked for is up and steady (a rollback checks the stable one still exists).
    DescribeTaskSets: (input) => ({
      taskSets: (input.taskSets as string[]).map((id) => ({ id, status: 'ACTIVE', stabilityStatus: 'STEADY_STATE', computedDesiredCount: 1, runningCount: 1 })),
    }),
  });
  secretsManager = await jsonApiStandIn('application/x-amz-json-1.1', {
    GetSecretValue: (input) => {
      const { botToken, ...signing } = SLACK_SECRETS;
      const secrets: Record<string, unknown> = { [SAMPLE_SLACK.botTokenSecretName]: { botToken }, [SAMPLE_SLACK.signingSecretName]: signing };
      const name = String(input.SecretId);
      const value = secrets[name];
      if (value === undefined) throw new AwsApiError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      return { ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`, Name: name, SecretString: JSON.stringify(value), VersionId: 'v1' };
    },
  });
});

afterAll(async () => {
  await Promise.all([sfn.close(), elb.close(), ecs.close(), secretsManager.close()]);
  rmSync(outdir, { recursive: true, force: true });
});

/** What the stand-in `standIn` received of `operation`, from the index `since` on. */
function receivedOf<I>(standIn: StandIn<I>, operation: string, since = 0): I[] {
  return standIn.received.slice(since).filter((r) => r.operation === operation).map((r) => r.input);
}

// ───────────────────────────── an active release in the ledger ─────────────────────────────

const [BLUE, GREEN] = CHECKOUT_SERVICE.traffic.targetGroupArns;
const CHECKOUT = { service: CHECKOUT_SERVICE.service, environment: CHECKOUT_SERVICE.environment };
const STABLE_FLEET = { kind: 'ecs-task-set', id: 'ecs-svc/1111111111111111111', targetGroup: BLUE } as const;
const NEW_FLEET = { kind: 'ecs-task-set', id: 'ecs-svc/2222222222222222222', targetGroup: GREEN } as const;

/** The stack's configuration published into `table`, as the ConfigPublisher does on deploy. */
async function publishConfig(table: string): Promise<void> {
  await new ConfigStore({ client: ledgerDocumentClient(localDynamoClient(dynamodbEndpoint)), tableName: table }).publish(stack.orchestrator.config, 'test');
}

/** A ledger of its own on DynamoDB Local (its configuration published), so scenarios do not see each other's releases. */
async function freshLedger(): Promise<{ table: string; ledger: Ledger }> {
  const table = `rollgate-bundles-${Math.random().toString(36).slice(2, 10)}`;
  const client = localDynamoClient(dynamodbEndpoint);
  await createLedgerTable(client, table);
  await publishConfig(table);
  return { table, ledger: new DynamoDbLedger({ client: ledgerDocumentClient(client), tableName: table }) };
}

/**
 * Checkout's v2 the way the flow leaves it in its first bake: stable v1 on
 * blue, the new task set on green taking 10%, the bake's task token waiting.
 * The listener stand-in forwards 90/10 accordingly.
 */
async function checkoutReleaseInFirstBake(ledger: Ledger, executionName: string): Promise<Release> {
  await ledger.setStable({ ...CHECKOUT, version: 'v1', fleet: STABLE_FLEET });
  const executionArn = executionArnOf(executionName);
  const release = await ledger.startRelease({
    ...CHECKOUT,
    version: 'v2',
    previousVersion: 'v1',
    trigger: { source: 'ecr', author: 'U03CAROL' },
    executionArn,
    stableFleet: STABLE_FLEET,
    canaryTargetGroup: GREEN,
  });
  const ref = { ...CHECKOUT, releaseId: release.releaseId };
  await ledger.transition({ ...ref, from: 'PENDING', to: 'DEPLOYING' });
  await ledger.recordFleet({ ...ref, fleet: NEW_FLEET });
  await ledger.transition({ ...ref, from: 'DEPLOYING', to: 'SHIFTING' });
  await ledger.recordProgress({ ...ref, step: { index: 0, name: 'traffic 10%' }, weights: { stable: 90, canary: 10 } });
  await ledger.recordWait({ ...ref, wait: { kind: 'BAKE', taskToken: `bake-token-${executionName}`, stepIndex: 0, timeoutAt: '2030-01-01T00:00:00.000Z' } });
  const alb = toAlbWeights({ stable: 90, canary: 10 });
  listeners.set(CHECKOUT_SERVICE.traffic.listenerArn, [
    { targetGroupArn: BLUE, weight: alb.stable },
    { targetGroupArn: GREEN, weight: alb.canary },
  ]);
  executionStatus.set(executionArn, 'RUNNING');
  return release;
}

/** The forward action that puts all of checkout's traffic back on blue. */
const ALL_ON_BLUE: Forward = [
  { targetGroupArn: BLUE, weight: toAlbWeights(ALL_STABLE).stable },
  { targetGroupArn: GREEN, weight: 0 },
];

describe('Lambda bundles', () => {
  const ALL = ALL_FUNCTIONS;

  it.each(ALL.map((f) => [f.id] as const))('%s loads as Lambda loads it, reads the published configuration at cold start, and exports a handler', async (id) => {
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
  });

  it('on a ledger where no configuration is published: a step function starts cold and its invocation fails with ConfigNotReadyError; one that sets up from it at init fails its cold start', async () => {
    const empty = `rollgate-bundles-${Math.random().toString(36).slice(2, 10)}`;
    await createLedgerTable(localDynamoClient(dynamodbEndpoint), empty);
    const env = { [ENV.ledgerTable]: empty };
    // A cold start is code only (the alarm handler's fast path): the configuration is read on the first invocation.
    expect(await run(bundleOf('Bake'), undefined, env)).toEqual({ ok: true, handler: 'function' });
    expect(await run(bundleOf('Bake'), {}, env)).toMatchObject({ ok: false, name: 'ConfigNotReadyError' });
    // The approval endpoint sets its Slack app up once, from the configuration, at init.
    expect(await run(bundleOf('ApprovalEndpoint'), undefined, env)).toMatchObject({ ok: false, name: 'ConfigNotReadyError' });
  });

  it('carries no configuration: no service name, ARN or alarm of it is in any bundle', () => {
    const config = stack.orchestrator.config;
    const marks = [...config.services.flatMap((s) => [s.traffic.listenerArn, ...s.alarms]), config.slack?.botTokenSecretName ?? ''].filter((m) => m !== '');
    for (const spec of ALL) {
      const { file } = bundleOf(spec.id);
      const source = readFileSync(file, 'utf8');
      for (const mark of marks) expect(source.includes(mark), `${spec.id} contains ${mark}`).toBe(false);
      // Nor encoded whole, as it once was (an esbuild define of its base64).
      expect(source.includes(Buffer.from(JSON.stringify(config), 'utf8').toString('base64').slice(0, 64)), spec.id).toBe(false);
      expect(basename(dirname(file)), spec.id).toBe(`asset.${FileSystem.fingerprint(dirname(file))}`);
    }
  });

  it('keeps every Lambda asset when a service is onboarded: only the configuration asset changes', () => {
    const otherOutdir = mkdtempSync(join(tmpdir(), 'rollgate-bundles-more-'));
    try {
      const more = synthStack({ config: { ...SAMPLE_CONFIG, services: [...SAMPLE_CONFIG.services, numberedService(1)] } }, testApp({ bundle: true, outdir: otherOutdir }));
      const codeKeys = (t: { toJSON(): unknown }) =>
        Object.fromEntries(
          Object.entries((t.toJSON() as { Resources: Record<string, Resource> }).Resources)
            .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
            .map(([id, r]) => [id, (r.Properties.Code as { S3Key: unknown }).S3Key]),
        );
      const before = codeKeys(template);
      // Every function, the ConfigPublisher and the Provider's framework function included.
      expect(Object.keys(before).length).toBe(ALL.length + 2);
      expect(codeKeys(more.template)).toEqual(before);
      expect(more.stack.orchestrator.configPublisher.asset.assetHash).not.toBe(stack.orchestrator.configPublisher.asset.assetHash);
      const properties = (t: { toJSON(): unknown }) =>
        Object.values((t.toJSON() as { Resources: Record<string, Resource> }).Resources).find((r) => r.Type === 'Custom::RollgateConfig')?.Properties;
      expect(properties(more.template)?.Hash).toBe(more.stack.orchestrator.configPublisher.asset.assetHash);
      expect(properties(template)?.Hash).toBe(stack.orchestrator.configPublisher.asset.assetHash);
    } finally {
      rmSync(otherOutdir, { recursive: true, force: true });
    }
    // A second synth with real bundling: esbuild runs once more per function.
  }, 300_000);
});

/**
 * The documented event for `alarmName`, dated now: the handler judges an event
 * by its time, and one from 2019 is older than any release it could roll back.
 */
function alarmStateChangeNow(alarmName: string) {
  const event = alarmStateChangeFor(alarmName);
  const now = new Date().toISOString();
  event.time = `${now.slice(0, 19)}Z`;
  event.detail.state = { ...(event.detail.state as Record<string, unknown>), timestamp: now.replace('Z', '+0000') };
  return event;
}

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

  it("rolls the active release back on AWS's documented event for its alarm: 100% back on stable, the ledger told, the waiting bake failed", async () => {
    const { table, ledger } = await freshLedger();
    const release = await checkoutReleaseInFirstBake(ledger, 'checkout-prod-alarm');
    const [elbSince, sfnSince] = [elb.received.length, sfn.received.length];

    const outcome = await run(bundleOf('AlarmHandler'), alarmStateChangeNow('checkout-prod-5xx'), { [ENV.ledgerTable]: table });

    expect(outcome).toEqual({ ok: true, handler: 'function', result: [{ action: 'rolled-back', releaseId: release.releaseId, ...CHECKOUT }] });
    // Set, then verified by reading it back.
    const modified = receivedOf(elb, 'ModifyListener', elbSince);
    expect(modified.map((params) => params.get('ListenerArn'))).toEqual([CHECKOUT_SERVICE.traffic.listenerArn]);
    expect(modified.map(forwardOf)).toEqual([ALL_ON_BLUE]);
    expect(receivedOf(elb, 'DescribeListeners', elbSince).length).toBeGreaterThanOrEqual(2);
    expect(listeners.get(CHECKOUT_SERVICE.traffic.listenerArn)).toEqual(ALL_ON_BLUE);
    expect(receivedOf(sfn, 'SendTaskFailure', sfnSince)).toEqual([
      { taskToken: 'bake-token-checkout-prod-alarm', error: 'AlarmFiredError', cause: expect.stringContaining('checkout-prod-5xx in ALARM') as unknown },
    ]);
    const after = await ledger.getRelease({ ...CHECKOUT, releaseId: release.releaseId });
    expect(after).toMatchObject({ status: 'ROLLING_BACK', statusReason: expect.stringContaining('checkout-prod-5xx in ALARM') as unknown });
    const events = await ledger.listEvents({ releaseId: release.releaseId });
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['ALARM_FIRED', 'TRAFFIC_RESTORED', 'STATUS_CHANGED']));
    expect(events.find((e) => e.type === 'TRAFFIC_RESTORED')?.message).toContain(STABLE_FLEET.id);
  });
});

describe('reconciler bundle on DynamoDB Local', () => {
  it.each([
    ['the documented execution-failed event', stepFunctionsExecutionFailed()],
    ['a scheduled event', scheduledEvent()],
  ])('checks every onboarded service on %s and finds nothing to close', async (_name, event) => {
    expect(await run(bundleOf('Reconciler'), event)).toEqual({ ok: true, handler: 'function', result: [] });
  });

  it("closes the active release on the documented FAILED event for its execution: traffic restored, new fleet removed, lock released", async () => {
    const { table, ledger } = await freshLedger();
    const release = await checkoutReleaseInFirstBake(ledger, 'checkout-prod-died');
    const executionArn = release.executionArn ?? '';
    executionStatus.set(executionArn, 'FAILED');
    const event = stepFunctionsExecutionFailed();
    event.resources = [executionArn];
    Object.assign(event.detail, { executionArn, stateMachineArn: STATE_MACHINE_ARN, name: 'checkout-prod-died' });
    const [elbSince, ecsSince, sfnSince] = [elb.received.length, ecs.received.length, sfn.received.length];

    const outcome = await run(bundleOf('Reconciler'), event, { [ENV.ledgerTable]: table });

    expect(outcome).toEqual({
      ok: true,
      handler: 'function',
      result: [{ releaseId: release.releaseId, action: 'restored', reason: `execution ${executionArn} is FAILED while the release was SHIFTING` }],
    });
    expect(receivedOf(sfn, 'DescribeExecution', sfnSince)).toEqual([{ executionArn }]);
    expect(receivedOf(elb, 'ModifyListener', elbSince).map(forwardOf)).toEqual([ALL_ON_BLUE]);
    expect(listeners.get(CHECKOUT_SERVICE.traffic.listenerArn)).toEqual(ALL_ON_BLUE);
    expect(receivedOf(ecs, 'DeleteTaskSet', ecsSince)).toEqual([
      { cluster: CHECKOUT_SERVICE.fleet.cluster, service: CHECKOUT_SERVICE.fleet.service, taskSet: NEW_FLEET.id, force: true },
    ]);
    expect(await ledger.getRelease({ ...CHECKOUT, releaseId: release.releaseId })).toMatchObject({
      status: 'ROLLED_BACK',
      outcome: 'EXECUTION_DIED',
      weights: ALL_STABLE,
    });
    expect(await ledger.getLock(CHECKOUT)).toBeUndefined();
    const events = await ledger.listEvents({ releaseId: release.releaseId });
    expect(events.at(-1)).toMatchObject({ type: 'RELEASE_FINISHED', actor: 'reconciler' });
  });
});

describe('build trigger bundle', () => {
  it('starts one execution named from the image digest, and nothing new for the same push again', async () => {
    const push = ecrImagePush();
    push.detail['repository-name'] = 'checkout';
    push.detail['image-digest'] = `sha256:${'7f5b2640'.repeat(8)}`;
    const since = sfn.received.length;
    const first = await run(bundleOf('BuildTrigger'), push);
    const retagged = { ...push, id: 'another-delivery', detail: { ...push.detail, 'image-tag': 'v2' } };
    const second = await run(bundleOf('BuildTrigger'), retagged);
    const startRequests = receivedOf(sfn, 'StartExecution', since);
    expect(startRequests).toHaveLength(2);
    const [a, b] = startRequests;
    expect(a?.name).toMatch(/^checkout-prod-[0-9a-f]{32}$/);
    expect(b).toEqual(a);
    expect(JSON.parse(String(a?.input))).toEqual({
      service: 'checkout',
      environment: 'prod',
      version: push.detail['image-digest'],
      trigger: { source: 'ecr', buildId: `checkout@${String(push.detail['image-digest'])}` },
    });
    expect(first).toMatchObject({ ok: true, result: [{ started: true }] });
    expect(second).toMatchObject({ ok: true, result: [{ started: true, executionArn: (first as { result: [{ executionArn: string }] }).result[0].executionArn }] });
  });
});

describe('approval endpoint bundle', () => {
  /** Slack's v0 signature of `body` at `timestamp` with `secret`: https://api.slack.com/authentication/verifying-requests-from-slack */
  const sign = (secret: string, timestamp: string, body: string) => `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;

  /** Checkout's release waiting for an approval, and that approval, in a ledger of their own. */
  async function awaitingApproval(): Promise<{ table: string; ledger: Ledger; approvalId: string; releaseId: string }> {
    const { table, ledger } = await freshLedger();
    const release = await checkoutReleaseInFirstBake(ledger, 'checkout-prod-approval');
    const ref = { ...CHECKOUT, releaseId: release.releaseId };
    await ledger.clearWait({ ...ref, taskToken: 'bake-token-checkout-prod-approval' });
    await ledger.transition({ ...ref, from: 'SHIFTING', to: 'AWAITING_APPROVAL' });
    const approval = await ledger.createApproval({ ...ref, stepIndex: 2, taskToken: 'approval-token', approvers: { users: ['U01ALICE'] }, timeoutSeconds: 3600 });
    await ledger.recordWait({ ...ref, wait: { kind: 'APPROVAL', taskToken: 'approval-token', stepIndex: 2, timeoutAt: approval.expiresAt, approvalId: approval.approvalId } });
    return { table, ledger, approvalId: approval.approvalId, releaseId: release.releaseId };
  }

  /** A click on Approve as Slack posts it (form-encoded `payload`), from `team`. */
  function approveClick(approvalId: string, team: string): string {
    const payload = { type: 'block_actions', team: { id: team }, user: { id: 'U01ALICE', team_id: team }, channel: { id: 'C0CHECKOUT1' }, actions: [{ action_id: ACTION_APPROVE, value: approvalId }] };
    return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  }

  function interactivity(body: string, signature: string, timestamp: string): Record<string, unknown> {
    return httpApiRequest({
      method: 'POST',
      path: '/slack/interactivity',
      routeKey: 'POST /slack/interactivity',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)', 'x-slack-request-timestamp': timestamp, 'x-slack-signature': signature },
      body,
    });
  }

  it('answers a click with a forged signature 401 and decides nothing', async () => {
    const { table, ledger, approvalId, releaseId } = await awaitingApproval();
    const before = await ledger.getApproval(approvalId);
    const [sfnSince, secretsSince] = [sfn.received.length, secretsManager.received.length];
    const timestamp = String(Math.floor(Date.now() / 1000));
    const body = approveClick(approvalId, SAMPLE_SLACK.teamId);

    const forged = await run(bundleOf('ApprovalEndpoint'), interactivity(body, sign('not-the-signing-secret', timestamp, body), timestamp), { [ENV.ledgerTable]: table });

    expect(forged).toMatchObject({ ok: true, result: { statusCode: 401, headers: { 'x-rollgate-outcome': 'bad-signature' } } });
    // The two secrets were read once, at cold start (from the stand-in), and that is all that happened.
    expect(receivedOf(secretsManager, 'GetSecretValue', secretsSince)).toEqual([{ SecretId: SAMPLE_SLACK.botTokenSecretName }, { SecretId: SAMPLE_SLACK.signingSecretName }]);
    expect(sfn.received.slice(sfnSince)).toEqual([]);
    expect(await ledger.getApproval(approvalId)).toEqual(before);
    expect((await ledger.getRelease({ ...CHECKOUT, releaseId }))?.status).toBe('AWAITING_APPROVAL');

    // Signed with the real secret, the same click gets past the signature: to the workspace check.
    const elsewhere = approveClick(approvalId, 'T0ANOTHER1');
    const signed = await run(bundleOf('ApprovalEndpoint'), interactivity(elsewhere, sign(SLACK_SECRETS.signingSecret, timestamp, elsewhere), timestamp), { [ENV.ledgerTable]: table });
    expect(signed).toMatchObject({ ok: true, result: { statusCode: 403, headers: { 'x-rollgate-outcome': 'wrong-team' } } });
    expect(await ledger.getApproval(approvalId)).toEqual(before);
  });

  it('shows a link preview to Slackbot-LinkExpanding and changes nothing', async () => {
    const { table, ledger, approvalId } = await awaitingApproval();
    const before = await ledger.getApproval(approvalId);
    const [sfnSince, secretsSince] = [sfn.received.length, secretsManager.received.length];
    const preview = httpApiRequest({
      method: 'GET',
      path: `/approvals/${approvalId}`,
      routeKey: 'GET /approvals/{id}',
      rawQueryString: 't=whatever-the-link-carried',
      headers: { 'user-agent': 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)' },
    });

    const outcome = await run(bundleOf('ApprovalEndpoint'), preview, { [ENV.ledgerTable]: table });

    expect(outcome).toMatchObject({ ok: true, result: { statusCode: 200, headers: { 'x-rollgate-outcome': 'preview' } } });
    const body = (outcome as { result: { body: string } }).result.body;
    expect(body).not.toContain('<form');
    expect(body).not.toContain('v2');
    // The cold start's reads of the two secrets (each run is a new container), and no other call.
    expect(secretsManager.received.slice(secretsSince)).toEqual([
      { operation: 'GetSecretValue', input: { SecretId: SAMPLE_SLACK.botTokenSecretName } },
      { operation: 'GetSecretValue', input: { SecretId: SAMPLE_SLACK.signingSecretName } },
    ]);
    expect(sfn.received.slice(sfnSince)).toEqual([]);
    expect(await ledger.getApproval(approvalId)).toEqual(before);
  });
});
