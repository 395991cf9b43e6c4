/**
 * `npm run validate -- services.json`: checks a configuration file the way
 * synth does (functions/config-file.ts), without building anything, and
 * prints every problem at once, one per line, each naming the file and the
 * field:
 *
 *   services.json: services.1.alarms: onboard at least one alarm
 *   services.json: services.0.fleet.cluster: is required
 *
 * A JSON syntax error names the line and column (`services.json:12:5: …`).
 * `--json` prints the problems as a JSON array on stdout instead (`[]` when
 * the file is valid). Exit status: 0 valid, 1 invalid or unreadable, 2 bad
 * arguments.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkConfigFile, formatConfigProblem, type ConfigFileResult } from '../functions/config-file.js';
import { usageAnswer, type ParsedArgs } from './usage.js';

export const USAGE = `usage: npm run validate -- <services.json> [--json]

  <services.json>  the configuration to check, as given to cdk deploy -c rollgate:config=…
  --json           print the problems as a JSON array on stdout ([] when valid)
  --help           this text

Exit status: 0 valid, 1 invalid or unreadable, 2 bad arguments.`;

const COMMAND = 'npm run validate';

/** What to check, or a usage problem. */
export type ValidateArgs = ParsedArgs<{ readonly file: string; readonly json: boolean }>;

/** The command line; a problem names what is wrong with it. */
export function parseValidateArgs(argv: readonly string[]): ValidateArgs {
  let parsed: { values: { json?: boolean; help?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: { json: { type: 'boolean' }, help: { type: 'boolean' } }, strict: true, allowPositionals: true });
  } catch (error) {
    return { usage: `${COMMAND}: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (parsed.values.help === true) return 'help';
  const [file, ...more] = parsed.positionals;
  if (file === undefined) return { usage: `${COMMAND}: name the configuration file to check` };
  if (more.length > 0) return { usage: `${COMMAND}: one file at a time; got ${String(parsed.positionals.length)}` };
  return { file, json: parsed.values.json === true };
}

/** What a valid file holds, in one line. */
export function validSummary(file: string, result: ConfigFileResult & { valid: true }): string {
  const { services } = result.config;
  const names = services.map((s) => `${s.service}/${s.environment}`).join(', ');
  return `${file}: valid, ${String(services.length)} service${services.length === 1 ? '' : 's'} (${names})`;
}

/** Runs the command; returns its exit status. */
export function main(argv: readonly string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): number {
  const args = usageAnswer(parseValidateArgs(argv), USAGE, out, err);
  if (typeof args === 'number') return args;
  const result = checkConfigFile(args.file);
  if (args.json) {
    out.write(`${JSON.stringify(result.valid ? [] : result.problems, null, 2)}\n`);
  } else if (result.valid) {
    out.write(`${validSummary(args.file, result)}\n`);
  } else {
    err.write(`${result.problems.map(formatConfigProblem).join('\n')}\n`);
  }
  return result.valid ? 0 : 1;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
