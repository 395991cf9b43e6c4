/**
 * A configuration file as a person writes it: read, parsed as JSON and
 * validated with the zod schema (functions/config.ts), with *every* problem
 * reported at once, each naming the file and where in it — `services.json:3:7:`
 * for a JSON syntax error, `services.json: services.1.alarms:` for a bad field.
 * `npm run validate` (cli/validate.ts) and `cdk synth` (infra/app.ts) print
 * the same lines, from {@link formatConfigProblem}.
 *
 * Only the CLI, the CDK app and the local runtime read files; the functions
 * get their configuration compiled into the bundle and never import this.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { RollgateConfigSchema, type RollgateConfig } from './config.js';
import { RollgateError } from './errors.js';

/** One thing wrong with a configuration file. */
export interface ConfigProblem {
  /** The file, as the user named it. */
  readonly file: string;
  /** The dotted path of the bad field (`services.1.alarms`); empty for the file as a whole. */
  readonly path: string;
  readonly message: string;
  /** Where a JSON syntax error is (1-based; the column counts UTF-16 code units). */
  readonly line?: number;
  readonly column?: number;
}

/** A configuration file: valid, or everything wrong with it. */
export type ConfigFileResult =
  | { readonly valid: true; readonly config: RollgateConfig }
  | { readonly valid: false; readonly problems: readonly ConfigProblem[] };

/** A configuration file that cannot be used, with all its problems, one per line in the message. */
export class InvalidConfigFileError extends RollgateError {
  public constructor(public readonly problems: readonly ConfigProblem[]) {
    super(problems.map(formatConfigProblem).join('\n'));
  }
}

/** One problem as one line: `file:line:column: message`, `file: path: message` or `file: message`. */
export function formatConfigProblem(problem: ConfigProblem): string {
  if (problem.line !== undefined) return `${problem.file}:${String(problem.line)}:${String(problem.column ?? 1)}: ${problem.message}`;
  return problem.path === '' ? `${problem.file}: ${problem.message}` : `${problem.file}: ${problem.path}: ${problem.message}`;
}

/** Reads `file` (relative to the working directory) and checks it; never throws for anything wrong with the file. */
export function checkConfigFile(file: string): ConfigFileResult {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    return { valid: false, problems: [{ file, path: '', message: readProblem(error) }] };
  }
  return checkConfigText(text, file);
}

/** {@link checkConfigFile}, throwing {@link InvalidConfigFileError} with every problem. */
export function loadConfigFile(file: string): RollgateConfig {
  const result = checkConfigFile(file);
  if (!result.valid) throw new InvalidConfigFileError(result.problems);
  return result.config;
}

/** Parses `text` (the content of `file`) as JSON and validates it. */
export function checkConfigText(text: string, file: string): ConfigFileResult {
  // Some editors on Windows start a UTF-8 file with a byte order mark, which JSON.parse refuses.
  const json = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    const syntax = jsonSyntaxError(json) ?? { offset: 0, message: error instanceof Error ? error.message : String(error) };
    return { valid: false, problems: [{ file, path: '', message: `not valid JSON: ${syntax.message}`, ...lineAndColumn(json, syntax.offset) }] };
  }
  return checkConfig(raw, file);
}

/** Validates a parsed configuration, collecting every issue zod finds. */
export function checkConfig(raw: unknown, file: string): ConfigFileResult {
  const result = RollgateConfigSchema.safeParse(raw, { error: friendlierMessage });
  if (result.success) return { valid: true, config: result.data };
  return { valid: false, problems: result.error.issues.flatMap((issue) => problemsOf(issue, file)) };
}

function problemsOf(issue: z.core.$ZodIssue, file: string): ConfigProblem[] {
  const path = issue.path.map(String);
  // One line per unknown key, naming it in the path: the user looks for the key, not for its parent.
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ file, path: [...path, key].join('.'), message: 'is not a known field (misspelt, or in the wrong place?)' }));
  }
  return [{ file, path: path.join('.'), message: issue.message }];
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'an array',
  tuple: 'an array',
  object: 'an object',
};

/**
 * zod's own wording for a missing or mistyped field ("Invalid input:
 * expected string, received undefined"), a bound ("Too small: expected
 * number to be >=0") or an unknown `kind`, said the way the rest of the
 * schema's messages are. Messages the schema sets itself take precedence.
 */
function friendlierMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
    const options: unknown = 'options' in issue ? issue.options : undefined;
    if (Array.isArray(options)) return `must be ${options.map((option: unknown) => JSON.stringify(option)).join(' or ')}`;
  }
  if (issue.code === 'too_small' || issue.code === 'too_big') return boundMessage(issue);
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined) return 'is required';
  const expected = EXPECTED[issue.expected];
  return expected === undefined ? undefined : `must be ${expected}, not ${jsonTypeOf(issue.input)}`;
}

