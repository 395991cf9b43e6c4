/**
 * `npm start` arguments: scenario lists, the time limit, and a usage error
 * naming the flag for every mistake.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_INTERACTIVE_TIME_LIMIT_SECONDS, DEFAULT_TIME_LIMIT_SECONDS, parseDemoArgs, UsageError } from '../../local/demo/cli.js';

describe('parseDemoArgs', () => {
  it('runs good, then bad, within the default time limit when given nothing', () => {
    expect(parseDemoArgs([])).toEqual({ scenarios: ['good', 'bad'], timeLimitSeconds: DEFAULT_TIME_LIMIT_SECONDS, json: false, interactive: false, serve: false, help: false });
  });

  it.each([
    [['--scenario', 'bad,good'], ['bad', 'good']],
    [['--scenario', 'reject, crash'], ['reject', 'crash']],
    [['--scenario', 'crash', '--scenario', 'good'], ['crash', 'good']],
    [['--scenario=migration-fails'], ['migration-fails']],
    [['--scenario', 'all'], ['good', 'bad', 'crash', 'migration-fails', 'reject']],
  ])('takes %j as the releases %j, in that order', (argv, scenarios) => {
    expect(parseDemoArgs(argv).scenarios).toEqual(scenarios);
  });

  it('--serve keeps the stack running, with its ledger where --data-dir says; it runs no scenario and takes none of their flags', () => {
    expect(parseDemoArgs(['--serve'])).toMatchObject({ serve: true });
    expect(parseDemoArgs(['--serve', '--data-dir', '/tmp/ledger'])).toMatchObject({ serve: true, dataDir: '/tmp/ledger' });
    expect(() => parseDemoArgs(['--serve', '--scenario', 'bad'])).toThrow(new UsageError('--serve runs no scenario and takes no --scenario; drive it with npx rollgate --local ...'));
    expect(() => parseDemoArgs(['--serve', '--json'])).toThrow(new UsageError('--serve runs no scenario and takes no --json; drive it with npx rollgate --local ...'));
    expect(() => parseDemoArgs(['--data-dir', '/tmp/ledger'])).toThrow(new UsageError('--data-dir goes with --serve (the demo keeps its ledger in memory)'));
    expect(() => parseDemoArgs(['--serve', '--data-dir'])).toThrow(new UsageError('--data-dir needs a value: a directory'));
  });

  it('gives --interactive a longer default time limit, and --time-limit overrides either', () => {
    expect(parseDemoArgs(['--interactive']).timeLimitSeconds).toBe(DEFAULT_INTERACTIVE_TIME_LIMIT_SECONDS);
    expect(parseDemoArgs(['--interactive', '--time-limit', '60']).timeLimitSeconds).toBe(60);
    expect(parseDemoArgs(['--time-limit=3600']).timeLimitSeconds).toBe(3600);
  });

  it.each([
    [['--scenario', 'good,nope'], '--scenario must be one or more of good, bad, crash, migration-fails, reject, all, separated by commas; got "nope"'],
    [['--scenario', 'good,'], '--scenario must be one or more of good, bad, crash, migration-fails, reject, all, separated by commas; got ""'],
    [['--scenario', 'good,all'], '--scenario names good twice; each release runs once'],
    [['--scenario', 'bad', '--scenario', 'bad'], '--scenario names bad twice; each release runs once'],
    [['--scenario'], '--scenario needs a value: one or more of good, bad, crash, migration-fails, reject, all, separated by commas'],
    [['--time-limit'], '--time-limit needs a value: a number of seconds'],
    [['--time-limit', '0'], '--time-limit must be a whole number of seconds from 1 to 3600; got "0"'],
    [['--time-limit', '1.5'], '--time-limit must be a whole number of seconds from 1 to 3600; got "1.5"'],
    [['--time-limit', '3601'], '--time-limit must be a whole number of seconds from 1 to 3600; got "3601"'],
    [['--time-limit', '2m'], '--time-limit must be a whole number of seconds from 1 to 3600; got "2m"'],
    [['--jsn'], 'unknown option --jsn; allowed: --scenario <good|bad|crash|migration-fails|reject|all>[,...], --json, --interactive, --time-limit <seconds>, --serve, --data-dir <dir>, --help'],
    [['bad'], "Unexpected argument 'bad'; options start with --, e.g. --scenario bad"],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseDemoArgs(argv)).toThrow(UsageError);
    expect(() => parseDemoArgs(argv)).toThrow(message);
  });
});
