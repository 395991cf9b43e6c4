/**
 * Synthesizing the stack the way `cdk synth` does (cdk.json's feature flags,
 * the sample configuration), for the infra tests. Bundling is skipped unless a
 * test asks for it: only test/infra/bundles.test.ts runs esbuild.
 */
import { readFileSync, rmSync } from 'node:fs';
import { App, Stage, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { ReleaseOrchestratorProps } from '../../infra/release-orchestrator.js';
import { RollgateStack } from '../../infra/stack.js';
import { SAMPLE_CONFIG } from '../../local/sample-config.js';

/**
 * The context (feature flags) `cdk synth` gets from cdk.json, so the template
 * asserted here is the one that is deployed.
 */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson: unknown = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
  if (typeof cdkJson !== 'object' || cdkJson === null || !('context' in cdkJson)) {
    throw new Error('cdk.json has no "context" object');
  }
  const { context } = cdkJson;
  if (typeof context !== 'object' || context === null) {
    throw new Error('cdk.json "context" is not an object');
  }
  return { ...context };
}

/**
 * An app with cdk.json's context; no bundling unless `bundle` (esbuild takes
 * seconds per function). Without `outdir`, the app synthesizes into a temp
 * directory of its own (CDK's default): {@link synthStack} and
 * {@link templateOf} remove it once the template is read.
 */
export function testApp(options: { bundle?: boolean; outdir?: string } = {}): App {
  return new App({
    context: { ...cdkJsonContext(), ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }) },
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
  });
}

/**
 * The stack with the sample configuration, overridden by `props`. On an app
 * of its own (no `app` given) the synth output is removed afterwards, also
 * when the stack refuses its props; a given app keeps it (bundles.test.ts
 * runs the bundled assets).
 */
export function synthStack(props: Partial<ReleaseOrchestratorProps> = {}, app?: App): { stack: RollgateStack; template: Template } {
  const target = app ?? testApp();
  try {
    const stack = new RollgateStack(target, 'Rollgate', { orchestrator: { config: SAMPLE_CONFIG, ...props } });
    return { stack, template: Template.fromStack(stack) };
  } finally {
    if (app === undefined) removeOutdir(target);
  }
}

/** The template of a stack on a {@link testApp} without `outdir`, with the app's synth output removed once read. */
export function templateOf(stack: Stack): Template {
  try {
    return Template.fromStack(stack);
  } finally {
    const app = Stage.of(stack);
    if (app !== undefined) removeOutdir(app);
  }
}

function removeOutdir(app: Stage): void {
  rmSync(app.outdir, { recursive: true, force: true });
}
