/**
 * Runs a TypeScript entry point of the repository as its own Node process
 * (through tsx, as `npm run` does), with nothing of this process's
 * environment but PATH and what the test passes.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root, the working directory of every command. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** How a command ended. */
export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `entry` (a path from the root) with `argv`; resolves when it exits. */
export function runNode(entry: string, argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry, ...argv], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether `output` holds a line of a JavaScript stack trace. */
export function hasStackTrace(output: string): boolean {
  return /^\s+at .+[:(]/m.test(output);
}
