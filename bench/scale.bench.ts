/**
 * Scale figures: configurations of 10, 100 and 1,000 generated services
 * (bench/generate-config.ts), and for each what an install of that size
 * costs — `cdk synth` as the platform team runs it (the CDK CLI in a process
 * of its own: bundling, cdk-nag and all), the template's size, the largest
 * IAM policy (bench/policy-size.ts, resolved the way IAM counts it), how long
 * a cold function takes to load and validate the configuration from the
 * ledger (ConfigStore on DynamoDB Local), and up to 200 releases at once on
 * the local runtime (all correct or not, wall time). Measurements, not
 * thresholds: the issue's targets (synth within 60 s on 2 cores, every
 * policy under its quota) are printed beside them.
 *
 *   npx tsx bench/scale.bench.ts            (or as part of `npm run bench`)
 */
import '../local/node-compat.js';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ServiceConfig } from '../functions/config.js';
import { ledgerDocumentClient } from '../functions/ledger/client.js';
import { ConfigStore } from '../functions/ledger/config-store.js';
import type { ExecutionOverrides } from '../local/engine/index.js';
import type { DynamoDbLocal } from '../local/dynamodb-local.js';
import { createLedgerTable } from '../local/ledger-table.js';
import { LocalRuntime } from '../local/runtime.js';
import { generateConfig, generateConfigInput } from './generate-config.js';
import { IAM_LIMITS, largestPolicies } from './policy-size.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCALE_COUNTS = [10, 100, 1000] as const;
/** At most this many releases run at once, whatever the count of services. */
const MAX_CONCURRENT = 200;
const CONFIG_LOADS = 5;

/** Waits, retries and bakes compressed: what is left is the orchestration itself. */
const FAST: ExecutionOverrides = {
  waitTimeOverrides: { WaitForHealth: 0, WaitForMigration: 0, TerminationWait: 0 },
  retryIntervalOverrides: Object.fromEntries(['Preflight', 'Deploy', 'CheckHealth', 'Bake', 'Approval', 'Finalize', 'Retire', 'Rollback'].map((s) => [s, 5])),
  taskTimeoutOverrides: { Bake: 150 },
};

export interface ScaleFigures {
  readonly services: number;
  readonly synth: { readonly ok: boolean; readonly wallMs: number; readonly error?: string };
  readonly templateBytes: number | null;
  readonly largestInlinePolicyCharsPerRole: { readonly role: string; readonly chars: number; readonly limit: number } | null;
  readonly largestManagedPolicyChars: { readonly chars: number; readonly limit: number } | null;
  /** A cold ConfigStore.load (query, validate, assemble): median and max of {@link CONFIG_LOADS}. */
  readonly configLoadMs: { readonly median: number; readonly max: number; readonly items: number };
  readonly concurrentReleases: { readonly releases: number; readonly allCorrect: boolean; readonly correct: number; readonly wallMs: number };
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** `cdk synth` of the configuration in a process of its own, as `npm run synth` runs it, into `outdir`. */
function cdkSynth(configFile: string, outdir: string): Promise<{ ok: boolean; wallMs: number; error?: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '-c', `rollgate:config=${configFile}`, '-o', outdir], {
      cwd: ROOT,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (code) => {
      const wallMs = round(performance.now() - started);
      resolve(code === 0 ? { ok: true, wallMs } : { ok: false, wallMs, error: stderr.trim().split('\n').slice(-3).join(' ') });
    });
  });
}

