/**
 * `npm run bench:contention`: the demo, run again and again on a machine
 * whose cores are all busy, and how many runs ended with every release as
 * its scenario expects. The demo's outcome must not depend on how busy the
 * machine is: a good version is promoted and a bad one rolled back every
 * time.
 *
 * Busy-loop processes (`--busy`, default one per core) pin the cores for the
 * whole bench; each run is a fresh `local/demo.ts --json` child (its own
 * DynamoDB Local), whose JSON summary says how each release ended and why.
 * The figures go under `contention` in bench/results.json, per scenario,
 * next to what `npm run bench` wrote there.
 *
 *   npm run bench:contention -- [--runs 10] [--scenario all] [--busy 2]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = fileURLToPath(new URL('results.json', import.meta.url));
/** Past the demo's own hard limit (150 s): a run that takes longer is stopped and counts as not as expected. */
const RUN_TIMEOUT_MS = 200_000;

interface Options {
  readonly runs: number;
  /** Passed to the demo's `--scenario`; undefined: the demo's default. */
  readonly scenario: string | undefined;
  readonly busy: number;
}

/** What the bench reads of the demo's `--json` summary. */
interface DemoSummary {
  readonly asExpected: boolean;
  readonly releases: readonly {
    readonly scenario: string;
    readonly version: string;
    readonly status: string | null;
    readonly outcome: string | null;
    readonly reason: string | null;
    readonly asExpected: boolean;
    readonly durationMs: number;
  }[];
}

interface RunResult {
  readonly run: number;
  readonly asExpected: boolean;
  readonly wallMs: number;
  readonly exitCode: number | null;
  /** How each release ended, e.g. `bad v3 ROLLED_BACK/ALARM: checkout-prod-5xx in ALARM at step 0 (traffic 10%)`. */
  readonly releases: readonly string[];
  /** Why the run is not as expected, when it is not. */
  readonly problem?: string;
}

function parseArgs(argv: readonly string[]): Options {
  let runs = 10;
  let scenario: string | undefined;
  let busy = availableParallelism();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--runs' || flag === '--scenario' || flag === '--busy') {
      if (value === undefined) throw new Error(`${flag} needs a value`);
      i++;
      if (flag === '--scenario') scenario = value;
      else {
        const n = Number(value);
        if (!Number.isInteger(n) || n < (flag === '--runs' ? 1 : 0)) throw new Error(`${flag} takes a whole number, not ${value}`);
        if (flag === '--runs') runs = n;
        else busy = n;
      }
    } else {
      throw new Error(`unknown argument ${String(flag)}; usage: npm run bench:contention -- [--runs N] [--scenario NAME[,NAME]|all] [--busy N]`);
    }
  }
  return { runs, scenario, busy };
}

/**
 * One process spinning on a core. It checks now and then that its parent is
 * still there and exits once it is not, so even a bench killed with SIGKILL
 * leaves no spinner behind.
 */
function startBusyLoop(): ChildProcess {
  const spin = `const parent = ${String(process.pid)}; for (let i = 1; ; i++) if (i % 50000000 === 0 && process.ppid !== parent) process.exit(0);`;
  return spawn(process.execPath, ['-e', spin], { stdio: 'ignore' });
}

function runDemo(run: number, scenario: string | undefined): Promise<RunResult> {
  const args = ['--import', 'tsx', 'local/demo.ts', '--json', ...(scenario === undefined ? [] : ['--scenario', scenario])];
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // SIGINT is the demo's Ctrl-C: it stops its DynamoDB Local and servers before it exits.
    const timer = setTimeout(() => child.kill('SIGINT'), RUN_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      running.delete(child);
      const wallMs = Math.round(performance.now() - started);
      let summary: DemoSummary;
      try {
        summary = JSON.parse(stdout) as DemoSummary;
      } catch {
        const tail = stderr.trim().split('\n').slice(-5).join(' | ');
        resolve({ run, asExpected: false, wallMs, exitCode: code, releases: [], problem: `no JSON summary (exit ${String(code)}): ${tail}` });
        return;
      }
      const releases = summary.releases.map(
        (r) => `${r.scenario} ${r.version} ${r.status ?? '?'}/${r.outcome ?? '?'}${r.asExpected ? '' : ' (NOT as expected)'}: ${r.reason ?? ''}`,
      );
      const asExpected = summary.asExpected && code === 0;
      const problem = asExpected
        ? undefined
        : summary.releases.some((r) => !r.asExpected)
          ? releases.filter((line) => line.includes('NOT as expected')).join('; ')
          : `exit ${String(code)}: ${stderr.trim().split('\n').filter((line) => /fail|error/i.test(line)).slice(-3).join(' | ')}`;
      resolve({ run, asExpected, wallMs, exitCode: code, releases, ...(problem === undefined ? {} : { problem }) });
    });
  });
}

