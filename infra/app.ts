/**
 * The CDK app `cdk synth` / `cdk deploy` run (see cdk.json). The stack is
 * environment-agnostic: it deploys to whatever account and region the CLI's
 * credentials point at, and synthesizes offline with no credentials at all.
 *
 * The onboarded services come from the JSON file named by the context value
 * `rollgate:config` (`cdk deploy -c rollgate:config=services.json`); without
 * one, the checked-in sample (local/sample-config.ts) is synthesized. cdk-nag's
 * AwsSolutions rules check every template: an unsuppressed finding fails synth.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { RollgateConfigInput } from '../functions/config.js';
import { SAMPLE_CONFIG } from '../local/sample-config.js';
import { RollgateStack } from './stack.js';

/** Context key naming the configuration file. */
export const CONFIG_CONTEXT_KEY = 'rollgate:config';

const app = new App();
const configFile: unknown = app.node.tryGetContext(CONFIG_CONTEXT_KEY);
// Validated by the construct, which names the bad field.
const config =
  typeof configFile === 'string' ? (JSON.parse(readFileSync(resolve(configFile), 'utf8')) as RollgateConfigInput) : SAMPLE_CONFIG;

new RollgateStack(app, 'Rollgate', { orchestrator: { config } });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
