/**
 * Lambda bundle figures: every function of infra/functions.ts bundled with
 * the options the stack deploys with (infra/bundling.ts), its size, the AWS
 * SDK clients it carries (from esbuild's metafile), and how long a fresh Node
 * process takes to import it (module scope included, and its source map, which the functions' NODE_OPTIONS make Node read: clients built,
 * configuration validated, the approval functions' Slack secrets read from a
 * loopback stand-in for Secrets Manager) — the code part of a cold start.
 * Every other AWS endpoint points at a closed loopback port: nothing leaves
 * the machine. The configuration is the 2-service sample
 * (examples/services.json), read from the environment as outside a bundle.
 *
 * The alarm handler, on the rollback fast path, is imported more often and
 * set against the figure issue 14 started from.
 *
 *   npx tsx bench/bundles.bench.ts   (writes `bundles` and `alarmColdImport` into bench/results.json)
 *   npm run bench                    (the same figures, with the ledger and release ones)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { BUNDLE_NODE_OPTIONS, esbuildOptions, sdkClientsIn } from '../infra/bundling.js';
import { ALL_FUNCTIONS } from '../infra/functions.js';
import { SAMPLE_CONFIG } from '../local/sample-config.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = fileURLToPath(new URL('results.json', import.meta.url));
/** Fresh-process imports of each bundle; the median is reported. */
const IMPORT_RUNS = 5;
/** Of the alarm handler's bundle: its figure is the one issue 14 sets a target for. */
const ALARM_IMPORT_RUNS = 15;
const ALARM_FUNCTION = 'AlarmHandler';

/** The alarm handler's cold import when issue 14 was filed, and the target it set. */
export const ALARM_BASELINE_MS = 404;
export const ALARM_TARGET_MS = 150;

export interface BundleFigure {
  /** The function's id in infra/functions.ts. */
  readonly id: string;
  readonly entry: string;
  readonly minifiedBytes: number;
  /** The `@aws-sdk/client-*` packages in the bundle. */
  readonly sdkClients: readonly string[];
  /** Median of fresh-process imports; null when the import failed (see `importError`). */
  readonly coldImportMs: number | null;
  readonly importError?: string;
}

export interface AlarmColdImport {
  readonly function: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly baselineMs: number;
  readonly targetMs: number;
  /** `medianMs / baselineMs`. */
  readonly ratioToBaseline: number;
  /** The median with the function's NODE_OPTIONS left out: what reading the source map costs. */
  readonly withoutSourceMapsMs: number | null;
}

export interface BundleBench {
  readonly bundles: BundleFigure[];
  readonly alarmColdImport: AlarmColdImport | null;
}

/** A loopback Secrets Manager whose GetSecretValue answers with made-up Slack secrets: the bot token for its secret, the signing secret for any other. */
async function secretsManagerStandIn(): Promise<{ url: string; server: Server }> {
  const botToken = JSON.stringify({ botToken: 'xoxb-bench' });
  const signing = JSON.stringify({ signingSecret: 'bench-signing-secret', linkSigningKey: 'bench-link-signing-key-0123456789abcdef' });
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { SecretId?: string };
      const secretString = SecretId === SAMPLE_CONFIG.slack?.botTokenSecretName ? botToken : signing;
      response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ Name: 'bench', SecretString: secretString }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`, server };
}

/** Imports `file` in a new node process (with the functions' NODE_OPTIONS unless `sourceMaps` is false) and reports the milliseconds the import took. */
function coldImport(file: string, secretsManagerUrl: string, sourceMaps: boolean): Promise<number> {
  const script = `const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, file], {
      env: {
        PATH: process.env.PATH,
        // As the stack runs the functions: the bundle's source map is read with it.
        ...(sourceMaps ? { NODE_OPTIONS: BUNDLE_NODE_OPTIONS } : {}),
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
        // Nothing reaches AWS: a closed port for every service, the stand-in for the secret.
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManagerUrl,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ROLLGATE_LEDGER_TABLE: 'rollgate-ledger',
        ROLLGATE_CONFIG: JSON.stringify(SAMPLE_CONFIG),
        ROLLGATE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:rollgate-release',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(err.trim().split('\n').find((line) => /Error/.test(line)) ?? `exit ${String(code)}`));
    });
  });
}