/** Demo runs in progress (stopped with SIGINT, the demo's Ctrl-C) and busy loops (killed). */
const running = new Set<ChildProcess>();
const spinners = new Set<ChildProcess>();

function stopAll(): void {
  for (const child of running) child.kill('SIGINT');
  for (const spinner of spinners) spinner.kill('SIGKILL');
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? Number.NaN) : Math.round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2);
}

/** Merges this scenario's figures under `contention` in bench/results.json, keeping everything else. */
async function writeResults(scenario: string, figures: unknown): Promise<void> {
  let results: Record<string, unknown> = {};
  try {
    results = JSON.parse(await readFile(RESULTS, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const contention = typeof results.contention === 'object' && results.contention !== null ? (results.contention as Record<string, unknown>) : {};
  results.contention = { ...contention, [scenario]: figures };
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
}

async function main(): Promise<boolean> {
  const options = parseArgs(process.argv.slice(2));
  const label = options.scenario ?? 'default';
  const onSignal = (signal: NodeJS.Signals) => {
    console.error(`${signal}: stopping the busy loops and the demo run`);
    stopAll();
    process.exitCode = 130;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Whatever ends this process, the spinners go with it.
  process.once('exit', stopAll);

  for (let i = 0; i < options.busy; i++) spinners.add(startBusyLoop());
  console.log(`demo under contention: ${String(options.busy)} busy-loop processes on ${String(availableParallelism())} cores, ${String(options.runs)} runs of \`local/demo.ts --json${options.scenario === undefined ? '' : ` --scenario ${options.scenario}`}\``);
  const results: RunResult[] = [];
  try {
    for (let run = 1; run <= options.runs && process.exitCode !== 130; run++) {
      const result = await runDemo(run, options.scenario);
      results.push(result);
      console.log(`  run ${String(run).padStart(2)}/${String(options.runs)}  ${result.asExpected ? 'as expected    ' : 'NOT as expected'}  ${(result.wallMs / 1000).toFixed(1).padStart(6)} s  ${result.releases.join('; ')}`);
      // A release that ended otherwise is on the line already; say why when there was no summary to read.
      if (result.problem !== undefined && result.releases.length === 0) console.log(`           ${result.problem}`);
    }
  } finally {
    for (const spinner of spinners) spinner.kill('SIGKILL');
    spinners.clear();
  }
  if (results.length === 0) return false;
  const asExpected = results.filter((r) => r.asExpected).length;
  const durations = results.map((r) => r.wallMs);
  console.log(`${String(asExpected)}/${String(results.length)} runs ended with every release as its scenario expects; wall time per run median ${(median(durations) / 1000).toFixed(1)} s (${(Math.min(...durations) / 1000).toFixed(1)}-${(Math.max(...durations) / 1000).toFixed(1)} s)`);
  if (process.exitCode === 130) return false;
  await writeResults(label, {
    scenario: label,
    busyLoops: options.busy,
    cores: availableParallelism(),
    runs: results.length,
    asExpected,
    medianDurationMs: median(durations),
    durationsMs: durations,
    failures: results.filter((r) => !r.asExpected).map(({ run, exitCode, releases, problem }) => ({ run, exitCode, releases, problem })),
    at: new Date().toISOString(),
  });
  console.log(`wrote contention.${label} in ${RESULTS}`);
  return asExpected === results.length;
}

await main().then(
  (allAsExpected) => {
    if (process.exitCode === undefined) process.exitCode = allAsExpected ? 0 : 1;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    stopAll();
    process.exitCode = 2;
  },
);
