/**
 * Each Lambda bundle carries only the code its function calls. Every
 * function's entry point is bundled with the options the stack deploys with
 * (infra/bundling.ts) and esbuild's metafile says which files went into each
 * bundle; from those, the AWS SDK clients, the DynamoDB document client, the
 * Slack and approval code and the logger a bundle carries must be exactly
 * what the function's declaration (infra/functions.ts `uses` → its adapters →
 * their clients, functions/adapters/aws/clients.ts; `ledger`) says it calls,
 * and nothing of the CLI, the infrastructure code or the dev tools may be in
 * any bundle. A handler that builds a client it never calls fails here.
 * https://esbuild.github.io/api/#metafile
 */
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import { clientsOf } from '../../functions/adapters/aws/clients.js';
import { esbuildOptions, ESM_REQUIRE_BANNER, nodejsBundling, packagesIn, sdkClientsIn } from '../../infra/bundling.js';
import { adaptersOf, ALL_FUNCTIONS, type FunctionSpec } from '../../infra/functions.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** What a bundle carries, of the code this test holds to the function's declaration. */
interface Contents {
  /** `@aws-sdk/client-*` packages. */
  readonly clients: readonly string[];
  /** `@aws-sdk/lib-dynamodb`, the ledger's document client. */
  readonly documentClient: boolean;
  /** The Slack Web API client and the approval code (functions/adapters/slack/, functions/approval/). */
  readonly slack: boolean;
  /** Powertools' logger (functions/handlers/logger.ts). */
  readonly logger: boolean;
  /** Packages and source folders no function runs: the CLI's, the stack's, the tests' and the tools'. */
  readonly foreign: readonly string[];
}

/** Never part of a function: the CLI, the CDK app, the local runtime, tests and build tools. */
const FOREIGN_PACKAGES = new Set(['commander', 'aws-cdk-lib', 'constructs', 'esbuild', 'typescript', 'vitest', 'aws-sdk-client-mock', 'playwright-core', 'tsx']);
const FUNCTION_SOURCES = 'functions/';
const SLACK_SOURCES = ['functions/adapters/slack/', 'functions/approval/'];

/** What the inputs of one bundle (its metafile output's `inputs`) carry. */
function contentsOf(inputs: Readonly<Record<string, unknown>>): Contents {
  const paths = Object.keys(inputs);
  const packages = packagesIn(inputs);
  const sources = paths.filter((path) => !path.includes('node_modules/'));
  const foreignSources = new Set(sources.filter((path) => !path.startsWith(FUNCTION_SOURCES)).map((path) => (path.includes('/') ? `${path.split('/')[0] ?? ''}/` : path)));
  return {
    clients: sdkClientsIn(inputs),
    documentClient: packages.includes('@aws-sdk/lib-dynamodb'),
    slack: sources.some((path) => SLACK_SOURCES.some((folder) => path.startsWith(folder))),
    logger: packages.includes('@aws-lambda-powertools/logger'),
    foreign: [...packages.filter((name) => FOREIGN_PACKAGES.has(name)), ...[...foreignSources].sort()],
  };
}

/** What a function's declaration says its bundle carries. */
function declaredContentsOf(spec: FunctionSpec): Contents {
  return {
    // Every function reads the service configuration from the ledger's CONFIG items (functions/ledger/config-store.ts), whether or not it uses the ledger otherwise.
    clients: clientsOf(adaptersOf(spec), true),
    documentClient: true,
    slack: spec.uses.some((use) => use.startsWith('SlackBotToken.') || use.startsWith('SlackSigningSecrets.')),
    logger: true,
    foreign: [],
  };
}

/** Bundles `entryPoints` (entry name → path) in one esbuild run, each as the stack bundles it; the inputs of each, by entry name. */
async function bundleInputs(entryPoints: Readonly<Record<string, string>>): Promise<Map<string, Metafile['outputs'][string]['inputs']>> {
  const result = await build({
    ...esbuildOptions(),
    absWorkingDir: ROOT,
    entryPoints: { ...entryPoints },
    outdir: `${ROOT}cdk.out/bundle-contents`,
    metafile: true,
    write: false,
  });
  const byEntry = new Map<string, Metafile['outputs'][string]['inputs']>();
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    const name = Object.keys(entryPoints).find((n) => file.endsWith(`/${n}.js`));
    if (name !== undefined) byEntry.set(name, output.inputs);
  }
  return byEntry;
}

