/**
 * `rollgate`: operate releases through the control API — start, watch,
 * promote, abort, approve or reject, roll back, look at history and locks —
 * on AWS (SigV4-signed, see cli/control-client.ts) or against the local
 * stack (`--local`). `rollgate --help` lists the commands, `rollgate <command>
 * --help` their options.
 *
 * Output: human text by default; with `--json`, exactly one JSON document on
 * stdout, errors included (`{"error": {name, message, field?}}`).
 * Exit status: 0 done, 1 refused (the API said no, or the release ended
 * badly), 2 bad command line (the message names the flag or argument).
 */
import '../local/node-compat.js';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ControlApiError } from './control-client.js';
import { UsageError, type Context, type Io } from './commands/context.js';
import { DELEGATED } from './commands/delegated.js';
import { parse, type GlobalOptions } from './commands/program.js';
import { clientFor } from './commands/target.js';
import type { ControlClient } from './control-client.js';

/** The API's body fields, as the flags and arguments that set them. */
const FLAG_OF: Readonly<Record<string, string>> = {
  version: '<version>',
  plan: '--plan-file',
  expedite: '--expedite',
  reason: '--reason',
  commit: '--commit',
  comment: '--comment',
  to: '--to',
  limit: '--limit',
  cursor: '--cursor',
  service: '<service>',
  environment: '--env',
  releaseId: '<release-id>',
  approvalId: '<approval-id>',
};

/** The JSON form of an error: its name, message, and the field (and flag) it is about. */
export function errorDocument(error: unknown): { error: { name: string; message: string; field?: string; flag?: string; status?: number } } {
  if (error instanceof ControlApiError) {
    const flag = error.field === undefined ? undefined : FLAG_OF[error.field.split('.')[0] ?? ''];
    return {
      error: {
        name: error.name,
        message: error.message,
        ...(error.field === undefined ? {} : { field: error.field }),
        ...(flag === undefined ? {} : { flag }),
        status: error.status,
      },
    };
  }
  if (error instanceof UsageError) return { error: { name: error.name, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } };
  if (error instanceof Error) return { error: { name: error.name, message: error.message } };
  return { error: { name: 'Error', message: String(error) } };
}

/** Runs the CLI on `argv` (without node and the script); resolves with the exit status. */
export async function run(argv: readonly string[], io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const delegated = DELEGATED.find((c) => c.name === argv[0]);
  if (delegated !== undefined) return delegated.run(argv.slice(1), io.out, io.err);
  // Known before parsing, so a usage error is reported in the form asked for.
  let json = argv.includes('--json');
  const report = (error: unknown): number => {
    const doc = errorDocument(error);
    if (json) io.out.write(`${JSON.stringify(doc, null, 2)}\n`);
    else {
      const { name, message, field, flag } = doc.error;
      const about = error instanceof ControlApiError && field !== undefined && !message.includes(field) ? ` (field ${field}${flag === undefined ? '' : `, ${flag}`})` : '';
      io.err.write(`${name}: ${message}${about}\n`);
    }
    return error instanceof UsageError ? 2 : 1;
  };
  try {
    const invocation = parse(argv);
    if (invocation === undefined) throw new UsageError('rollgate: name a command (see rollgate --help)');
    if ('help' in invocation) return 0;
    json = invocation.globals.json;
    const globals: GlobalOptions = invocation.globals;
    let client: Promise<ControlClient> | undefined;
    const ctx: Context = { client: () => (client ??= clientFor(globals, env)), json, io };
    const outcome = await invocation.run(ctx);
    io.out.write(json ? `${JSON.stringify(outcome.document, null, 2)}\n` : `${outcome.human}\n`);
    return outcome.exitCode;
  } catch (error) {
    return report(error);
  }
}

/** The CLI on this process's arguments and streams; resolves with the exit status. */
export function main(): Promise<number> {
  return run(process.argv.slice(2), {
    out: process.stdout,
    err: process.stderr,
    isTTY: process.stdout.isTTY,
    now: () => Date.now(),
    sleep: (ms) => sleep(ms),
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
