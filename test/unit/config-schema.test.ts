/**
 * schema/services.schema.json, the JSON Schema editors check a configuration
 * file with: generated from the zod schema and checked in, so it must be what
 * `npm run schema` writes today; the sample must pass it in a real JSON Schema
 * validator (ajv, draft-07); and the zod schema must take the `$schema` key
 * that points an editor at it.
 */
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';
import { configJsonSchemaText, SCHEMA_FILE } from '../../cli/schema.js';
import { parseConfig } from '../../functions/config.js';
import { SAMPLE_CONFIG, SAMPLE_CONFIG_FILE } from '../../local/sample-config.js';

const sampleJson = (): Record<string, unknown> => JSON.parse(readFileSync(SAMPLE_CONFIG_FILE, 'utf8')) as Record<string, unknown>;

function jsonSchemaErrors(config: unknown): string[] {
  const validate = new Ajv({ allErrors: true }).compile(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object);
  if (validate(config) === true) return [];
  return (validate.errors ?? []).map((error) => `${error.dataPath}: ${error.message ?? ''}`);
}

describe('the JSON Schema of a configuration file', () => {
  it('is what npm run schema generates from the zod schema today (run it after changing functions/config.ts)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText());
  });

  it('accepts the sample, which points at it with "$schema"', () => {
    const sample = sampleJson();
    expect(sample.$schema).toBe('../schema/services.schema.json');
    expect(jsonSchemaErrors(sample)).toEqual([]);
  });

  it('refuses, in a real validator, what the zod schema refuses field by field', () => {
    const sample = sampleJson();
    const [checkout] = sample.services as Record<string, unknown>[];
    const errors = jsonSchemaErrors({
      ...sample,
      services: [{ ...checkout, fleet: { kind: 'lambda' }, alarms: [], alrams: ['x'] }],
      slack: { channel: 'general' },
    });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^\.services\[0\]\.fleet: /),
        expect.stringMatching(/^\.services\[0\]\.alarms: should NOT have fewer than 1 items/),
        expect.stringMatching(/^\.services\[0\]: should NOT have additional properties/),
        expect.stringMatching(/^\.slack: should have required property 'botTokenSecretName'/),
        expect.stringMatching(/^\.slack\.channel: should match pattern/),
      ]),
    );
  });

  it('leaves to the zod schema what it cannot say: a plan whose last step stops short of 100% passes it', () => {
    const sample = sampleJson();
    const [checkout, search] = sample.services as Record<string, unknown>[];
    const config = { ...sample, services: [checkout, { ...search, plan: { steps: [{ type: 'traffic', weight: 50 }] } }] };
    expect(jsonSchemaErrors(config)).toEqual([]);
    expect(() => parseConfig(config)).toThrow('config: services.1.plan.steps.0.weight: the last traffic step must send 100% to the new fleet, not 50');
  });

  it('is named by "$schema", which the zod schema takes and drops', () => {
    const parsed = parseConfig({ $schema: '../schema/services.schema.json', ...SAMPLE_CONFIG });
    expect(parsed).toEqual(SAMPLE_CONFIG);
    expect(parsed).not.toHaveProperty('$schema');
    expect(() => parseConfig({ $schema: 7, ...SAMPLE_CONFIG })).toThrow('config: $schema:');
  });
});
