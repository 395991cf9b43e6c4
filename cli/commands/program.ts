/**
 * The command line, on commander (subcommands, their arguments and options,
 * and `--help` for each, from one declaration). Every commander-specific
 * line of the CLI is in this file.
 *
 * commander is at 3.0.2 here, the version already in the dependency tree:
 * it reports a usage error by printing and exiting 1, so this file turns
 * those reports into `UsageError`s (exit status 2, the flag named) instead.
 * Moving to a current major (`exitOverride()`, `requiredOption()`) changes
 * this file only.
 */
import type { EventEmitter } from 'node:events';
import { Command } from 'commander';
import { validateCommand, onboardCommand } from './delegated.js';
import { abort, decide, lock, promote, rollback, whoami } from './control.js';
import { UsageError, type Context, type Outcome } from './context.js';
import { get, history, release, status } from './releases.js';
import { watch } from './watch.js';

/** Options that apply to every command. */
export interface GlobalOptions {
  readonly json: boolean;
  readonly local: boolean;
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
}

/** What the command line asked for: the command to run, with the global options. */
export interface Invocation {
  readonly globals: GlobalOptions;
  readonly run: (ctx: Context) => Promise<Outcome>;
}

const GLOBAL_HELP = `
Global options (before or after the command):
  --json               print exactly one JSON document on stdout (errors too: {"error": {name, message, field}})
  --local              talk to the local control server (npm start -- --serve)
  --endpoint <url>     the control API (the stack's ControlApiEndpoint output; default: $ROLLGATE_ENDPOINT)
  --region <region>    its region (default: $AWS_REGION, or the one in the endpoint's host name)
  --profile <name>     the AWS profile to sign with (default: the usual AWS credential chain)

Exit status: 0 done, 1 refused (the API said no, or the release ended badly), 2 bad command line.
`;

const ENV_HELP = 'the environment';

type Values = Readonly<Record<string, string | boolean | undefined>>;

function str(values: Values, key: string): string | undefined {
  const value = values[key];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Makes commander's usage reports throw instead of exit. commander 3 calls
 * these methods on the command being parsed, and creates subcommands with
 * its own constructor, so each command gets them.
 */
function strict(cmd: Command, name: string): Command {
  const where = name === '' ? 'rollgate' : `rollgate ${name}`;
  cmd.unknownOption = (flag: string) => {
    throw new UsageError(`${where}: unknown option ${flag} (see ${where} --help)`, flag);
  };
  cmd.missingArgument = (arg: string) => {
    throw new UsageError(`${where}: missing argument <${arg}> (see ${where} --help)`, `<${arg}>`);
  };
  cmd.optionMissingArgument = (option: { long: string }) => {
    throw new UsageError(`${where}: ${option.long} needs a value (see ${where} --help)`, option.long);
  };
  events(cmd).on('--help', () => process.stdout.write(GLOBAL_HELP));
  return cmd;
}

/** How commander 3 describes a declared option. */
interface DeclaredOption {
  readonly long: string;
  readonly short?: string;
  readonly required: boolean;
  readonly optional: boolean;
}

/**
 * The positional arguments of a command line: those commander already took
 * apart, and those among the tokens it left for the command that are not
 * options or their values.
 */
function positionals(cmd: Command, args: unknown, unknown: unknown): string[] {
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : []);
  const declared = (cmd.options as DeclaredOption[] | undefined) ?? [];
  const found = strings(args);
  const rest = strings(unknown);
  for (let i = 0; i < rest.length; i += 1) {
    const token = rest[i] ?? '';
    if (token === '--') {
      found.push(...rest.slice(i + 1));
      break;
    }
    if (!token.startsWith('-')) {
      found.push(token);
      continue;
    }
    const option = declared.find((o) => o.long === token.split('=')[0] || o.short === token);
    if (option !== undefined && (option.required || option.optional) && !token.includes('=')) i += 1;
  }
  return found;
}

