/**
 * `npm run onboard`: a service's configuration item published and its first
 * stable version recorded in the ledger on DynamoDB Local — by the real command in a child process (AWS
 * endpoint pointed at DynamoDB Local, fake credentials), and its refusals,
 * each naming the flag and leaving the ledger as it was.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { LockNotOwnedError } from '../../functions/errors.js';
import { OnboardUsageError, onboard, parseOnboardArgs } from '../../cli/onboard.js';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CONFIG_PK, ConfigStore, serviceSk } from '../../functions/ledger/config-store.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG, SEARCH_SERVICE } from '../../local/sample-config.js';
import { configOf, numberedService } from '../ledger/config-fixture.js';
import { documentClient, newLedger, startInput } from '../ledger/ledger-fixture.js';
import { runNode, type Finished } from './run-node.js';

const [BLUE, GREEN] = CHECKOUT_SERVICE.traffic.targetGroupArns;
const TASK_SET = 'ecs-svc/1234567890123456789';

function args(overrides: Record<string, string | undefined> = {}, extra: readonly string[] = []): string[] {
  const values: Record<string, string | undefined> = {
    table: 'rollgate-ledger',
    service: 'checkout',
    environment: 'prod',
    version: 'v41',
    'target-group': BLUE,
    fleet: TASK_SET,
    ...overrides,
  };
  return [...Object.entries(values).flatMap(([flag, value]) => (value === undefined ? [] : [`--${flag}`, value])), ...extra];
}

/** The message of what `fn` threw, which must be an OnboardUsageError. */
function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(OnboardUsageError);
    return (error as Error).message;
  }
  throw new Error('expected an OnboardUsageError');
}

function storeOf(tableName: string): ConfigStore {
  return new ConfigStore({ client: documentClient, tableName });
}

function runOnboard(argv: readonly string[]): Promise<Finished> {
  return runNode('cli/onboard.ts', argv, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamodbEndpoint'),
    // No shared config or credentials files: nothing but the variables above.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    // tsx would otherwise keep its compile cache in the temp directory.
    TSX_DISABLE_CACHE: '1',
  });
}