const UNITS: Readonly<Record<string, string>> = { string: ' characters', array: ' items' };

/** "Too small: expected number to be >=1" as "must be at least 1". */
function boundMessage(issue: { readonly code: 'too_small' | 'too_big'; readonly origin: string; readonly inclusive?: boolean | undefined; readonly minimum?: unknown; readonly maximum?: unknown }): string | undefined {
  const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
  if ((typeof bound !== 'number' && typeof bound !== 'bigint') || !['number', 'string', 'array'].includes(issue.origin)) return undefined;
  const inclusive = issue.inclusive !== false;
  const comparison = issue.code === 'too_small' ? (inclusive ? 'at least' : 'more than') : inclusive ? 'at most' : 'less than';
  const unit = UNITS[issue.origin] ?? '';
  return `must ${issue.origin === 'number' ? 'be' : 'have'} ${comparison} ${String(bound)}${bound === 1 ? unit.replace(/s$/, '') : unit}`;
}

function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

function readProblem(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a directory, not a file';
  if (code === 'EACCES') return 'cannot be read (permission denied)';
  return `cannot be read: ${error instanceof Error ? error.message : String(error)}`;
}

/** The 1-based line and column of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** Where the JSON scan stopped, thrown to unwind it. */
class JsonStop extends Error {
  public constructor(
    public readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);

/**
 * Where and why `text` is not JSON (RFC 8259), or undefined if it is.
 * JSON.parse says where only for some errors, and only as an offset
 * ("Unexpected token '}', …" has none on Node 20), so the position is found
 * here, the same on every Node version.
 */
export function jsonSyntaxError(text: string): { offset: number; message: string } | undefined {
  let i = 0;
  const found = (at: number): string => (at >= text.length ? 'the end of the file' : JSON.stringify(text.charAt(at)));
  const stop = (message: string, at = i): never => {
    throw new JsonStop(at, message);
  };
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++;
  };
  const string = (): void => {
    const start = i;
    i++;
    for (;;) {
      if (i >= text.length) stop('a string is not closed (missing \'"\')', start);
      const c = text.charAt(i);
      if (c === '"') {
        i++;
        return;
      }
      if (c === '\\') {
        const next = text.charAt(i + 1);
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) stop('\\u must be followed by four hex digits');
          i += 6;
        } else {
          if (!ESCAPES.has(next)) stop(`${JSON.stringify(`\\${next}`)} is not an escape JSON knows`);
          i += 2;
        }
        continue;
      }
      if (c < ' ') stop(c === '\n' ? 'a string must not span lines (missing \'"\'?)' : 'a control character must be escaped in a string');
      i++;
    }
  };
  const value = (): void => {
    space();
    const c = text.charAt(i);
    if (c === '{') {
      object();
      return;
    }
    if (c === '[') {
      array();
      return;
    }
    if (c === '"') {
      string();
      return;
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    const word = /[\w$.+-]+/y;
    word.lastIndex = i;
    const token = word.exec(text)?.[0];
    stop(`expected a value, found ${token === undefined ? found(i) : JSON.stringify(token)}${c === "'" ? ' (JSON strings take double quotes)' : ''}`);
  };
  const object = (): void => {
    i++;
    space();
    if (text.charAt(i) === '}') {
      i++;
      return;
    }
    for (;;) {
      space();
      if (text.charAt(i) !== '"') stop(`expected a property name in double quotes, found ${found(i)}`);
      string();
      space();
      if (text.charAt(i) !== ':') stop(`expected ':' after the property name, found ${found(i)}`);
      i++;
      value();
      space();
      const c = text.charAt(i);
      i++;
      if (c === '}') return;
      if (c !== ',') stop(`expected ',' or '}' after the property value, found ${found(i - 1)}`, i - 1);
      const comma = i - 1;
      space();
      if (text.charAt(i) === '}') stop('a comma before \'}\' is not allowed in JSON', comma);
    }
  };
  const array = (): void => {
    i++;
    space();
    if (text.charAt(i) === ']') {
      i++;
      return;
    }
    for (;;) {
      value();
      space();
      const c = text.charAt(i);
      i++;
      if (c === ']') return;
      if (c !== ',') stop(`expected ',' or ']' after the array element, found ${found(i - 1)}`, i - 1);
      const comma = i - 1;
      space();
      if (text.charAt(i) === ']') stop('a comma before \']\' is not allowed in JSON', comma);
    }
  };
  try {
    space();
    if (i >= text.length) stop('the file is empty', 0);
    value();
    space();
    if (i < text.length) stop(`expected the end of the file after the JSON value, found ${found(i)}`);
    return undefined;
  } catch (error) {
    if (error instanceof JsonStop) return { offset: error.offset, message: error.message };
    throw error;
  }
}
