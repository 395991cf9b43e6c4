/**
 * The batch runner of the randomized race suites: seeded rounds, a few at a
 * time on one machine, in tests of `perTest` rounds so a failure names its
 * seeds and no test runs for too long; every broken invariant of every round
 * is reported, and a full batch must have seen several kinds of outcome (the
 * rounds are not all alike).
 */
import { expect, it } from 'vitest';

/** What one round ended as and which invariants it broke. */
export interface RoundResult {
  /** e.g. `SUCCEEDED`, `FAILED:RolledBack`, with a phase where the suite has one: what the outcome counts group by. */
  readonly kind: string;
  /** How the execution ended, for the failure message. */
  readonly ended: string;
  readonly broken: readonly string[];
}

export interface RaceRounds<R> {
  readonly rounds: number;
  readonly firstSeed: number;
  /** Rounds run at once. */
  readonly parallel: number;
  readonly perTest: number;
  /** Kinds of outcome a full batch must have seen. */
  readonly minKinds: number;
  roundOf(seed: number): R;
  describe(round: R): string;
  run(round: R): Promise<RoundResult>;
}

/** Declares one `it` per batch of rounds; call inside a `describe`. */
export function raceBatches<R>(suite: RaceRounds<R>): void {
  const batches = Math.ceil(suite.rounds / suite.perTest);
  for (let batch = 0; batch < batches; batch++) {
    const first = batch * suite.perTest;
    const seeds = Array.from({ length: Math.min(suite.perTest, suite.rounds - first) }, (_, i) => suite.firstSeed + first + i);
    it(`rounds ${String(first + 1)}-${String(first + seeds.length)} keep every invariant`, async () => {
      const failures: string[] = [];
      const kinds = new Map<string, number>();
      for (let i = 0; i < seeds.length; i += suite.parallel) {
        const rounds = seeds.slice(i, i + suite.parallel).map((seed) => suite.roundOf(seed));
        const results = await Promise.all(rounds.map((round) => suite.run(round)));
        rounds.forEach((round, j) => {
          const { kind = 'unknown', ended = 'unknown', broken = [] } = results[j] ?? {};
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          if (broken.length > 0) failures.push(`${suite.describe(round)} (ended ${ended})\n  - ${broken.join('\n  - ')}`);
        });
      }
      expect(failures, failures.join('\n')).toEqual([]);
      if (seeds.length >= suite.perTest) expect(kinds.size, JSON.stringify([...kinds])).toBeGreaterThanOrEqual(suite.minKinds);
    }, 300_000);
  }
}
