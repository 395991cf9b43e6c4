/**
 * `npm run validate`: the real command in a child process, on the sample, on
 * a file with many mistakes (every one listed, each with its path), on a
 * missing file, on broken JSON (named by line and column) and on a bad
 * command line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigProblem } from '../../functions/config-file.js';
import { SAMPLE_CONFIG } from '../../local/sample-config.js';
import { hasStackTrace, runNode } from './run-node.js';

const validate = (...argv: string[]) => runNode('cli/validate.ts', argv);

/** The sample with five mistakes, in both services and the Slack app, and what each one is reported as. */
function manyMistakes(): { config: unknown; expected: readonly (readonly [path: string, message: string])[] } {
  const config: Record<string, unknown> = structuredClone(SAMPLE_CONFIG);
  const [checkout, search] = structuredClone(SAMPLE_CONFIG.services);
  if (checkout === undefined || search === undefined || checkout.fleet.kind !== 'ecs') throw new Error('the sample changed');
  const fleet: Partial<typeof checkout.fleet> = { ...checkout.fleet };
  delete fleet.cluster;
  config.services = [
    { ...checkout, fleet, alrams: ['checkout-prod-5xx'] },
    { ...search, alarms: [], plan: { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 'ten' }] } },
  ];
  config.slack = { ...SAMPLE_CONFIG.slack, channel: 'general' };
  return {
    config,
    expected: [
      ['services.0.fleet.cluster', 'is required'],
      ['services.0.alrams', 'is not a known field'],
      ['services.1.alarms', 'onboard at least one alarm'],
      ['services.1.plan.steps.0.bakeSeconds', 'must be a number, not the string "ten"'],
      ['slack.channel', 'must be a Slack channel id'],
    ],
  };
}

describe('npm run validate', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollgate-validate-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('says the sample is valid, naming its services, and exits 0', async () => {
    const done = await validate('examples/services.json');
    expect(done).toEqual({ code: 0, stdout: 'examples/services.json: valid, 2 services (checkout/prod, search/prod)\n', stderr: '' });
    expect(await validate('examples/services.json', '--json')).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });

  it('lists every mistake at once, one line each naming the file and the path, and exits 1 without a stack trace', async () => {
    const file = join(dir, 'services.json');
    const { config, expected } = manyMistakes();
    writeFileSync(file, JSON.stringify(config, null, 2));
    const done = await validate(file);
    expect(done.code).toBe(1);
    expect(done.stdout).toBe('');
    const lines = done.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(expected.length);
    for (const [path, message] of expected) expect(lines).toContainEqual(expect.stringContaining(`${file}: ${path}: ${message}`));
    expect(hasStackTrace(done.stderr)).toBe(false);
  });

  it('prints the same problems as a JSON array with --json', async () => {
    const file = join(dir, 'services.json');
    const { config, expected } = manyMistakes();
    writeFileSync(file, JSON.stringify(config));
    const done = await validate('--json', file);
    expect(done.code).toBe(1);
    expect(done.stderr).toBe('');
    const problems = JSON.parse(done.stdout) as ConfigProblem[];
    expect(problems.map((p) => p.path).sort()).toEqual(expected.map(([path]) => path).sort());
    for (const [path, message] of expected) expect(problems).toContainEqual({ file, path, message: expect.stringContaining(message) as unknown });
  });

  it('names a file that does not exist, and exits 1', async () => {
    const file = join(dir, 'nowhere', 'services.json');
    expect(await validate(file)).toEqual({ code: 1, stdout: '', stderr: `${file}: no such file\n` });
  });

  it('names the line and column of a JSON syntax error', async () => {
    const file = join(dir, 'broken.json');
    writeFileSync(file, ['{', '  "services": [', '    { "service": "checkout" }', '  ],', '  "slack": {', '    "channel": "C0RELEASES1",,', '  }', '}', ''].join('\n'));
    const done = await validate(file);
    expect(done).toEqual({ code: 1, stdout: '', stderr: `${file}:6:30: not valid JSON: expected a property name in double quotes, found ","\n` });
    const json = await validate(file, '--json');
    expect(JSON.parse(json.stdout)).toEqual([{ file, path: '', message: 'not valid JSON: expected a property name in double quotes, found ","', line: 6, column: 30 }]);
  });

  it.each<[string, string[], string]>([
    ['no file', [], 'npm run validate: name the configuration file to check'],
    ['two files', ['a.json', 'b.json'], 'npm run validate: one file at a time; got 2'],
    ['an unknown option', ['examples/services.json', '--bogus'], "npm run validate: Unknown option '--bogus'"],
  ])('exits 2 with the usage on %s', async (_, argv, message) => {
    const done = await validate(...argv);
    expect(done.code).toBe(2);
    expect(done.stdout).toBe('');
    expect(done.stderr).toMatch(new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(done.stderr).toContain('usage: npm run validate -- <services.json> [--json]');
  });

  it('prints the usage with --help and exits 0', async () => {
    const done = await validate('--help');
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('Exit status: 0 valid, 1 invalid or unreadable, 2 bad arguments.');
  });
});
