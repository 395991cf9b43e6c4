/**
 * The control API over real HTTP: a local runtime (real ASL on the local
 * engine, real steps, DynamoDB Local) behind the local control server, and a
 * client that signs its requests with @smithy/signature-v4 the way the CLI
 * and every AWS SDK sign them. Fake credentials, loopback only.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach } from 'vitest';
import type { ControlErrorBody } from '../../functions/control/routes.js';
import type { PlanInput } from '../../functions/domain/plan.js';
import { ControlServer, type RunningControlServer } from '../../local/control-server.js';
import type { LocalRuntime, LocalRuntimeOptions } from '../../local/runtime.js';
import { NodeSha256 } from '../../functions/control/sha256.js';
import type { LocalCredential } from '../../local/sigv4-verifier.js';
import { newRuntime } from '../flow/flow-fixture.js';

const ACCOUNT = '000000000000';
export const OPERATORS_ROLE = `arn:aws:sts::${ACCOUNT}:assumed-role/Operators`;

/** Dana, an operator: she starts the releases. */
export const DANA: LocalCredential = { accessKeyId: 'AKIDLOCALDANA', secretAccessKey: 'dana-secret-key', principalArn: `${OPERATORS_ROLE}/dana` };
/** Alice, another operator: an allowed approver (every session of the Operators role is). */
export const ALICE: LocalCredential = { accessKeyId: 'AKIDLOCALALICE', secretAccessKey: 'alice-secret-key', principalArn: `${OPERATORS_ROLE}/alice` };
/** Mallory: an IAM user the API lets in (signed), who is no approver. */
export const MALLORY: LocalCredential = { accessKeyId: 'AKIDLOCALMALLORY', secretAccessKey: 'mallory-secret-key', principalArn: `arn:aws:iam::${ACCOUNT}:user/mallory` };

/** Erin, an operator whose IAM user sits under a long path: her ARN is far longer than 256 characters. */
export const ERIN: LocalCredential = {
  accessKeyId: 'AKIDLOCALERIN',
  secretAccessKey: 'erin-secret-key',
  principalArn: `arn:aws:iam::${ACCOUNT}:user/${'platform-engineering/'.repeat(24)}erin`,
};

export const CREDENTIALS = [DANA, ALICE, MALLORY, ERIN];

/** Approvers of the tests' approval gates: a Slack user and every Operators session. */
export const APPROVERS = { users: ['U01ALICE'], principals: [`${OPERATORS_ROLE}/*`] };

/** One long bake: a release stays SHIFTING at 10% until promoted or aborted. */
export const BAKING_PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 10, bakeSeconds: 3600 },
    { type: 'traffic', weight: 50, bakeSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 0 },
  ],
};

/** An approval first, then all the traffic. */
export const APPROVAL_PLAN: PlanInput = {
  steps: [
    { type: 'approval', approvers: APPROVERS, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 0 },
  ],
};

/** Straight to 100%. */
export const QUICK_PLAN: PlanInput = { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 0 }] };

export interface ControlHarness {
  readonly runtime: LocalRuntime;
  readonly server: RunningControlServer;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

/**
 * A runtime and its control server. Bakes last as long as the plan says
 * (minutes: a release waits for promote or abort), other waits are compressed.
 */
export async function controlHarness(options: Partial<LocalRuntimeOptions> = {}): Promise<ControlHarness> {
  const runtime = await newRuntime({ ...options, overrides: { taskTimeoutOverrides: {}, ...options.overrides } });
  const server = await ControlServer.start({ runtime, credentials: CREDENTIALS });
  open.push(async () => {
    await server.close();
    // A 5xx is expected only from a test whose ledger goes through a fault-injecting proxy.
    if (server.serverErrors.length > 0 && options.ledgerEndpoint === undefined) throw new Error(`control server failed: ${String(server.serverErrors[0])}`);
    // A release a test left baking is stopped, and its reconciler run awaited: nothing outlives the test.
    for (const { executionArn } of runtime.engine.listExecutions({ statusFilter: 'RUNNING' })) {
      runtime.engine.stopExecution(executionArn);
      await runtime.engine.execution(executionArn).result;
    }
    await runtime.settled();
  });
  return { runtime, server };
}

export interface CallOptions {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  /** Sent instead of the signed body (a tampered request). */
  readonly sendBody?: string;
  /** Signed at this time. @default now */
  readonly signingDate?: Date;
  /** Signed with this secret instead of the credential's (a forged request). */
  readonly secret?: string;
  /** Not signed at all. */
  readonly unsigned?: boolean;
}

export interface CallResult<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** Calls the control API as `credential`, signing with SigV4 for execute-api in us-east-1. */
export async function call<T = unknown>(server: RunningControlServer, credential: LocalCredential, method: 'GET' | 'POST', path: string, options: CallOptions = {}): Promise<CallResult<T>> {
  const url = new URL(path, server.endpoint);
  const query = options.query ?? {};
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  let headers: Record<string, string> = { host: url.host, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  if (options.unsigned !== true) {
    const signer = new SignatureV4({
      credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: options.secret ?? credential.secretAccessKey },
      region: 'us-east-1',
      service: 'execute-api',
      sha256: NodeSha256,
    });
    const signed = await signer.sign(
      { method, protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: url.pathname, query, headers, ...(body === undefined ? {} : { body }) },
      options.signingDate === undefined ? {} : { signingDate: options.signingDate },
    );
    headers = { ...signed.headers };
  }
  // fetch sets Host itself (from the URL, the same value that was signed).
  const sendable = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'host'));
  const sent = options.sendBody ?? body;
  const response = await fetch(url, { method, headers: sendable, ...(sent === undefined ? {} : { body: sent }) });
  return { status: response.status, body: (await response.json()) as T };
}

/** The error of a refused call. */
export function errorOf(result: CallResult): ControlErrorBody['error'] {
  return (result.body as ControlErrorBody).error;
}
