/**
 * The local control server's state file: how `rollgate --local` finds the
 * persistent local stack (`npm start -- --serve`) and signs its requests.
 *
 * The server writes it once it listens and removes it when it stops; the
 * CLI reads it. Path: `$XDG_STATE_HOME/rollgate/local.json`, or
 * `~/.local/state/rollgate/local.json` when XDG_STATE_HOME is unset (the XDG
 * base directory spec's place for state that should survive a restart but is
 * not worth a backup: https://specifications.freedesktop.org/basedir-spec/latest/).
 * `ROLLGATE_LOCAL_STATE` names another file (tests, two stacks side by side).
 *
 * The file holds loopback credentials made up by the server for this run,
 * so it is written with mode 0600 in a 0700 directory.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as z from 'zod';
import { RollgateError } from '../functions/errors.js';

/** What the local control server publishes about itself. */
export const LocalStateSchema = z.strictObject({
  /** Format of this file; bumped on an incompatible change. */
  version: z.literal(1),
  /** Base URL of the control API on loopback, e.g. `http://127.0.0.1:4510`. */
  endpoint: z.url({ protocol: /^https?$/ }),
  /** The region the server verifies SigV4 signatures for. */
  region: z.string().min(1).max(64),
  /** Credentials the server accepts for this run (made up, loopback only). */
  accessKeyId: z.string().min(1).max(128),
  secretAccessKey: z.string().min(1).max(256),
  /** The principal the server records for requests signed with these credentials. */
  principalArn: z.string().min(1).max(2048),
  /** The server's process: a dead pid means the file is stale. */
  pid: z.number().int().positive(),
  startedAt: z.string().optional(),
});
export type LocalState = z.infer<typeof LocalStateSchema>;

/** No usable local server: the file is missing, unreadable, or its process is gone. */
export class LocalServerNotRunningError extends RollgateError {}

const HINT = 'start it with `npm start -- --serve`';

/** Where the state file is, for this environment. */
export function localStatePath(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.ROLLGATE_LOCAL_STATE;
  if (explicit !== undefined && explicit !== '') return explicit;
  const stateHome = env.XDG_STATE_HOME;
  // The spec says a relative XDG_STATE_HOME is invalid and must be ignored.
  const base = stateHome !== undefined && stateHome.startsWith('/') ? stateHome : join(homedir(), '.local', 'state');
  return join(base, 'rollgate', 'local.json');
}

/** Whether process `pid` is alive (EPERM: alive, just not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error instanceof Error && 'code' in error && error.code === 'EPERM';
  }
}

/**
 * The running local server's state, or undefined when there is none (no
 * file, or its process is dead). A file that exists but does not parse is an
 * error: something else wrote it.
 */
export function findLocalState(path: string = localStatePath()): LocalState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw new LocalServerNotRunningError(`cannot read the local server's state file ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LocalServerNotRunningError(`the local server's state file ${path} is not JSON; delete it and ${HINT}`);
  }
  const result = LocalStateSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue === undefined ? '' : `${issue.path.join('.')}: `;
    throw new LocalServerNotRunningError(`the local server's state file ${path} is not one rollgate wrote (${field}${issue?.message ?? 'invalid'}); delete it and ${HINT}`);
  }
  return isAlive(result.data.pid) ? result.data : undefined;
}

/** The running local server's state; one clear error saying how to start one otherwise. */
export function readLocalState(path: string = localStatePath()): LocalState {
  const state = findLocalState(path);
  if (state === undefined) throw new LocalServerNotRunningError(`no local rollgate server is running (no live server in ${path}): ${HINT}`);
  return state;
}

/**
 * Publishes the local server's state (the server calls this once it
 * listens). Written to a temporary file and renamed, so a reader never sees
 * half a file.
 */
export function writeLocalState(state: LocalState, path: string = localStatePath()): void {
  const valid = LocalStateSchema.parse(state);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${String(process.pid)}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(valid, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Removes the state file if it is this process's (the server calls this on shutdown). */
export function removeLocalState(path: string = localStatePath(), pid: number = process.pid): void {
  let current: unknown;
  try {
    current = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return;
  }
  const parsed = LocalStateSchema.safeParse(current);
  // Another server may have started since and written its own: leave that one.
  if (parsed.success && parsed.data.pid !== pid) return;
  rmSync(path, { force: true });
}
