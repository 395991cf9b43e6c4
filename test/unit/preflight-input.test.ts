/**
 * Preflight refuses malformed and hostile release input before it reads or
 * writes anything: every port is unwired here, so a check that came after a
 * ledger read or an alarm check would fail with TouchedError instead.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.js';
import type { AlarmSource, Ledger } from '../../functions/ports.js';
import { preflight } from '../../functions/steps/preflight.js';
import { SAMPLE_CONFIG } from '../../local/sample-config.js';
import { untouched } from './untouched.js';

const deps = { config: parseConfig(SAMPLE_CONFIG), ledger: untouched<Ledger>('Ledger'), alarms: untouched<AlarmSource>('AlarmSource'), now: () => new Date() };
const event = (input: unknown) => ({
  input,
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:release:run-1',
  startTime: '2030-01-01T00:00:00.000Z',
});
const release = (service: string, version: string) => ({ service, environment: 'prod', version, trigger: { source: 'test' } });

describe('preflight of malformed input', () => {
  it.each<[string, unknown, string]>([
    ['a string', 'hello', 'a string'],
    ['an array', [1, 2, 3], 'an array'],
    ['null', null, 'null'],
    ['a number', 42, 'a number'],
    ['a boolean', false, 'a boolean'],
  ])('refuses %s as the release input with InvalidInputError naming it', async (_, input, what) => {
    await expect(preflight.invoke(deps, event(input))).rejects.toMatchObject({
      name: 'InvalidInputError',
      operation: 'release input',
      field: '',
      message: `release input: input: must be a JSON object {"service", "environment", "version", "trigger", ...}, not ${what}`,
    });
  });

  it.each<[string, string, RegExp]>([
    ['checkout', 'v2\n', /^release input: version: must be an image tag .*; got "v2\\u\{a\}"$/],
    ['checkout', '\u202ev2', /^release input: version: must be an image tag .*; got "\\u\{202e\}v2"$/],
    ['checkout', '$Latest', /^release input: version: must be an image tag/],
    ['search', '$Latest', /^release input: version: must be a launch-template version number/],
    ['search', 'v2', /^release input: version: must be a launch-template version number/],
  ])('refuses %s version %j before touching anything, naming the field', async (service, version, message) => {
    const refused = preflight.invoke(deps, event(release(service, version)));
    await expect(refused).rejects.toMatchObject({ name: 'InvalidInputError', field: 'version' });
    await expect(refused).rejects.toThrow(message);
  });

  it('goes on to the ledger with a good version', async () => {
    await expect(preflight.invoke(deps, event(release('checkout', 'v2')))).rejects.toMatchObject({ name: 'TouchedError' });
    await expect(preflight.invoke(deps, event(release('search', '7')))).rejects.toMatchObject({ name: 'TouchedError' });
  });
});
