/**
 * `npm run bench`: the ledger, release and Lambda bundle figures, printed and
 * written to bench/results.json. Measurements, not pass/fail thresholds: on
 * DynamoDB Local and one machine, compare runs with each other, not with
 * production. The whole bench takes a couple of minutes.
 */
import '../local/node-compat.js';
import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { installSignalCleanup, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { benchBundles, bundleLines } from './bundles.bench.js';
import { benchLedger } from './ledger.bench.js';
import { benchReleases } from './release.bench.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  installSignalCleanup();
  const started = performance.now();
  const dynamo = await startDynamoDbLocal();
  const startupMs = performance.now() - started;
  try {
    const ledger = await benchLedger(dynamo, startupMs);

    const releases = await benchReleases(dynamo.endpoint);
    const { standardRelease: std, concurrentReleases: many, alarmToTrafficRestoredMs: alarm, badReleaseFailedRequests: bad } = releases;
    const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    const percentile = (values: readonly number[], p: number) => [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)] ?? Number.NaN;
    console.log('releases on the local runtime (real ASL and steps, DynamoDB Local)');
    console.log(`  state transitions, standard release (3 traffic steps, 1 approval)  ${String(std.stateTransitions)} (${String(std.stateTransitionsBakesAtZero)} with bakes at zero)`);
    console.log(`  wall time per release, bakes at zero       median ${String(std.wallMsBakesAtZero.median)} ms, p99 ${String(std.wallMsBakesAtZero.p99)} ms (${String(std.wallMsBakesAtZero.runs)} runs)`);
    console.log(`  ${String(many.services)} concurrent releases of ${String(many.services)} services  ${many.allSucceeded ? 'all correct' : `only ${String(many.succeeded)} correct`}, ${String(many.totalWallMs)} ms in all`);
    console.log(`  alarm to traffic restored                  median ${String(alarm.median)} ms, p99 ${String(alarm.p99)} ms (${String(alarm.runs)} runs)`);
    const spread = (values: readonly number[]) =>
      `${String(sum(values))} (per run median ${String(percentile(values, 50))}, ${String(Math.min(...values))}-${String(Math.max(...values))})`;
    console.log(
      `  bad version (5xx on 20%), ${String(bad.requestsPerSecond)} req/s, ${String(bad.runsPerPlan)} runs per plan: failed requests ` +
        `canary plan ${spread(bad.canaryPlan.failed)}, all at once ${spread(bad.allAtOncePlan.failed)}, ratio ${String(bad.canaryToAllAtOnceRatio)}`,
    );

    const { bundles, alarmColdImport } = await benchBundles();
    for (const line of bundleLines({ bundles, alarmColdImport })) console.log(line);

    const out = fileURLToPath(new URL('results.json', import.meta.url));
    // `npm run bench:contention` keeps its figures in the same file: they stay.
    const previous = await readFile(out, 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => ({}));
    const results = { ...previous, ledger, releases, bundles, alarmColdImport, totalBenchMs: Math.round(performance.now() - started) };
    await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`wrote ${out} (${(results.totalBenchMs / 1000).toFixed(0)} s)`);
    if (!many.allSucceeded) process.exitCode = 1;
  } finally {
    await dynamo.stop();
  }
}

await main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exitCode = 1;
});
