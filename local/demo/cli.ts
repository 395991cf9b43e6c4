/**
 * `npm start` arguments. A mistake names the flag and what it accepts, and
 * the demo exits 2 (usage error) without starting anything.
 */
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

export const SCENARIO_CHOICES = [...SCENARIO_NAMES, 'all'] as const;
export type ScenarioChoice = (typeof SCENARIO_CHOICES)[number];

export interface DemoOptions {
  /** Which releases to run; undefined: the default run (good, then bad). */
  readonly scenarios: readonly ScenarioName[];
  /** The summary as one JSON document on stdout; progress goes to stderr. */
  readonly json: boolean;
  /** Approvals wait for a click on the printed link instead of being approved automatically. */
  readonly interactive: boolean;
  readonly help: boolean;
}

export const USAGE = `usage: npm start -- [--scenario <${SCENARIO_CHOICES.join('|')}>] [--json] [--interactive]

  --scenario <name>  which release(s) to run; without it: good, then bad
                     good             v2, healthy: canary steps, approval, promoted
                     bad              v3 answers 5xx on 20% of requests: its alarm rolls it back
                     crash            v4 crashes on start: the health gate fails it
                     migration-fails  v5's migration exits 3: nothing is deployed
                     reject           v6 is healthy but the approver rejects it
                     all              every one of them, in that order
  --json             the summary as one JSON document on stdout (progress on stderr)
  --interactive      approvals wait for your click on the printed approval link
                     (without it, the approver answers automatically over the same endpoint)
  --help             this text`;

/** A bad command line; the message names the flag and the allowed values. */
export class UsageError extends Error {
  public override readonly name = 'UsageError';
}

export function parseDemoArgs(argv: readonly string[]): DemoOptions {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /Unknown option '([^']+)'/.exec(message)?.[1];
    if (unknown !== undefined) throw new UsageError(`unknown option ${unknown}; allowed: --scenario <${SCENARIO_CHOICES.join('|')}>, --json, --interactive, --help`);
    if (message.includes("'--scenario")) throw new UsageError(`--scenario needs a value: one of ${SCENARIO_CHOICES.join(', ')}`);
    if (/Unexpected argument '([^']+)'/.test(message)) throw new UsageError(`${message.replace(/\. This command does not take positional arguments$/, '')}; options start with --, e.g. --scenario bad`);
    throw new UsageError(message);
  }
  const { values } = parsed;
  const scenario = values.scenario;
  if (scenario !== undefined && !isChoice(scenario)) {
    throw new UsageError(`--scenario must be one of ${SCENARIO_CHOICES.join(', ')}; got "${scenario}"`);
  }
  const scenarios: readonly ScenarioName[] = scenario === undefined ? ['good', 'bad'] : scenario === 'all' ? SCENARIO_NAMES : [scenario];
  return { scenarios, json: values.json === true, interactive: values.interactive === true, help: values.help === true };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string' },
      json: { type: 'boolean' },
      interactive: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function isChoice(value: string): value is ScenarioChoice {
  return (SCENARIO_CHOICES as readonly string[]).includes(value);
}