/** A command as the event emitter it is (commander 3's typings lose its base class). */
function events(cmd: Command): EventEmitter {
  return cmd as unknown as EventEmitter;
}

/** The options commander stored for a command. */
function valuesOf(cmd: Command): Values {
  return cmd.opts();
}

/** Parses `argv` (without node and the script); undefined when no command was named. */
export function parse(argv: readonly string[]): Invocation | undefined {
  const program = strict(new Command('rollgate'), '');
  program
    .usage('<command> [options]')
    .description('Operate rollgate releases through the control API (AWS, or the local stack with --local).')
    .option('--json', 'one JSON document on stdout')
    .option('--local', 'use the local control server')
    .option('--endpoint <url>', 'the control API endpoint')
    .option('--region <region>', 'the API region')
    .option('--profile <name>', 'the AWS profile');

  let picked: ((ctx: Context) => Promise<Outcome>) | undefined;
  /** Declares a command; `handler` gets its positional arguments and options. */
  const command = (spec: string, summary: string, handler: (args: readonly string[], values: Values) => (ctx: Context) => Promise<Outcome>): Command => {
    const name = spec.split(' ')[0] ?? spec;
    const declared = (spec.match(/<[^>]+>|\[[^\]]+\]/g) ?? []).length;
    const cmd = strict(program.command(spec), name).description(summary);
    // commander 3 drops one extra positional argument (it puts itself in its place): count them first.
    events(program).on(`command:${name}`, (args: unknown, unknown: unknown) => {
      const extra = positionals(cmd, args, unknown).slice(declared)[0];
      if (extra !== undefined) throw new UsageError(`rollgate ${name}: unexpected argument ${JSON.stringify(extra)} (see rollgate ${name} --help)`, extra);
    });
    cmd.action((...all: unknown[]) => {
      const args = all.slice(0, declared).map((a) => (typeof a === 'string' ? a : ''));
      picked = handler(args, valuesOf(cmd));
    });
    return cmd;
  };
  const arg = (args: readonly string[], i: number): string => args[i] ?? '';
  const optional = (args: readonly string[], i: number): string | undefined => (args[i] === '' ? undefined : args[i]);

  command('release <service> <version>', 'Start a release of a version', (a, v) => (ctx) =>
    release(ctx, {
      service: arg(a, 0),
      version: arg(a, 1),
      environment: str(v, 'env') ?? 'prod',
      planFile: str(v, 'planFile'),
      expedite: v.expedite === true,
      reason: str(v, 'reason'),
      commit: str(v, 'commit'),
    }),
  )
    .option('--env <environment>', ENV_HELP, 'prod')
    .option('--plan-file <file>', "a plan for this release (JSON); its approvals must keep the configured ones")
    .option('--expedite', 'use the expedited plan the configuration names')
    .option('--reason <text>', 'why (goes in the audit log)')
    .option('--commit <sha>', 'the commit this version was built from');

  command('status <service>', 'Stable version, active release (step, weights, bake, alarms, approval) and lock', (a, v) => (ctx) =>
    status(ctx, { service: arg(a, 0), environment: str(v, 'env') ?? 'prod' }),
  ).option('--env <environment>', ENV_HELP, 'prod');

  command('get <release-id>', 'One release with its events', (a, v) => (ctx) => {
    const service = str(v, 'service');
    if (service === undefined) throw new UsageError('rollgate get: --service is required: releases live under their service', '--service');
    return get(ctx, { releaseId: arg(a, 0), service, environment: str(v, 'env') ?? 'prod' });
  })
    .option('--service <service>', 'the service the release belongs to')
    .option('--env <environment>', ENV_HELP, 'prod');

  command('watch <subject>', 'Follow a release (a service\'s active one, or a release id) until it ends; exit 0 if it succeeded', (a, v) => (ctx) =>
    watch(ctx, { subject: arg(a, 0), service: str(v, 'service'), environment: str(v, 'env') ?? 'prod', interval: str(v, 'interval') }),
  )
    .option('--env <environment>', ENV_HELP, 'prod')
    .option('--service <service>', "the release's service, when watching a release id")
    .option('--interval <seconds>', 'time between polls', '2');

  command('promote <service>', 'Skip the rest of the active release\'s current bake', (a, v) => (ctx) =>
    promote(ctx, { service: arg(a, 0), environment: str(v, 'env') ?? 'prod', reason: str(v, 'reason') }),
  )
    .option('--env <environment>', ENV_HELP, 'prod')
    .option('--reason <text>', 'why (goes in the audit log)');

  command('abort <service>', 'Abort the active release: traffic back to stable, new fleet removed', (a, v) => (ctx) =>
    abort(ctx, { service: arg(a, 0), environment: str(v, 'env') ?? 'prod', reason: str(v, 'reason') }),
  )
    .option('--env <environment>', ENV_HELP, 'prod')
    .option('--reason <text>', 'why (required; goes in the audit log)');

  for (const outcome of ['approve', 'reject'] as const) {
    command(`${outcome} <approval-id>`, outcome === 'approve' ? 'Approve a pending approval (approval policy and four-eyes apply)' : 'Reject a pending approval: the release rolls back', (a, v) => (ctx) =>
      decide(ctx, outcome, { approvalId: arg(a, 0), comment: str(v, 'comment') }),
    ).option('--comment <text>', 'a comment for the audit log');
  }

  command('rollback <service>', 'Traffic back to the previous fleet while it is warm, else release the previous version (or --to)', (a, v) => (ctx) =>
    rollback(ctx, { service: arg(a, 0), environment: str(v, 'env') ?? 'prod', to: str(v, 'to'), reason: str(v, 'reason') }),
  )
    .option('--env <environment>', ENV_HELP, 'prod')
    .option('--to <version>', 'release this earlier version with the expedited rollback plan')
    .option('--reason <text>', 'why (required; goes in the audit log)');

  command('history [service]', 'Releases of a service (or of every service), newest first', (a, v) => (ctx) =>
    history(ctx, { service: optional(a, 0), environment: str(v, 'env') ?? 'prod', limit: str(v, 'limit'), cursor: str(v, 'cursor') }),
  )
    .option('--env <environment>', ENV_HELP, 'prod')
    .option('--limit <n>', 'releases per page (1-100, default 20)')
    .option('--cursor <cursor>', 'the page after the one that printed it');

  command('lock <service>', 'Who holds the lock; --take-over frees one whose holder is dead', (a, v) => (ctx) =>
    lock(ctx, { service: arg(a, 0), environment: str(v, 'env') ?? 'prod', takeOver: v.takeOver === true, reason: str(v, 'reason') }),
  )
    .option('--env <environment>', ENV_HELP, 'prod')
    .option('--take-over', 'free the lock (its release\'s execution must have ended)')
    .option('--reason <text>', 'why (required with --take-over)');

  command('whoami', 'The identity the control API verified for you', () => (ctx) => whoami(ctx));

  // Listed for --help; run by cli/rollgate.ts before commander sees their arguments.
  program.command(validateCommand.spec).description(validateCommand.summary);
  program.command(onboardCommand.spec).description(onboardCommand.summary);

  events(program).on('command:*', (operands: unknown) => {
    const name = Array.isArray(operands) && typeof operands[0] === 'string' ? operands[0] : '';
    throw new UsageError(`rollgate: unknown command ${JSON.stringify(name)} (see rollgate --help)`, name);
  });

  program.parse(['node', 'rollgate', ...argv]);
  if (picked === undefined) return undefined;
  const g = valuesOf(program);
  return {
    globals: { json: g.json === true, local: g.local === true, endpoint: str(g, 'endpoint'), region: str(g, 'region'), profile: str(g, 'profile') },
    run: picked,
  };
}

