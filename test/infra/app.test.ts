/**
 * The CDK app (infra/app.ts) as `cdk synth` runs it: its own Node process,
 * the context in CDK_CONTEXT_JSON (cdk.json's and every `-c`), the cloud
 * assembly written to CDK_OUTDIR. A configuration file it cannot use is
 * reported as `npm run validate` reports it, one line per problem and no
 * stack trace, and the app exits 1 before synthesizing anything.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RollgateConfig } from '../../functions/config.js';
import { SAMPLE_CONFIG, SEARCH_SERVICE } from '../../local/sample-config.js';
import { hasStackTrace, runNode, type Finished } from '../cli/run-node.js';
import { cdkJsonContext } from './synth.js';

describe('cdk synth -c rollgate:config=…', () => {
  let dir: string;
  let outdir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rollgate-app-'));
    outdir = join(dir, 'cdk.out');
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the app as the CDK CLI would with `-c rollgate:config=<config>` (none when undefined), without bundling the functions. */
  function synth(config: string | undefined): Promise<Finished> {
    const context = { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...(config === undefined ? {} : { 'rollgate:config': config }) };
    return runNode('infra/app.ts', [], { CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir });
  }

  function writeConfig(config: unknown): string {
    const file = join(dir, 'services.json');
    writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
    return file;
  }

  it('lists every problem of the file, one per line with its path, and exits 1 without a stack trace or an assembly', async () => {
    const config: Record<string, unknown> = structuredClone(SAMPLE_CONFIG);
    const [checkout, search] = structuredClone(SAMPLE_CONFIG.services);
    config.services = [
      { ...checkout, traffic: { ...checkout?.traffic, listenerArn: 'prod-web' } },
      { ...search, alarms: [], terminationWaitSeconds: -1 },
    ];
    const file = writeConfig(config);
    const done = await synth(file);
    expect(done.code).toBe(1);
    expect(done.stderr.trimEnd().split('\n')).toEqual([
      `${file}: services.0.traffic.listenerArn: must be an elasticloadbalancing listener ARN`,
      `${file}: services.1.alarms: onboard at least one alarm`,
      `${file}: services.1.terminationWaitSeconds: must be at least 0`,
    ]);
    expect(hasStackTrace(done.stderr)).toBe(false);
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(false);
  });

  it('names a file that does not exist, and the line and column of broken JSON', async () => {
    const missing = join(dir, 'nowhere.json');
    expect(await synth(missing)).toMatchObject({ code: 1, stderr: `${missing}: no such file\n` });
    const broken = writeConfig('{\n  "services": [\n    {"service": "checkout"}\n    {"service": "search"}\n  ]\n}\n');
    expect(await synth(broken)).toMatchObject({ code: 1, stderr: `${broken}:4:5: not valid JSON: expected ',' or ']' after the array element, found "{"\n` });
  });

  it("reports the construct's refusal of a valid file the same way: too many services for one stack", async () => {
    const services = Array.from({ length: 100 }, (_, i) => ({ ...SEARCH_SERVICE, service: `search-${String(i)}` }));
    const file = writeConfig({ services } satisfies Pick<RollgateConfig, 'services'>);
    const done = await synth(file);
    expect(done.code).toBe(1);
    expect(done.stderr).toMatch(/^ReleaseOrchestrator Rollgate\/Orchestrator: config: is \d+ bytes once encoded for the bundles, over the \d+ bytes .*split the services across two stacks\n$/);
    expect(hasStackTrace(done.stderr)).toBe(false);
  });

  it('synthesizes the checked-in examples/services.json when no file is named', async () => {
    const done = await synth(undefined);
    expect(done.stderr).not.toMatch(/error/i);
    expect(done.code).toBe(0);
    const template = JSON.parse(readFileSync(join(outdir, 'Rollgate.template.json'), 'utf8')) as unknown;
    // The sample's alarms are the ones the alarm rule listens to (the grants name no service's resources: they go by tag).
    expect(JSON.stringify(template)).toContain(JSON.stringify(SAMPLE_CONFIG.services[0]?.alarms[0]));
    expect(readdirSync(outdir)).toContain('manifest.json');
  });
});