/** `runs` fresh-process imports of `file`, one after another, sorted; or the first failure's message. */
async function importRuns(file: string, runs: number, secretsManagerUrl: string, sourceMaps = true): Promise<number[] | string> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    try {
      times.push(await coldImport(file, secretsManagerUrl, sourceMaps));
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
  return times.sort((a, b) => a - b);
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const medianOf = (sorted: readonly number[]) => sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;

/** Bundles every function as the stack does, then imports each in fresh processes. */
export async function benchBundles(): Promise<BundleBench> {
  const outdir = await mkdtemp(join(tmpdir(), 'rollgate-bundles-'));
  const secretsManager = await secretsManagerStandIn();
  try {
    // One esbuild run for all entries: without splitting, each is bundled as on its own.
    const result = await build({
      ...esbuildOptions(),
      absWorkingDir: ROOT,
      entryPoints: Object.fromEntries(ALL_FUNCTIONS.map((spec) => [spec.entry, `functions/handlers/${spec.entry}.ts`])),
      outdir,
      outExtension: { '.js': '.mjs' },
      metafile: true,
    });
    const outputs = Object.entries(result.metafile.outputs);
    const figures: BundleFigure[] = [];
    let alarm: AlarmColdImport | null = null;
    for (const spec of ALL_FUNCTIONS) {
      const file = join(outdir, `${spec.entry}.mjs`);
      const inputs = outputs.find(([path]) => path.endsWith(`/${spec.entry}.mjs`))?.[1].inputs ?? {};
      const runs = await importRuns(file, spec.id === ALARM_FUNCTION ? ALARM_IMPORT_RUNS : IMPORT_RUNS, secretsManager.url);
      figures.push({
        id: spec.id,
        entry: `functions/handlers/${spec.entry}.ts`,
        minifiedBytes: (await stat(file)).size,
        sdkClients: sdkClientsIn(inputs),
        coldImportMs: typeof runs === 'string' ? null : round(medianOf(runs)),
        ...(typeof runs === 'string' ? { importError: runs } : {}),
      });
      if (spec.id === ALARM_FUNCTION && typeof runs !== 'string') {
        const medianMs = round(medianOf(runs));
        const withoutSourceMaps = await importRuns(file, ALARM_IMPORT_RUNS, secretsManager.url, false);
        alarm = {
          function: ALARM_FUNCTION,
          runs: runs.length,
          medianMs,
          minMs: round(runs[0] ?? Number.NaN),
          maxMs: round(runs[runs.length - 1] ?? Number.NaN),
          baselineMs: ALARM_BASELINE_MS,
          targetMs: ALARM_TARGET_MS,
          ratioToBaseline: Math.round((medianMs / ALARM_BASELINE_MS) * 100) / 100,
          withoutSourceMapsMs: typeof withoutSourceMaps === 'string' ? null : round(medianOf(withoutSourceMaps)),
        };
      }
    }
    return { bundles: figures, alarmColdImport: alarm };
  } finally {
    await new Promise((resolve) => secretsManager.server.close(resolve));
    await rm(outdir, { recursive: true, force: true });
  }
}

/** The figures as lines for the console. */
export function bundleLines({ bundles, alarmColdImport: alarm }: BundleBench): string[] {
  const short = (client: string) => client.replace('@aws-sdk/client-', '');
  return [
    `Lambda bundles (as deployed: infra/bundling.ts; import in a fresh node process, median of ${String(IMPORT_RUNS)}, the alarm handler's of ${String(ALARM_IMPORT_RUNS)})`,
    ...bundles.map(
      (b) =>
        `  ${b.id.padEnd(18)} ${`${(b.minifiedBytes / 1024).toFixed(1)} KiB`.padStart(11)}  ${(b.coldImportMs === null ? `import failed: ${b.importError ?? ''}` : `${b.coldImportMs.toFixed(1)} ms`).padStart(9)}  ${b.sdkClients.map(short).join(', ')}`,
    ),
    alarm === null
      ? '  alarm handler: import failed'
      : `  alarm handler cold import: median ${String(alarm.medianMs)} ms (${String(alarm.minMs)}-${String(alarm.maxMs)}), ${String(alarm.ratioToBaseline)}x the ${String(alarm.baselineMs)} ms of issue 14 (target ${String(alarm.targetMs)} ms); ${alarm.withoutSourceMapsMs === null ? 'without source maps: import failed' : `${String(alarm.withoutSourceMapsMs)} ms without the source map`}`,
  ];
}

/** Merges the figures into bench/results.json, keeping everything else there. */
async function writeResults(figures: BundleBench): Promise<void> {
  const previous = await readFile(RESULTS, 'utf8').then(
    (text) => JSON.parse(text) as Record<string, unknown>,
    () => ({}),
  );
  await writeFile(RESULTS, `${JSON.stringify({ ...previous, ...figures, bundlesAt: new Date().toISOString() }, null, 2)}\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const figures = await benchBundles();
  for (const line of bundleLines(figures)) console.log(line);
  await writeResults(figures);
  console.log(`wrote ${RESULTS}`);
}
