/**
 * How every rollgate Lambda function is bundled, in one place: the stack
 * (infra/release-orchestrator.ts, through `NodejsFunction`'s `bundling`), the
 * bundle bench (bench/bundles.bench.ts) and the bundle contents test
 * (test/infra/bundle-contents.test.ts) all read these options, so what the
 * bench measures and the test inspects is what a deploy ships.
 *
 * CDK turns {@link nodejsBundling} into esbuild command-line flags
 * (aws-lambda-nodejs `Bundling.buildEsbuildArgs`: `--bundle`,
 * `--platform=node`, `--outfile=index.mjs` for ESM, then one flag per option);
 * {@link esbuildOptions} is the same build through esbuild's JavaScript API.
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs.BundlingOptions.html
 */
import type { BuildOptions } from 'esbuild';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * Lambda's Node.js runtime loads ESM bundles (`.mjs`), and a bundled CommonJS
 * dependency that calls `require` (the AWS SDK's do) needs one in scope.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html
 */
export const ESM_REQUIRE_BANNER = "import { createRequire as __rollgateCreateRequire } from 'node:module'; const require = __rollgateCreateRequire(import.meta.url);";

/** The Node.js version the bundles target: the runtime the stack pins (nodejs22.x). */
export const BUNDLE_TARGET = 'node22';

/**
 * Packages' ESM builds first: the SDK's `module` entry (dist-es) is what
 * esbuild can tree-shake, and it is smaller than `main` (dist-cjs), which
 * esbuild's default order for platform node (`main,module`) would pick.
 * https://esbuild.github.io/api/#main-fields
 */
export const BUNDLE_MAIN_FIELDS: readonly string[] = ['module', 'main'];

/**
 * The `NODE_OPTIONS` every function runs with: stack traces through the
 * bundles' source maps point at functions/*.ts. Node reads a bundle's map
 * when it loads the bundle, so the map is part of the cold import the bench
 * measures.
 * https://nodejs.org/api/cli.html#--enable-source-maps
 */
export const BUNDLE_NODE_OPTIONS = '--enable-source-maps';

/** What a bundle is built with beyond the shared options. */
export interface BundleOptions {
  /**
   * Identifiers esbuild replaces with constant expressions in the bundle.
   * @default - none
   */
  readonly define?: Readonly<Record<string, string>>;
}

/** The `bundling` of every rollgate `NodejsFunction`. */
export function nodejsBundling(options: BundleOptions = {}): nodejs.BundlingOptions {
  return {
    format: nodejs.OutputFormat.ESM,
    target: BUNDLE_TARGET,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    banner: ESM_REQUIRE_BANNER,
    minify: true,
    // Error classes set `name` from their class name, and the ASL catches by name.
    keepNames: true,
    sourceMap: true,
    sourcesContent: false,
    // The SDK is bundled, pinned to the versions the tests ran, not the runtime's.
    externalModules: [],
    ...(options.define === undefined ? {} : { define: { ...options.define } }),
    logLevel: nodejs.LogLevel.WARNING,
  };
}

/**
 * The esbuild options that {@link nodejsBundling} makes CDK run, for the
 * bench and the tests, which add the entry points and where the output goes
 * (CDK: one entry point, `--outfile=<asset>/index.mjs`). A build of several
 * entry points without `splitting` bundles each as a build of its own would.
 * https://esbuild.github.io/api/#entry-points
 */
export function esbuildOptions(options: BundleOptions = {}): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    mainFields: [...BUNDLE_MAIN_FIELDS],
    banner: { js: ESM_REQUIRE_BANNER },
    minify: true,
    keepNames: true,
    sourcemap: true,
    sourcesContent: false,
    external: [],
    ...(options.define === undefined ? {} : { define: { ...options.define } }),
    logLevel: 'warning',
  };
}

/** The `@aws-sdk/client-*` packages among a bundle's inputs (its esbuild metafile output's `inputs`), sorted. */
export function sdkClientsIn(inputs: Readonly<Record<string, unknown>>): string[] {
  return packagesIn(inputs).filter((name) => name.startsWith('@aws-sdk/client-'));
}

/** The npm packages among a bundle's inputs, sorted: each input path's last `node_modules/<package>`. */
export function packagesIn(inputs: Readonly<Record<string, unknown>>): string[] {
  const names = new Set<string>();
  for (const path of Object.keys(inputs)) {
    const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (match?.[1] !== undefined) names.add(match[1]);
  }
  return [...names].sort();
}
