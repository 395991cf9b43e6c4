/**
 * The command line, on commander 14 (subcommands, their arguments and
 * options, and `--help` for each, from one declaration; typed, maintained,
 * and the argument library most Node CLIs use). Every commander-specific
 * line of the CLI is in this file: commander's usage reports are thrown
 * (`exitOverride`) and turned into `UsageError`s naming the flag (exit
 * status 2); its own error text is not printed.
 */
import { Command, CommanderError } from 'commander';
import { localCommand, onboardCommand, validateCommand } from './delegated.js';
import { abort, decide, lock, promote, rollback, whoami } from './control.js';
import { UsageError, type Context, type Outcome } from './context.js';
import { get, history, release, status } from './releases.js';
import { versions } from './versions.js';
import { watch } from './watch.js';

/** Options that apply to every command. */
export interface GlobalOptions {
  readonly json: boolean;
  readonly local: boolean;
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
}

/** What the command line asked for: the command to run, with the global options; or help, already printed. */
export type Invocation =
  | { readonly globals: GlobalOptions; readonly run: (ctx: Context) => Promise<Outcome> }
  | { readonly help: true };

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

/** Commander's report of a bad command line as a UsageError naming the flag, argument or command. */
function usageErrorOf(error: CommanderError, where: string): UsageError {
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  const see = `(see ${where} --help)`;
  switch (error.code) {
    case 'commander.unknownOption':
      return new UsageError(`${where}: unknown option ${quoted ?? ''} ${see}`, quoted);
    case 'commander.missingArgument':
      return new UsageError(`${where}: missing argument <${quoted ?? ''}> ${see}`, `<${quoted ?? ''}>`);
    case 'commander.optionMissingArgument': {
      const flag = /--[\w-]+/.exec(quoted ?? error.message)?.[0];
      return new UsageError(`${where}: ${flag ?? 'an option'} needs a value ${see}`, flag);
    }
    case 'commander.unknownCommand':
      return new UsageError(`rollgate: unknown command ${JSON.stringify(quoted ?? '')} (see rollgate --help)`, quoted);
    default:
      return new UsageError(`${where}: ${error.message.replace(/^error: /, '')} ${see}`);
  }
}

/**
 * Throws commander's reports instead of exiting, prints no error text of its
 * own, and adds the global options to its help. Excess arguments are refused
 * by the action (naming the first one), which commander's own report does not.
 */
function strict(cmd: Command): Command {
  return cmd
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, outputError: () => undefined })
    .allowExcessArguments(true)
    .addHelpText('after', GLOBAL_HELP);
}

/** Parses `argv` (without node and the script); undefined when no command was named. */
export function parse(argv: readonly string[]): Invocation | undefined {
  const program = strict(new Command('rollgate'));
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
    const cmd = strict(program.command(spec)).description(summary);
    cmd.action(() => {
      const extra = cmd.args[cmd.registeredArguments.length];
      if (extra !== undefined) throw new UsageError(`rollgate ${cmd.name()}: unexpected argument ${JSON.stringify(extra)} (see rollgate ${cmd.name()} --help)`, extra);
      picked = handler(
        cmd.processedArgs.map((a: unknown) => (typeof a === 'string' ? a : '')),
        cmd.opts(),
      );
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

  command('promote <service>', 'Skip the rest of the active release\'s current bake (--full: every remaining step)', (a, v) => (ctx) =>
    promote(ctx, { service: arg(a, 0), environment: str(v, 'env') ?? 'prod', full: v.full === true, reason: str(v, 'reason') }),
  )
    .option('--env <environment>', ENV_HELP, 'prod')
    .option('--full', 'promote fully: approve the pending approval and skip every remaining step (you must be allowed to approve each one)')
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

  command('versions <service>', 'What ran, where, when: each version of a service, its environments, releases, last outcome, where it is stable', (a, v) => (ctx) => {
    const environment = str(v, 'env');
    const limit = str(v, 'limit');
    const cursor = str(v, 'cursor');
    return versions(ctx, { service: arg(a, 0), ...(environment === undefined ? {} : { environment }), ...(limit === undefined ? {} : { limit }), ...(cursor === undefined ? {} : { cursor }) });
  })
    .option('--env <environment>', 'one environment (default: every environment of the service)')
    .option('--limit <n>', 'versions per page (1-100, default 20)')
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
  program.command(localCommand.spec).description(localCommand.summary);

  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // --help asked for: printed, done. Help shown for want of a command is a usage error.
    if (error.code === 'commander.helpDisplayed') return { help: true };
    if (error.code === 'commander.help') throw new UsageError('rollgate: name a command (see rollgate --help)');
    const named = program.commands.find((c) => argv.includes(c.name()))?.name();
    throw usageErrorOf(error, named === undefined ? 'rollgate' : `rollgate ${named}`);
  }
  if (picked === undefined) return undefined;
  const g = program.opts();
  return {
    globals: { json: g.json === true, local: g.local === true, endpoint: str(g, 'endpoint'), region: str(g, 'region'), profile: str(g, 'profile') },
    run: picked,
  };
}

