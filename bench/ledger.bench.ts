/**
 * Figures for the release ledger on DynamoDB Local (part of `npm run bench`,
 * bench/run.ts). These are measurements, not pass/fail thresholds; DynamoDB
 * Local is slower than DynamoDB, so compare runs with each other, not with
 * production. Run as a script, this file runs the whole bench.
 */
import '../local/node-compat.js';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ledgerDocumentClient } from '../functions/ledger/client.js';
import { DynamoDbLedger } from '../functions/ledger/dynamodb-ledger.js';
import type { DynamoDbLocal } from '../local/dynamodb-local.js';
import { createLedgerTable, localDynamoClient } from '../local/ledger-table.js';

const trigger = { source: 'bench' };

function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const result = await work();
  return [result, performance.now() - start];
}

/** The ledger figures, printed; `startupMs` is how long DynamoDB Local took to answer. */
export async function benchLedger(dynamo: DynamoDbLocal, startupMs: number) {
  const client = localDynamoClient(dynamo.endpoint);
  await createLedgerTable(client, 'bench-ledger');
  const ledger = new DynamoDbLedger({ client: ledgerDocumentClient(client), tableName: 'bench-ledger' });

  // A release's ledger writes: start (takes the lock), three transitions, finish (releases it).
  const lifecycles: number[] = [];
  for (let i = 0; i < 50; i++) {
    const [, ms] = await timed(async () => {
      let release = await ledger.startRelease({ service: 'lifecycle', environment: 'bench', version: `v${i}`, trigger });
      for (const to of ['DEPLOYING', 'SHIFTING', 'FINALIZING'] as const) {
        release = await ledger.transition({ ...release, from: release.status, to });
      }
      await ledger.finishRelease({ ...release, from: 'FINALIZING', status: 'SUCCEEDED', outcome: 'PROMOTED', reason: 'bench' });
    });
    lifecycles.push(ms);
  }

  // 20 concurrent starts for one service: how long until every caller has its answer.
  const contention: number[] = [];
  for (let round = 0; round < 10; round++) {
    const [results, ms] = await timed(() =>
      Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          ledger.startRelease({ service: `race-${round}`, environment: 'bench', version: `v${i}`, trigger }),
        ),
      ),
    );
    if (results.filter((r) => r.status === 'fulfilled').length !== 1) throw new Error('lock race did not have exactly one winner');
    contention.push(ms);
  }

  // Listing 250 releases in pages of 25.
  for (let i = 0; i < 250; i++) {
    const release = await ledger.startRelease({ service: 'history', environment: 'bench', version: `v${i}`, trigger });
    await ledger.finishRelease({ ...release, from: 'PENDING', status: 'FAILED', outcome: 'BENCH', reason: 'bench' });
  }
  const [listed, listMs] = await timed(async () => {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await ledger.listReleases({ service: 'history', environment: 'bench', ...(cursor === undefined ? {} : { cursor }) });
      count += page.items.length;
      cursor = page.cursor;
    } while (cursor !== undefined);
    return count;
  });

  const results = {
    ledger: {
      dynamodbLocalStartupMs: round(startupMs),
      releaseLifecycleMs: { median: round(percentile(lifecycles, 50)), p99: round(percentile(lifecycles, 99)), runs: lifecycles.length },
      twentyConcurrentStartsMs: { median: round(percentile(contention, 50)), max: round(Math.max(...contention)), runs: contention.length },
      list250ReleasesMs: round(listMs),
      listedReleases: listed,
    },
  };
  console.log('ledger on DynamoDB Local');
  console.log(`  DynamoDB Local start-up          ${results.ledger.dynamodbLocalStartupMs} ms`);
  console.log(`  release lifecycle (5 writes)      median ${results.ledger.releaseLifecycleMs.median} ms, p99 ${results.ledger.releaseLifecycleMs.p99} ms`);
  console.log(`  20 concurrent starts, 1 winner   median ${results.ledger.twentyConcurrentStartsMs.median} ms, max ${results.ledger.twentyConcurrentStartsMs.max} ms`);
  console.log(`  list 250 releases (pages of 25)  ${results.ledger.list250ReleasesMs} ms for ${listed}`);
  return results.ledger;
}

// `npm run bench` may still point here: run the whole bench.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) void import('./run.js');
