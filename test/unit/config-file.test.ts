/**
 * Reading a configuration file (functions/config-file.ts): where a JSON
 * syntax error is, by line and column, the same on every Node version; every
 * schema problem at once, each with its path; and the one line each becomes.
 */
import { describe, expect, it } from 'vitest';
import { checkConfig, checkConfigText, formatConfigProblem, InvalidConfigFileError, jsonSyntaxError, lineAndColumn } from '../../functions/config-file.js';
import { SAMPLE_CONFIG } from '../../local/sample-config.js';

/** The lines `text` is reported as, or 'valid'. */
function report(text: string): string[] | 'valid' {
  const result = checkConfigText(text, 'services.json');
  return result.valid ? 'valid' : result.problems.map(formatConfigProblem);
}

describe('a JSON syntax error', () => {
  it.each<[string, string, string]>([
    ['a missing comma', '{\n  "a": 1\n  "b": 2\n}', `3:3: expected ',' or '}' after the property value, found "\\""`],
    ['a trailing comma in an object', '{\n  "a": 1,\n}', "2:9: a comma before '}' is not allowed in JSON"],
    ['a trailing comma in an array', '[1,\n 2,\n]', "2:3: a comma before ']' is not allowed in JSON"],
    ['a missing value', '{"a": }', '1:7: expected a value, found "}"'],
    ['a misspelt literal', '{"a": ture}', '1:7: expected a value, found "ture"'],
    ['single quotes', "{\"a\": 'x'}", `1:7: expected a value, found "'" (JSON strings take double quotes)`],
    ['an unquoted key', '{a: 1}', '1:2: expected a property name in double quotes, found "a"'],
    ['an unclosed object', '{"a": 1', `1:8: expected ',' or '}' after the property value, found the end of the file`],
    ['an unclosed string', '{"a": "x', `1:7: a string is not closed (missing '"')`],
    ['a line break in a string', '{"a": "x\ny"}', `1:9: a string must not span lines (missing '"'?)`],
    ['a bad escape', '{"a": "\\q"}', '1:8: "\\\\q" is not an escape JSON knows'],
    ['a short \\u escape', '{"a": "\\u12"}', '1:8: \\u must be followed by four hex digits'],
    ['a leading zero', '{"a": 01}', `1:8: expected ',' or '}' after the property value, found "1"`],
    ['text after the value', '{}\n{}', '2:1: expected the end of the file after the JSON value, found "{"'],
    ['an empty file', '', '1:1: the file is empty'],
    ['a file of blanks', ' \n\t\n', '1:1: the file is empty'],
    ['a comment', '{\n  // the sample\n  "a": 1\n}', '2:3: expected a property name in double quotes, found "/"'],
  ])('is found at its line and column: %s', (_, text, expected) => {
    expect(JSON.parse.bind(JSON, text)).toThrow(SyntaxError);
    expect(report(text)).toEqual([`services.json:${expected.replace(/^(\d+:\d+): /, '$1: not valid JSON: ')}`]);
  });

  it('is found nowhere in text JSON.parse takes', () => {
    for (const text of ['{}', '[]', '0', '-1.5e+3', '"\\u00e9\\n\\"/"', ' { "a" : [ true , false , null , { } ] } ', '\r\n[1]\r\n', JSON.stringify(SAMPLE_CONFIG, null, 2)]) {
      expect(JSON.parse.bind(JSON, text)).not.toThrow();
      expect(jsonSyntaxError(text)).toBeUndefined();
    }
  });

  it('counts lines over CRLF line ends and ignores a byte order mark', () => {
    expect(report('{\r\n  "a": 1,\r\n}')).toEqual(["services.json:2:9: not valid JSON: a comma before '}' is not allowed in JSON"]);
    expect(report(`\uFEFF${JSON.stringify(SAMPLE_CONFIG)}`)).toBe('valid');
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});

describe('the problems of a configuration', () => {
  it('are all reported at once, each with its path, in the wording of the rest of the schema', () => {
    const result = checkConfig({ $schema: 1, services: [{ service: 'checkout', fleet: { kind: 'lambda' }, alarms: 'checkout-5xx', bogus: true }], slack: null }, 'services.json');
    expect(result.valid ? [] : result.problems.map(formatConfigProblem)).toEqual([
      'services.json: $schema: must be a string, not 1',
      'services.json: services.0.environment: is required',
      'services.json: services.0.fleet.kind: must be "ecs" or "asg"',
      'services.json: services.0.traffic: is required',
      'services.json: services.0.alarms: must be an array, not the string "checkout-5xx"',
      'services.json: services.0.plan: is required',
      'services.json: services.0.bogus: is not a known field (misspelt, or in the wrong place?)',
      'services.json: slack: must be an object, not null',
    ]);
  });

  it('say the bounds of numbers, strings and lists in words', () => {
    const [checkout] = structuredClone(SAMPLE_CONFIG.services);
    if (checkout?.fleet.kind !== 'ecs') throw new Error('the sample changed');
    const service = { ...checkout, fleet: { ...checkout.fleet, containerName: '' }, alarms: Array.from({ length: 101 }, (_, i) => `alarm-${String(i)}`), terminationWaitSeconds: -1 };
    const result = checkConfig({ ...SAMPLE_CONFIG, services: [service] }, 'services.json');
    expect(result.valid ? [] : result.problems.map(formatConfigProblem)).toEqual([
      'services.json: services.0.fleet.containerName: must have at least 1 character',
      'services.json: services.0.alarms: must have at most 100 items',
      'services.json: services.0.terminationWaitSeconds: must be at least 0',
    ]);
  });

  it('name the whole file when it is not an object', () => {
    const result = checkConfig([SAMPLE_CONFIG], 'services.json');
    expect(result.valid ? [] : result.problems.map(formatConfigProblem)).toEqual(['services.json: must be an object, not an array']);
  });

  it('are the message of InvalidConfigFileError, one per line', () => {
    const error = new InvalidConfigFileError([
      { file: 'a.json', path: 'services', message: 'is required' },
      { file: 'a.json', path: '', message: 'not valid JSON: the file is empty', line: 1, column: 1 },
    ]);
    expect(error.name).toBe('InvalidConfigFileError');
    expect(error.message).toBe('a.json: services: is required\na.json:1:1: not valid JSON: the file is empty');
  });
});
