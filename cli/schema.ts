/**
 * `npm run schema`: writes schema/services.schema.json, the JSON Schema of a
 * configuration file, generated from the zod schema (functions/config.ts).
 * A services.json that names it in `"$schema"` is completed and checked by
 * editors as it is typed.
 *
 * The zod schema stays the authority: JSON Schema cannot say what its
 * refinements check, mostly across fields (for example increasing plan
 * weights ending at 100, two different target groups, `slack` required once
 * a plan has an approval step, a poll interval long enough for the timeout,
 * the byte caps on alarms and plans, unique service+environment pairs), so a
 * file an editor accepts may still be refused by `npm run validate` and at
 * synth. Run it after changing
 * the zod schema; test/unit/config-schema.test.ts fails while the checked-in
 * file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { RollgateConfigSchema } from '../functions/config.js';

/** Where the schema is checked in. */
export const SCHEMA_FILE = fileURLToPath(new URL('../schema/services.schema.json', import.meta.url));

/**
 * The JSON Schema of what a person writes (zod's input side: fields with a
 * default are optional), as the text of the checked-in file. Draft-07, which
 * every JSON editor and validator reads.
 */
export function configJsonSchemaText(): string {
  // Throws on anything JSON Schema cannot represent (a transform on a field, a date), rather than leave it out.
  const generated = z.toJSONSchema(RollgateConfigSchema, { io: 'input', target: 'draft-07', unrepresentable: 'throw' });
  const { $schema, ...rest } = generated;
  const schema = {
    $schema,
    title: 'rollgate configuration',
    description:
      'The services rollgate releases, and the Slack app of approvals. Generated from functions/config.ts by `npm run schema`; ' +
      'that zod schema is the authority and checks more than this one can say (rules across fields), so run `npm run validate -- <file>` too.',
    ...rest,
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeFileSync(SCHEMA_FILE, configJsonSchemaText());
  process.stdout.write(`wrote ${relative(process.cwd(), SCHEMA_FILE)}\n`);
}
