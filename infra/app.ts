/**
 * The CDK app `cdk synth` / `cdk deploy` run (see cdk.json). The stack is
 * environment-agnostic: it deploys to whatever account and region the CLI's
 * credentials point at, and synthesizes offline with no credentials at all.
 *
 * The onboarded services come from the JSON file named by the context value
 * `rollgate:config` (`cdk deploy -c rollgate:config=services.json`, relative
 * to the working directory); without one, the checked-in sample
 * examples/services.json is synthesized. A file that cannot be used is
 * reported as `npm run validate` reports it — every problem, one per line,
 * each naming the file and the field — and the app exits 1 without a stack
 * trace. cdk-nag's AwsSolutions rules check every template: an unsuppressed
 * finding fails synth.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { checkConfigFile, formatConfigProblem } from '../functions/config-file.js';
import { InvalidInputError } from '../functions/errors.js';
import { RollgateStack } from './stack.js';

/** Context key naming the configuration file. */
const CONFIG_CONTEXT_KEY = 'rollgate:config';

/** The configuration synthesized when the context names none (as a path from the working directory, for its messages). */
const DEFAULT_CONFIG_FILE = relative(process.cwd(), fileURLToPath(new URL('../examples/services.json', import.meta.url)));

function main(): number {
  // No synth on exit (the CLI's default): a file it cannot use must leave no assembly behind.
  const app = new App({ autoSynth: false });
  const named: unknown = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
  if (named !== undefined && (typeof named !== 'string' || named.trim() === '')) {
    process.stderr.write(`-c ${CONFIG_CONTEXT_KEY}=<file>: must name a JSON file; got ${JSON.stringify(named)}\n`);
    return 1;
  }
  const result = checkConfigFile(named ?? DEFAULT_CONFIG_FILE);
  if (!result.valid) {
    process.stderr.write(`${result.problems.map(formatConfigProblem).join('\n')}\n`);
    return 1;
  }
  try {
    new RollgateStack(app, 'Rollgate', { orchestrator: { config: result.config } });
  } catch (error) {
    // A prop the construct refuses (the configuration too large for the bundles, say): its message names it; a stack trace would not help.
    if (!(error instanceof InvalidInputError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 1;
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  app.synth();
  return 0;
}

process.exitCode = main();
