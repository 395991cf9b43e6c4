/**
 * `npm start` arguments. A mistake names the flag and what it accepts, and
 * the demo exits 2 (usage error) without starting anything.
 */
import { parseArgs } from 'node:util';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios.js';

export const SCENARIO_CHOICES = [...SCENARIO_NAMES, 'all'] as const;
export type ScenarioChoice = (typeof SCENARIO_CHOICES)[number];

/** Past this the demo stops by itself, as if interrupted; `--time-limit` changes it. */
export const DEFAULT_TIME_LIMIT_SECONDS = 150;
/** With `--interactive` a person reads and clicks: more time by default. */
export const DEFAULT_INTERACTIVE_TIME_LIMIT_SECONDS = 900;
const MAX_TIME_LIMIT_SECONDS = 3_600;

export interface DemoOptions {
  /** Which releases to run, in order (default: good, then bad). */
  readonly scenarios: readonly ScenarioName[];
  /** The demo stops by itself after this long, printing what ran so far. */
  readonly timeLimitSeconds: number;
  /** The summary as one JSON document on stdout; progress goes to stderr. */
  readonly json: boolean;
  /** Approvals wait for a click on the printed link instead of being approved automatically. */
  readonly interactive: boolean;
  /** Keep the local stack running for the `rollgate` CLI instead of running scenarios (local/serve.ts). */
  readonly serve: boolean;
  /** With --serve: where the ledger is kept on disk. */
  readonly dataDir?: string;
  readonly help: boolean;
}

export const USAGE = `usage: npm start -- [--scenario <name>[,<name>...]] [--json] [--interactive] [--time-limit <seconds>]
       npm start -- --serve [--data-dir <dir>]

  --scenario <names> which releases to run, in order, as a comma-separated list
                     (or the flag repeated); without it: good,bad
                     good             v2, healthy: canary steps, approval, promoted
                     bad              v3 answers 5xx on 20% of requests: its alarm rolls it back
                     crash            v4 crashes on start: the health gate fails it
                     migration-fails  v5's migration exits 3: nothing is deployed
                     reject           v6 is healthy but the approver rejects it
                     all              every one of them, in that order
  --json             the summary as one JSON document on stdout (progress on stderr);
                     through npm, silence npm's own banner: npm start --silent -- --json | jq .
  --interactive      approvals wait for your click on the printed approval link
                     (without it, the approver answers automatically over the same endpoint)
  --time-limit <s>   stop after this many seconds, printing what ran so far
                     (default ${String(DEFAULT_TIME_LIMIT_SECONDS)}, with --interactive ${String(DEFAULT_INTERACTIVE_TIME_LIMIT_SECONDS)}; at most ${String(MAX_TIME_LIMIT_SECONDS)})
  --serve            keep the local stack running until Ctrl-C, for the rollgate CLI
                     (npx rollgate --local ...): ledger on disk, control API on loopback
  --data-dir <dir>   with --serve, where the ledger is kept (default ~/.local/state/rollgate/ledger)
  --help             this text

Ctrl-C stops the demo at any point and prints the summary of what ran so far.`;

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
    if (unknown !== undefined) throw new UsageError(`unknown option ${unknown}; allowed: --scenario <${SCENARIO_CHOICES.join('|')}>[,...], --json, --interactive, --time-limit <seconds>, --serve, --data-dir <dir>, --help`);
    if (message.includes("'--scenario")) throw new UsageError(`--scenario needs a value: one or more of ${SCENARIO_CHOICES.join(', ')}, separated by commas`);
    if (message.includes("'--time-limit")) throw new UsageError('--time-limit needs a value: a number of seconds');
    if (message.includes("'--data-dir")) throw new UsageError('--data-dir needs a value: a directory');
    if (/Unexpected argument '([^']+)'/.test(message)) throw new UsageError(`${message.replace(/\. This command does not take positional arguments$/, '')}; options start with --, e.g. --scenario bad`);
    throw new UsageError(message);
  }
  const { values } = parsed;
  const interactive = values.interactive === true;
  const serve = values.serve === true;
  if (serve) {
    const clash = (['scenario', 'time-limit', 'json', 'interactive'] as const).find((name) => values[name] !== undefined);
    if (clash !== undefined) throw new UsageError(`--serve runs no scenario and takes no --${clash}; drive it with npx rollgate --local ...`);
  } else if (values['data-dir'] !== undefined) {
    throw new UsageError('--data-dir goes with --serve (the demo keeps its ledger in memory)');
  }
  return {
    scenarios: values.scenario === undefined ? ['good', 'bad'] : parseScenarios(values.scenario),
    timeLimitSeconds:
      values['time-limit'] === undefined ? (interactive ? DEFAULT_INTERACTIVE_TIME_LIMIT_SECONDS : DEFAULT_TIME_LIMIT_SECONDS) : parseTimeLimit(values['time-limit']),
    json: values.json === true,
    interactive,
    serve,
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    help: values.help === true,
  };
}

/** `good,bad`, or the flag repeated; `all` is every scenario. Each release runs once: a version is released at most once. */
function parseScenarios(values: readonly string[]): ScenarioName[] {
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim());
  const scenarios: ScenarioName[] = [];
  for (const name of names) {
    if (!isChoice(name)) {
      throw new UsageError(`--scenario must be one or more of ${SCENARIO_CHOICES.join(', ')}, separated by commas; got "${name}"`);
    }
    for (const scenario of name === 'all' ? SCENARIO_NAMES : [name]) {
      if (scenarios.includes(scenario)) throw new UsageError(`--scenario names ${scenario} twice; each release runs once`);
      scenarios.push(scenario);
    }
  }
  return scenarios;
}

function parseTimeLimit(value: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(seconds) || seconds < 1 || seconds > MAX_TIME_LIMIT_SECONDS) {
    throw new UsageError(`--time-limit must be a whole number of seconds from 1 to ${String(MAX_TIME_LIMIT_SECONDS)}; got "${value}"`);
  }
  return seconds;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      scenario: { type: 'string', multiple: true },
      'time-limit': { type: 'string' },
      json: { type: 'boolean' },
      interactive: { type: 'boolean' },
      serve: { type: 'boolean' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

function isChoice(value: string): value is ScenarioChoice {
  return (SCENARIO_CHOICES as readonly string[]).includes(value);
}
