/**
 * Lambda bundle figures: each function's entry point bundled the way it is
 * deployed (esbuild, minified, ESM, platform node), its size, and how long a
 * fresh Node process takes to import it (module scope included: clients built,
 * configuration validated) — the code part of a cold start.
 *
 * Entry points are functions/handlers/*.ts that export `handler`; without
 * that folder, the step modules the local runtime maps to Task states.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
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

/** Imports `file` in a new node process and reports the milliseconds the import took. */
function coldImport(file: string): Promise<number> {
  const script = `const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, file], {
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_EC2_METADATA_DISABLED: 'true',
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

export async function benchBundles(): Promise<BundleFigure[]> {
  const outdir = await mkdtemp(join(tmpdir(), 'rollgate-bundles-'));
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
          runs.push(await coldImport(outfile));
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
    await rm(outdir, { recursive: true, force: true });
  }
}