/** The one bundle of a single-entry build (not its source map). */
function codeOutput(metafile: Metafile): Metafile['outputs'][string] {
  const output = Object.entries(metafile.outputs).find(([file]) => !file.endsWith('.map'))?.[1];
  if (output === undefined) throw new Error('no bundle in the build');
  return output;
}

let bundles = new Map<string, Metafile['outputs'][string]['inputs']>();

beforeAll(async () => {
  // One run for every entry: esbuild reads and parses each shared file once, on all its threads.
  bundles = await bundleInputs(Object.fromEntries(ALL_FUNCTIONS.map((spec) => [spec.entry, `functions/handlers/${spec.entry}.ts`])));
});

describe('Lambda bundle contents', () => {
  it.each(ALL_FUNCTIONS.map((spec) => [spec.id, spec] as const))('%s carries exactly the clients and code its declaration calls', (_id, spec) => {
    const inputs = bundles.get(spec.entry);
    expect(inputs, spec.entry).toBeDefined();
    expect(contentsOf(inputs ?? {})).toEqual(declaredContentsOf(spec));
  });

  it('fails a handler that builds an SDK client it does not call', async () => {
    const alarm = ALL_FUNCTIONS.find((spec) => spec.id === 'AlarmHandler');
    if (alarm === undefined) throw new Error('no AlarmHandler');
    // The alarm handler as it is, plus an ECS client built at module scope and never sent a command.
    const result = await build({
      ...esbuildOptions(),
      absWorkingDir: ROOT,
      stdin: {
        contents: "export { handler } from './functions/handlers/alarm.js';\nimport { ECSClient } from '@aws-sdk/client-ecs';\nexport const ecs = new ECSClient({});\n",
        resolveDir: ROOT,
        sourcefile: 'functions/handlers/alarm-with-ecs.ts',
        loader: 'ts',
      },
      outfile: `${ROOT}cdk.out/bundle-contents/alarm-with-ecs.mjs`,
      metafile: true,
      write: false,
    });

    const contents = contentsOf(codeOutput(result.metafile).inputs);
    expect(contents.clients).toContain('@aws-sdk/client-ecs');
    expect(contents).not.toEqual(declaredContentsOf(alarm));
  });

  it('finds CLI and infrastructure code in a bundle that imports it', async () => {
    const result = await build({
      ...esbuildOptions(),
      absWorkingDir: ROOT,
      stdin: { contents: "export { ALL_FUNCTIONS } from './infra/functions.js';\nexport { Command } from 'commander';\n", resolveDir: ROOT, sourcefile: 'functions/handlers/foreign-fixture.ts', loader: 'ts' },
      outfile: `${ROOT}cdk.out/bundle-contents/foreign.mjs`,
      metafile: true,
      write: false,
    });
    expect(contentsOf(codeOutput(result.metafile).inputs).foreign).toEqual(['commander', 'infra/']);
  });

  it('bundles with the options the stack gives NodejsFunction', () => {
    // infra/bundling.ts keeps the two in step; CDK renders its options as esbuild flags (aws-lambda-nodejs Bundling).
    const cdk = nodejsBundling({ define: { X: '"1"' } });
    const api = esbuildOptions({ define: { X: '"1"' } });
    expect(cdk.format).toBe(nodejs.OutputFormat.ESM);
    expect({
      format: api.format,
      target: api.target,
      mainFields: api.mainFields,
      banner: api.banner?.js,
      minify: api.minify,
      keepNames: api.keepNames,
      sourcemap: api.sourcemap,
      sourcesContent: api.sourcesContent,
      external: api.external,
      define: api.define,
      logLevel: api.logLevel,
    }).toEqual({
      format: 'esm',
      target: cdk.target,
      mainFields: cdk.mainFields,
      banner: cdk.banner,
      minify: cdk.minify,
      keepNames: cdk.keepNames,
      sourcemap: cdk.sourceMap,
      sourcesContent: cdk.sourcesContent,
      external: cdk.externalModules,
      define: cdk.define,
      logLevel: cdk.logLevel,
    });
    expect(api.banner?.js).toBe(ESM_REQUIRE_BANNER);
    expect(api).toMatchObject({ bundle: true, platform: 'node' });
  });
});
