/**
 * Where the browser tests' Chromium is, found the way people have one:
 * `CHROMIUM_PATH`, then the usual command names on the PATH, then the macOS
 * app bundles. The one place that knows: test/headless-chromium.ts launches
 * what it returns, and .ci/run runs this file ({@link reportChromium}) to
 * decide whether to install Debian's chromium.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Commands tried on the PATH, in this order: Debian/Arch, Ubuntu/Fedora, Google's packages. */
export const CHROMIUM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'] as const;

/** The macOS app bundles' binaries, tried after the PATH. */
export const MACOS_APP_BINARIES = ['/Applications/Chromium.app/Contents/MacOS/Chromium', '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome'] as const;

/** What to do about a missing browser, in one line. */
export const INSTALL_HINT = 'install the Debian package chromium (apt-get install chromium), or set CHROMIUM_PATH to a Chromium or Chrome binary';

/** No Chromium anywhere it is looked for. */
export class ChromiumNotFoundError extends Error {
  public override readonly name = 'ChromiumNotFoundError';
  public constructor() {
    super(`no Chromium found (looked for ${CHROMIUM_COMMANDS.join(', ')} on the PATH and the macOS apps): ${INSTALL_HINT}`);
  }
}

/** CHROMIUM_PATH is set, but not to an executable file: it is not second-guessed by a search. */
export class ChromiumPathError extends Error {
  public override readonly name = 'ChromiumPathError';
  public constructor(
    public readonly chromiumPath: string,
    why: string,
  ) {
    super(`CHROMIUM_PATH=${chromiumPath} ${why}: set CHROMIUM_PATH to a Chromium or Chrome binary, or unset it to search the PATH`);
  }
}

export interface ChromiumSearch {
  /** Where CHROMIUM_PATH and PATH are read. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Absolute binaries tried after the PATH. @default MACOS_APP_BINARIES */
  readonly appBinaries?: readonly string[];
}

/** The Chromium (or Chrome) binary to launch; throws {@link ChromiumPathError} or {@link ChromiumNotFoundError}. */
export function findChromium(search: ChromiumSearch = {}): string {
  const env = search.env ?? process.env;
  const explicit = env.CHROMIUM_PATH;
  if (explicit !== undefined && explicit !== '') {
    const why = notExecutable(explicit);
    if (why !== undefined) throw new ChromiumPathError(explicit, why);
    return resolve(explicit);
  }
  // Empty PATH entries are skipped: they would mean the current directory.
  const dirs = (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  for (const command of CHROMIUM_COMMANDS) {
    for (const dir of dirs) {
      const candidate = join(dir, command);
      if (notExecutable(candidate) === undefined) return isAbsolute(candidate) ? candidate : resolve(candidate);
    }
  }
  for (const binary of search.appBinaries ?? MACOS_APP_BINARIES) {
    if (notExecutable(binary) === undefined) return binary;
  }
  throw new ChromiumNotFoundError();
}

/** Why `path` cannot be launched, or undefined when it is an executable file. */
function notExecutable(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return 'is not a file';
  } catch {
    return 'does not exist';
  }
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return 'is not executable';
  }
  return undefined;
}

/**
 * `tsx test/find-chromium.ts`, .ci/run's question: writes the path (exit
 * status 0), or the one-line reason (1: none found, 2: a bad CHROMIUM_PATH,
 * which installing a package would not fix).
 */
export function reportChromium(search: ChromiumSearch = {}, write: { out: (line: string) => void; err: (line: string) => void } = { out: console.log, err: console.error }): 0 | 1 | 2 {
  try {
    write.out(findChromium(search));
    return 0;
  } catch (error) {
    if (!(error instanceof ChromiumNotFoundError || error instanceof ChromiumPathError)) throw error;
    write.err(error.message);
    return error instanceof ChromiumPathError ? 2 : 1;
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = reportChromium();
}
