/**
 * The CDK app `cdk synth` / `cdk deploy` run (see cdk.json). The stack is
 * environment-agnostic: it deploys to whatever account and region the CLI's
 * credentials point at, and synthesizes offline with no credentials at all.
 */
import { App } from 'aws-cdk-lib';
import { RollgateStack } from './stack.js';

const app = new App();
new RollgateStack(app, 'Rollgate');
app.synth();
