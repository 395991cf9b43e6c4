import { describe, expect, it } from 'vitest';
import { findService, migrationTimeoutSeconds, parseConfig, type RollgateConfigInput } from '../../functions/config.js';
import { InvalidInputError, UnknownServiceError } from '../../functions/errors.js';
import { CHECKOUT_SERVICE, SAMPLE_SLACK, SEARCH_SERVICE } from '../../local/sample-config.js';

// The checked-in sample's ECS service, alone, with the sample's Slack app (its plan asks for an approval).
const sampleConfig: RollgateConfigInput = { services: [structuredClone(CHECKOUT_SERVICE)], slack: SAMPLE_SLACK };

function configError(mutate: (config: RollgateConfigInput) => void): InvalidInputError {
  const config = structuredClone(sampleConfig);
  mutate(config);
  try {
    parseConfig(config);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('config was accepted');
}

describe('service configuration', () => {
  it('parses the sample and fills in defaults for what it leaves out', () => {
    const config = parseConfig(sampleConfig);
    const checkout = findService(config, 'checkout', 'prod');
    expect(checkout.traffic.stickiness).toBeUndefined();
    expect(checkout.plan.steps[2]).toEqual({ type: 'approval', approvers: { users: ['U01ALICE', 'U02BOB'], groups: ['S0RELEASEMGR'] }, timeoutSeconds: 86_400 });
    const defaults = parseConfig({ services: [{ ...CHECKOUT_SERVICE, healthGate: undefined, terminationWaitSeconds: undefined }], slack: SAMPLE_SLACK });
    expect(defaults.services[0]?.healthGate).toEqual({ timeoutSeconds: 600, intervalSeconds: 15 });
    expect(defaults.services[0]?.terminationWaitSeconds).toBe(300);
  });

  it('names an unknown service or environment and lists the onboarded ones', () => {
    const config = parseConfig(sampleConfig);
    for (const [service, environment] of [['checkout', 'staging'], ['payments', 'prod']] as const) {
      const error = (() => {
        try {
          return findService(config, service, environment);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(UnknownServiceError);
      expect((error as Error).message).toBe(`${service}/${environment} is not an onboarded service+environment (onboarded: checkout/prod)`);
    }
  });

  it.each<[string, (c: RollgateConfigInput) => void, string]>([
    ['a listener that is not a listener ARN', (c) => { if (c.services[0]) c.services[0].traffic.listenerArn = 'listener-1'; }, 'services.0.traffic.listenerArn'],
    ['the same target group twice', (c) => { const t = c.services[0]?.traffic; if (t) t.targetGroupArns = [t.targetGroupArns[0], t.targetGroupArns[0]]; }, 'services.0.traffic.targetGroupArns'],
    ['no alarms', (c) => { if (c.services[0]) c.services[0].alarms = []; }, 'services.0.alarms'],
    ['a bad plan step', (c) => { if (c.services[0]) c.services[0].plan = { steps: [{ type: 'traffic', weight: 50 }] }; }, 'services.0.plan.steps.0.weight'],
    ['a service onboarded twice', (c) => { const s = c.services[0]; if (s) c.services.push(structuredClone(s)); }, 'services.1'],
    ['an unknown fleet kind', (c) => { if (c.services[0]) (c.services[0].fleet as { kind: string }).kind = 'lambda'; }, 'services.0.fleet.kind'],
    ['a task role that is not an IAM role ARN', (c) => { const f = c.services[0]?.fleet; if (f?.kind === 'ecs') f.taskRoleArns = ['checkout-task']; }, 'services.0.fleet.taskRoleArns.0'],
    ['a build trigger naming neither a repository nor a project', (c) => { if (c.services[0]) c.services[0].buildTrigger = {}; }, 'services.0.buildTrigger'],
    ['an ECR repository given as a URI', (c) => { if (c.services[0]) c.services[0].buildTrigger = { ecrRepository: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/checkout' }; }, 'services.0.buildTrigger.ecrRepository'],
  ])('refuses %s, naming the field', (_, mutate, field) => {
    expect(configError(mutate).field).toBe(field);
  });

  it('defaults the roles to pass to none and the build version variable to ROLLGATE_VERSION', () => {
    const { fleet, migration } = structuredClone(CHECKOUT_SERVICE);
    const config = parseConfig({
      services: [{ ...CHECKOUT_SERVICE, fleet: { ...fleet, taskRoleArns: undefined }, migration: { ...migration, taskRoleArns: undefined }, buildTrigger: { codeBuildProject: 'checkout-build' } }],
      slack: SAMPLE_SLACK,
    });
    const checkout = findService(config, 'checkout', 'prod');
    expect(checkout.fleet.kind === 'ecs' ? checkout.fleet.taskRoleArns : undefined).toEqual([]);
    expect(checkout.migration?.taskRoleArns).toEqual([]);
    expect(checkout.buildTrigger).toEqual({ codeBuildProject: 'checkout-build', versionVariable: 'ROLLGATE_VERSION' });
  });

  it('refuses releasing an Auto Scaling group service from image pushes, naming the field', () => {
    const error = (() => {
      try {
        return parseConfig({ services: [{ ...structuredClone(SEARCH_SERVICE), buildTrigger: { ecrRepository: 'search' } }] });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe('services.0.buildTrigger.ecrRepository');
    expect((error as InvalidInputError).problem).toMatch(/needs an ECS fleet/);
  });
});

describe('bounds that keep a release inside the Step Functions quotas', () => {
  it('defaults the migration timeout to 30 minutes, or to 240 polls when the poll interval is shorter than 7.5 s', () => {
    expect(migrationTimeoutSeconds(findService(parseConfig(sampleConfig), 'checkout', 'prod'))).toBe(1800);
    const fast = parseConfig({ services: [{ ...structuredClone(CHECKOUT_SERVICE), healthGate: { timeoutSeconds: 60, intervalSeconds: 1 } }], slack: SAMPLE_SLACK });
    expect(migrationTimeoutSeconds(findService(fast, 'checkout', 'prod'))).toBe(240);
    const configured = parseConfig({ services: [{ ...structuredClone(CHECKOUT_SERVICE), migration: { ...CHECKOUT_SERVICE.migration, timeoutSeconds: 90 } }], slack: SAMPLE_SLACK });
    expect(migrationTimeoutSeconds(findService(configured, 'checkout', 'prod'))).toBe(90);
  });

  it.each<[string, (config: RollgateConfigInput) => void, string, RegExp]>([
    ['a health gate polled more than 240 times (3,600 s every second)', (c) => { const s = c.services[0]; if (s) s.healthGate = { timeoutSeconds: 3600, intervalSeconds: 1 }; }, 'services.0.healthGate.intervalSeconds', /at least timeoutSeconds \/ 240/],
    ['a migration polled more than 240 times', (c) => { const m = c.services[0]?.migration; if (m) m.timeoutSeconds = 4 * 3600; }, 'services.0.migration.timeoutSeconds', /at most 240 × healthGate\.intervalSeconds \(3600 s\)/],
    ['a migration timeout over 6 hours', (c) => { const m = c.services[0]?.migration; if (m) m.timeoutSeconds = 6 * 3600 + 1; }, 'services.0.migration.timeoutSeconds', /<=21600/],
    ['a migration timeout of 0', (c) => { const m = c.services[0]?.migration; if (m) m.timeoutSeconds = 0; }, 'services.0.migration.timeoutSeconds', />=1/],
    ['alarm names over 4 KiB in all', (c) => { const s = c.services[0]; if (s) s.alarms = Array.from({ length: 20 }, (_, i) => `${String(i)}${'a'.repeat(250)}`); }, 'services.0.alarms', /at most 4096 bytes of names/],
    ['a listener ARN over 2,048 characters', (c) => { const s = c.services[0]; if (s) s.traffic.listenerArn = `${s.traffic.listenerArn}${'0'.repeat(2048)}`; }, 'services.0.traffic.listenerArn', /<=2048/],
  ])('refuses %s, naming the field', (_, mutate, field, message) => {
    const error = configError(mutate);
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
  });
});
