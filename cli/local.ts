/**
 * `rollgate local`: the persistent local stack (local/serve.ts, also
 * `npm start -- --serve`) until Ctrl-C — the engine, DynamoDB Local with the
 * ledger on disk, the simulated cloud, the approval endpoint and the control
 * API on loopback, found by `rollgate --local`. Loaded only when named: it
 * brings the whole local stack.
 */
import { parseArgs } from 'node:util';
import { usageAnswer, type ParsedArgs } from './usage.js';

export const USAGE = `usage: rollgate local [--data-dir <dir>] [--port <port>]

  --data-dir <dir>  where DynamoDB Local keeps the ledger (default ~/.local/state/rollgate/ledger);
                    a restart on the same directory keeps every release
  --port <port>     the control API's port on 127.0.0.1 (default: a free one)
  --help            this text

Runs until Ctrl-C (exit 0); drive it with npx rollgate --local ... Exit status 2 for a bad command line.`;

/** What to run, or a usage problem naming the flag. */
export type LocalArgs = ParsedArgs<{ readonly dataDir?: string; readonly port?: number }>;

/** The command line of `rollgate local`. */
export function parseLocalArgs(argv: readonly string[]): LocalArgs {
  let values: { 'data-dir'?: string; port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { 'data-dir': { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean' } }, strict: true, allowPositionals: false }));
  } catch (error) {
    return { usage: `rollgate local: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (values.help === true) return 'help';
  const dataDir = values['data-dir'];
  if (dataDir?.trim() === '') return { usage: 'rollgate local: --data-dir needs a directory' };
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port < 1 || port > 65_535) return { usage: `rollgate local: --port must be a port number (1-65535), got ${JSON.stringify(values.port)}` };
  }
  return { ...(dataDir === undefined ? {} : { dataDir }), ...(port === undefined ? {} : { port }) };
}

/** Runs `rollgate local`; resolves with the exit status once stopped. */
export async function main(argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const args = usageAnswer(parseLocalArgs(argv), USAGE, out, err);
  if (typeof args === 'number') return args;
  const { serveUntilStopped } = await import('../local/serve.js');
  return serveUntilStopped(args);
}
