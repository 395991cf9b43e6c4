/**
 * Synthesizing the stack the way `cdk synth` does (cdk.json's feature flags,
 * the sample configuration), for the infra tests. Bundling is skipped unless a
 * test asks for it: only test/infra/bundles.test.ts runs esbuild.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
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

/** An app with cdk.json's context; no bundling unless `bundle` (esbuild takes seconds per function). */
export function testApp(options: { bundle?: boolean; outdir?: string } = {}): App {
  return new App({
    context: { ...cdkJsonContext(), ...(options.bundle === true ? {} : { 'aws:cdk:bundling-stacks': [] }) },
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
  });
}

/** The stack with the sample configuration, overridden by `props`. */
export function synthStack(props: Partial<ReleaseOrchestratorProps> = {}, app: App = testApp()): { stack: RollgateStack; template: Template } {
  const stack = new RollgateStack(app, 'Rollgate', { orchestrator: { config: SAMPLE_CONFIG, ...props } });
  return { stack, template: Template.fromStack(stack) };
}