describe('npm run onboard', () => {
  it('records the stable version, fleet and target group of an ECS service, and refuses to overwrite it without --replace', async () => {
    const { ledger, tableName } = await newLedger();
    const done = await runOnboard(args({ table: tableName }));
    expect(done.stderr).toContain('checkout/prod: configuration published (revision 1); stable version v41 on ecs-svc/1234567890123456789');
    expect(done.code).toBe(0);
    // Onboarding is data: the service's configuration item (and, on a ledger with none yet, the file's Slack app).
    expect(await storeOf(tableName).load()).toEqual({ revision: 1, config: { slack: SAMPLE_CONFIG.slack, services: [CHECKOUT_SERVICE] } });
    const expected = { service: 'checkout', environment: 'prod', version: 'v41', fleet: { kind: 'ecs-task-set', id: TASK_SET, targetGroup: BLUE } };
    expect(JSON.parse(done.stdout)).toMatchObject(expected);
    const stable = await ledger.getStable({ service: 'checkout', environment: 'prod' });
    expect(stable).toMatchObject(expected);
    expect(stable?.releaseId).toBeUndefined();

    const again = await runOnboard(args({ table: tableName, version: 'v42', 'target-group': GREEN }));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--replace: checkout/prod is already onboarded (stable v41 on ecs-svc/1234567890123456789');
    expect(await ledger.getStable({ service: 'checkout', environment: 'prod' })).toEqual(stable);

    const replaced = await runOnboard(args({ table: tableName, version: 'v42', 'target-group': GREEN }, ['--replace']));
    expect(replaced.code).toBe(0);
    // The same configuration again: nothing to publish, the revision stays.
    expect((await storeOf(tableName).load()).revision).toBe(1);
    expect(await ledger.getStable({ service: 'checkout', environment: 'prod' })).toMatchObject({ version: 'v42', fleet: { targetGroup: GREEN } });
  });

  it('exits 2 naming the missing flag, and writes nothing', async () => {
    const { ledger, tableName } = await newLedger();
    const done = await runOnboard(args({ table: tableName, version: undefined }));
    expect(done.code).toBe(2);
    expect(done.stderr).toContain('npm run onboard: --version: is required');
    expect(done.stderr).toContain('usage: npm run onboard');
    expect(done.stdout).toBe('');
    expect(await ledger.getStable({ service: 'checkout', environment: 'prod' })).toBeUndefined();
  });

  it('exits 2 naming --version when the version is not one the fleet kind can run, and writes nothing', async () => {
    const { ledger, tableName } = await newLedger();
    const done = await runOnboard(args({ table: tableName, version: 'v41\u202e' }));
    expect(done.code).toBe(2);
    expect(done.stderr).toContain('npm run onboard: --version: must be an image tag');
    expect(done.stdout).toBe('');
    expect(await ledger.getStable({ service: 'checkout', environment: 'prod' })).toBeUndefined();
  });

  it.each<[string, string, string, string]>([
    ['a newline', 'checkout', 'v41\n', 'must be an image tag'],
    ['a leading space', 'checkout', ' v41', 'must be an image tag'],
    ['a path', 'checkout', '../../latest', 'must be an image tag'],
    ['256 characters', 'checkout', 'v'.repeat(256), 'must be an image tag'],
    ['$Latest (ECS)', 'checkout', '$Latest', 'must be an image tag'],
    ['$Latest (Auto Scaling group)', 'search', '$Latest', 'must be a launch-template version number'],
    ['$Default', 'search', '$Default', 'must be a launch-template version number'],
    ['an image tag for an Auto Scaling group', 'search', 'v41', 'must be a launch-template version number'],
  ])('refuses a version with %s by the rule preflight applies, naming --version', (_, service, version, problem) => {
    const search = service === 'search' ? { service, 'target-group': SEARCH_SERVICE.traffic.targetGroupArns[0], fleet: 'search-prod-v7' } : {};
    expect(usageMessage(() => parseOnboardArgs(args({ ...search, version })))).toContain(`--version: ${problem}`);
  });

  it('takes a digest for an ECS service and a launch-template number for an Auto Scaling group', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    expect(parseOnboardArgs(args({ version: digest }))).toMatchObject({ version: digest });
    const search = { service: 'search', 'target-group': SEARCH_SERVICE.traffic.targetGroupArns[0], fleet: 'search-prod-v7' };
    expect(parseOnboardArgs(args({ ...search, version: '41' }))).toMatchObject({ version: '41' });
  });

  it('refuses while a release holds the lock, even with --replace, and publishes nothing', async () => {
    const { ledger, tableName } = await newLedger();
    const store = storeOf(tableName);
    const request = parseOnboardArgs(args());
    if (request === 'help') throw new Error('unexpected help');
    await onboard(ledger, store, request);
    await ledger.startRelease(startInput());
    const changed = { ...request, service: { ...request.service, terminationWaitSeconds: 5 } };
    const refused = await onboard(ledger, store, { ...changed, version: 'v99', replace: true }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(LockNotOwnedError);
    expect(await ledger.getStable({ service: 'checkout', environment: 'prod' })).toMatchObject({ version: 'v41' });
    expect((await store.load()).config.services).toEqual([CHECKOUT_SERVICE]);
  });

  it('adds the service to the configuration already published, writing only its item', async () => {
    const { ledger, tableName } = await newLedger();
    const store = storeOf(tableName);
    await store.publish(configOf(2), 'cdk deploy');
    const request = parseOnboardArgs(args());
    if (request === 'help') throw new Error('unexpected help');
    expect((await onboard(ledger, store, request)).revision).toBe(2);
    const { revision, config } = await store.load();
    expect({ revision, services: config.services.map((s) => s.service) }).toEqual({ revision: 2, services: ['checkout', 'svc-0000', 'svc-0001'] });
    expect(await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: CONFIG_PK, sk: serviceSk('svc-0000', 'prod') } }))).toMatchObject({ Item: { revision: 1, updatedBy: 'cdk deploy' } });
    expect(await documentClient.send(new GetCommand({ TableName: tableName, Key: { pk: CONFIG_PK, sk: serviceSk('checkout', 'prod') } }))).toMatchObject({ Item: { revision: 2, updatedBy: 'rollgate onboard' } });
  });

  it('refuses, naming --config, a service the published configuration cannot take, and writes nothing', async () => {
    const { ledger, tableName } = await newLedger();
    const store = storeOf(tableName);
    // Published without a Slack app: checkout's plan asks for an approval.
    await store.publish({ services: [{ ...numberedService(0), plan: { steps: [{ type: 'traffic', weight: 100, bakeSeconds: 0 }] } }] }, 'cdk deploy');
    const done = await runOnboard(args({ table: tableName }));
    expect(done.code).toBe(2);
    expect(done.stderr).toContain('--config: checkout/prod cannot join the published configuration: config: slack: is required');
    expect(await ledger.getStable({ service: 'checkout', environment: 'prod' })).toBeUndefined();
    expect((await store.load()).revision).toBe(1);
  });

  it('takes an Auto Scaling group service from a given configuration file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-onboard-'));
    onTestFinished(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const file = join(dir, 'services.json');
    writeFileSync(file, JSON.stringify({ services: [SEARCH_SERVICE] }));
    const [searchBlue] = SEARCH_SERVICE.traffic.targetGroupArns;
    const request = parseOnboardArgs(args({ service: 'search', version: '41', 'target-group': searchBlue, fleet: 'search-prod-v7', config: file }));
    expect(request).toMatchObject({ service: { service: 'search' }, fleet: { kind: 'auto-scaling-group', id: 'search-prod-v7', targetGroup: searchBlue } });
    // checkout is not in that file.
    expect(usageMessage(() => parseOnboardArgs(args({ config: file })))).toMatch(/--service\/--environment: checkout\/prod is not an onboarded service\+environment \(onboarded: search\/prod\)/);
  });

  it('names the flag whose value contradicts the configuration', () => {
    expect(usageMessage(() => parseOnboardArgs(args({ 'target-group': SEARCH_SERVICE.traffic.targetGroupArns[0] })))).toContain(
      '--target-group: must be one of the pair of checkout/prod',
    );
    expect(usageMessage(() => parseOnboardArgs(args({ fleet: 'checkout-blue' })))).toContain('--fleet: must be a task set id of ECS service checkout');
    expect(usageMessage(() => parseOnboardArgs(args({ service: 'search', 'target-group': SEARCH_SERVICE.traffic.targetGroupArns[0], fleet: 'other-v7' })))).toContain(
      '--fleet: must be an Auto Scaling group named search-prod-…',
    );
    expect(usageMessage(() => parseOnboardArgs(args({ table: 'ab' })))).toContain('--table: must be a DynamoDB table name');
    expect(usageMessage(() => parseOnboardArgs(args({ config: '/nonexistent/services.json' })))).toContain('--config:');
    expect(usageMessage(() => parseOnboardArgs([...args(), '--bogus']))).toContain("Unknown option '--bogus'");
    expect(parseOnboardArgs(['--help'])).toBe('help');
  });
});