async function synthFigures(count: number): Promise<Pick<ScaleFigures, 'synth' | 'templateBytes' | 'largestInlinePolicyCharsPerRole' | 'largestManagedPolicyChars'>> {
  const dir = await mkdtemp(join(tmpdir(), `rollgate-scale-${String(count)}-`));
  try {
    const configFile = join(dir, 'services.json');
    await writeFile(configFile, JSON.stringify(generateConfigInput(count)));
    const outdir = join(dir, 'cdk.out');
    const synth = await cdkSynth(configFile, outdir);
    if (!synth.ok) return { synth, templateBytes: null, largestInlinePolicyCharsPerRole: null, largestManagedPolicyChars: null };
    const templateFile = join(outdir, 'Rollgate.template.json');
    const template: unknown = JSON.parse(await readFile(templateFile, 'utf8'));
    const largest = largestPolicies(template);
    return {
      synth,
      templateBytes: (await stat(templateFile)).size,
      largestInlinePolicyCharsPerRole: { ...largest.inlineCharsPerRole, limit: IAM_LIMITS.inlinePerRole },
      largestManagedPolicyChars: { chars: largest.managedPolicyChars, limit: IAM_LIMITS.managedPolicy },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** What a cold function pays to read the configuration: a new ConfigStore (no cache) loading it from the ledger. */
async function configLoad(dynamo: DynamoDbLocal, count: number): Promise<ScaleFigures['configLoadMs']> {
  const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const tableName = `scale-config-${String(count)}-${String(Date.now())}`;
  await createLedgerTable(client, tableName);
  const store = () => new ConfigStore({ client: ledgerDocumentClient(client), tableName });
  await store().publish(generateConfigInput(count), 'bench');
  const samples: number[] = [];
  let items = 0;
  for (let i = 0; i < CONFIG_LOADS; i++) {
    const started = performance.now();
    const { config } = await store().load();
    samples.push(performance.now() - started);
    items = config.services.length;
  }
  client.destroy();
  return { median: round(median(samples)), max: round(Math.max(...samples)), items };
}

/** Up to {@link MAX_CONCURRENT} releases of as many services at once; correct: SUCCEEDED in the execution and the ledger, 100 % on the new fleet, the new version stable. */
async function concurrentReleases(dynamo: DynamoDbLocal, count: number): Promise<ScaleFigures['concurrentReleases']> {
  const config = generateConfig(count, { approvals: false });
  const runtime = await LocalRuntime.create({ dynamodbEndpoint: dynamo.endpoint, config, overrides: FAST });
  const services = config.services.slice(0, Math.min(count, MAX_CONCURRENT));
  // An Auto Scaling group service releases a launch-template version; an ECS service an image tag.
  const versionOf = (service: ServiceConfig) => (service.fleet.kind === 'asg' ? '2' : 'v2');
  const started = performance.now();
  const results = await Promise.all(
    services.map((s) => runtime.startRelease({ service: s.service, environment: s.environment, version: versionOf(s), trigger: { source: 'bench' } }).result),
  );
  await runtime.settled();
  const wallMs = round(performance.now() - started);
  let correct = 0;
  for (const [i, result] of results.entries()) {
    const service = services[i];
    if (service === undefined || result.status !== 'SUCCEEDED') continue;
    const ref = { service: service.service, environment: service.environment };
    const release = (await runtime.ledger.listReleases(ref)).items[0];
    const weights = runtime.cloud.weightsOn(service.traffic.listenerArn, service.traffic.ruleArn);
    const green = service.traffic.targetGroupArns[1];
    if (release?.status === 'SUCCEEDED' && weights.get(green) === 100 && (await runtime.ledger.getStable(ref))?.version === versionOf(service)) correct++;
  }
  await runtime.close();
  return { releases: services.length, allCorrect: correct === services.length && runtime.reconcileErrors.length === 0, correct, wallMs };
}

/** Every figure for every count, printed as it comes. */
export async function benchScale(dynamo: DynamoDbLocal, counts: readonly number[] = SCALE_COUNTS): Promise<ScaleFigures[]> {
  const figures: ScaleFigures[] = [];
  console.log('scale: generated configurations (bench/generate-config.ts)');
  for (const count of counts) {
    const synth = await synthFigures(count);
    const configLoadMs = await configLoad(dynamo, count);
    const releases = await concurrentReleases(dynamo, count);
    const figure: ScaleFigures = { services: count, ...synth, configLoadMs, concurrentReleases: releases };
    figures.push(figure);
    const policy = figure.largestInlinePolicyCharsPerRole;
    console.log(
      [
        `  ${String(count).padStart(5)} services:`,
        `cdk synth ${figure.synth.ok ? `${(figure.synth.wallMs / 1000).toFixed(1)} s` : `FAILED (${figure.synth.error ?? ''})`} (target ≤ 60 s),`,
        `template ${figure.templateBytes === null ? '-' : `${(figure.templateBytes / 1024).toFixed(0)} KiB`},`,
        `largest inline policy per role ${policy === null ? '-' : `${String(policy.chars)} of ${String(policy.limit)} chars (${policy.role})`},`,
        `largest managed policy ${figure.largestManagedPolicyChars === null ? '-' : `${String(figure.largestManagedPolicyChars.chars)} of ${String(figure.largestManagedPolicyChars.limit)}`},`,
        `config load median ${String(configLoadMs.median)} ms (max ${String(configLoadMs.max)}),`,
        `${String(releases.releases)} concurrent releases ${releases.allCorrect ? 'all correct' : `only ${String(releases.correct)} correct`} in ${(releases.wallMs / 1000).toFixed(1)} s`,
      ].join(' '),
    );
  }
  return figures;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { installSignalCleanup, startDynamoDbLocal } = await import('../local/dynamodb-local.js');
  installSignalCleanup();
  const dynamo = await startDynamoDbLocal();
  try {
    const figures = await benchScale(dynamo);
    const out = fileURLToPath(new URL('results.json', import.meta.url));
    const previous = await readFile(out, 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => ({}));
    await writeFile(out, `${JSON.stringify({ ...previous, scale: figures }, null, 2)}\n`);
    console.log(`wrote ${out}`);
    if (figures.some((f) => !f.synth.ok || !f.concurrentReleases.allCorrect)) process.exitCode = 1;
  } finally {
    await dynamo.stop();
  }
}
