/**
 * Lambda bundle figures: each function's entry point bundled the way it is
 * deployed (esbuild, minified, ESM, platform node), its size, and how long a
 * fresh Node process takes to import it (module scope included: clients built,
 * the configuration read from the ledger's CONFIG items on DynamoDB Local and
 * validated, the approval functions' Slack secret read from a loopback
 * stand-in for Secrets Manager) — the code part of a cold start.
 * Every other AWS endpoint points at a closed loopback port: nothing leaves
 * the machine.
 *
 * Entry points are functions/handlers/*.ts that export `handler`; without
 * that folder, the step modules the local runtime maps to Task states.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ledgerDocumentClient } from '../functions/ledger/client.js';
import { ConfigStore } from '../functions/ledger/config-store.js';
import { createLedgerTable, localDynamoClient } from '../local/ledger-table.js';
import { SAMPLE_CONFIG } from '../local/sample-config.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IMPORT_RUNS = 3;

export interface BundleFigure {
  readonly entry: string;
  readonly minifiedBytes: number;
  /** Median of fresh-process imports; null when the import failed (see `importError`). */
  readonly coldImportMs: number | null;
  readonly importError?: string;
}

async function entryPoints(): Promise<string[]> {
  const handlers = join(ROOT, 'functions', 'handlers');
  const names = await readdir(handlers).catch(() => [] as string[]);
  const entries: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.ts')).sort()) {
    const source = await readFile(join(handlers, name), 'utf8');
    if (/export (?:const|async function|function) handler\b/.test(source)) entries.push(join(handlers, name));
  }
  if (entries.length > 0) return entries;
  const steps = join(ROOT, 'functions', 'steps');
  return (await readdir(steps)).filter((n) => n.endsWith('.ts') && n !== 'step.ts').sort().map((n) => join(steps, n));
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

/** Imports `file` in a new node process and reports the milliseconds the import took. */
function coldImport(file: string, secretsManagerUrl: string, ledger: { readonly endpoint: string; readonly tableName: string }): Promise<number> {
  const script = `const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, file], {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
        // Nothing reaches AWS: a closed port for every service, the stand-in for the secret.
        AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManagerUrl,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_ENDPOINT_URL_DYNAMODB: ledger.endpoint,
        ROLLGATE_LEDGER_TABLE: ledger.tableName,
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

/** `dynamodbEndpoint`: the DynamoDB Local the configuration is published in, as the functions read it. */
export async function benchBundles(dynamodbEndpoint: string): Promise<BundleFigure[]> {
  const tableName = `rollgate-bench-bundles-${Math.random().toString(36).slice(2, 10)}`;
  const client = localDynamoClient(dynamodbEndpoint);
  await createLedgerTable(client, tableName);
  await new ConfigStore({ client: ledgerDocumentClient(client), tableName }).publish(SAMPLE_CONFIG, 'bench');
  const outdir = await mkdtemp(join(tmpdir(), 'rollgate-bundles-'));
  const secretsManager = await secretsManagerStandIn();
  try {
    const figures: BundleFigure[] = [];
    for (const entry of await entryPoints()) {
      const name = basename(entry, '.ts');
      const outfile = join(outdir, `${name}.mjs`);
      await build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'node',
        target: 'node22',
        logLevel: 'silent',
        // Bundled CommonJS dependencies call require(); ESM has none unless it is made.
        banner: { js: "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);" },
      });
      const { size } = await stat(outfile);
      const runs: number[] = [];
      let importError: string | undefined;
      for (let i = 0; i < IMPORT_RUNS && importError === undefined; i++) {
        try {
          runs.push(await coldImport(outfile, secretsManager.url, { endpoint: dynamodbEndpoint, tableName }));
        } catch (error) {
          importError = error instanceof Error ? error.message : String(error);
        }
      }
      runs.sort((a, b) => a - b);
      const median = runs[Math.floor(runs.length / 2)];
      figures.push({
        entry: entry.slice(ROOT.length),
        minifiedBytes: size,
        coldImportMs: importError === undefined && median !== undefined ? Math.round(median * 10) / 10 : null,
        ...(importError === undefined ? {} : { importError }),
      });
    }
    return figures;
  } finally {
    await new Promise((resolve) => secretsManager.server.close(resolve));
    await rm(outdir, { recursive: true, force: true });
  }
}
