import { describe, expect, it } from 'vitest';
import {
  approvalChannel,
  findService,
  fourEyesFor,
  parseConfig,
  requireSlack,
  type RollgateConfigInput,
} from '../../functions/config.js';
import { InvalidInputError } from '../../functions/errors.js';
import type { AlarmSource, Ledger } from '../../functions/ports.js';
import { preflight } from '../../functions/steps/preflight.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG, SAMPLE_SLACK, SEARCH_SERVICE } from '../../local/sample-config.js';
import { TouchedError, untouched } from './untouched.js';

/** The InvalidInputError `run` throws (or fails the test). */
function invalid(run: () => unknown): InvalidInputError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('accepted');
}

function configError(mutate: (config: RollgateConfigInput) => void): InvalidInputError {
  const config = structuredClone(SAMPLE_CONFIG);
  mutate(config);
  return invalid(() => parseConfig(config));
}

/** Without Slack: search alone, whose plan asks no one. */
const NO_SLACK: RollgateConfigInput = { services: [structuredClone(SEARCH_SERVICE)] };

describe('Slack and approvals configuration', () => {
  it('parses the sample: the Slack app, checkout with its own channel, and four-eyes on by default', () => {
    const config = parseConfig(SAMPLE_CONFIG);
    expect(config.slack).toEqual(SAMPLE_SLACK);
    expect(findService(config, 'checkout', 'prod').approvals).toEqual({ slackChannel: 'C0CHECKOUT1', fourEyes: true });
    expect(findService(config, 'search', 'prod').approvals).toEqual({ fourEyes: true });
  });

  it('accepts a configuration without Slack when no plan has an approval step', () => {
    expect(parseConfig(NO_SLACK).slack).toBeUndefined();
  });

  it('refuses a plan with an approval step and no Slack, at slack, naming the service', () => {
    const error = invalid(() => parseConfig({ services: [structuredClone(SEARCH_SERVICE), structuredClone(CHECKOUT_SERVICE)] }));
    expect(error.field).toBe('slack');
    expect(error.message).toMatch(/^config: slack: is required: the plan of checkout\/prod has an approval step/);
  });

  it.each<[string, (c: RollgateConfigInput) => void, string]>([
    ['an empty secret name', (c) => { if (c.slack) c.slack.botTokenSecretName = ''; }, 'slack.botTokenSecretName'],
    ['a secret name with a space', (c) => { if (c.slack) c.slack.signingSecretName = 'rollgate slack'; }, 'slack.signingSecretName'],
    ['a secret name over 512 characters', (c) => { if (c.slack) c.slack.botTokenSecretName = 's'.repeat(513); }, 'slack.botTokenSecretName'],
    ['the signing secret in the bot-token secret', (c) => { if (c.slack) c.slack.signingSecretName = c.slack.botTokenSecretName; }, 'slack.signingSecretName'],
    ['the one secret of earlier versions', (c) => { if (c.slack) (c.slack as Record<string, unknown>).secretName = 'rollgate/slack'; }, 'slack.secretName'],
    ['a channel name instead of its id', (c) => { if (c.slack) c.slack.channel = '#releases'; }, 'slack.channel'],
    ['a lower-case channel id', (c) => { if (c.slack) c.slack.channel = 'c0releases1'; }, 'slack.channel'],
    ['a team id that is not T…', (c) => { if (c.slack) c.slack.teamId = 'E0EXAMPLE1'; }, 'slack.teamId'],
    ['a public URL over plain http', (c) => { if (c.slack) c.slack.publicBaseUrl = 'http://approvals.example.com'; }, 'slack.publicBaseUrl'],
    ['a public URL with a query', (c) => { if (c.slack) c.slack.publicBaseUrl = 'https://approvals.example.com/?x=1'; }, 'slack.publicBaseUrl'],
    ['a public URL that is not a URL', (c) => { if (c.slack) c.slack.publicBaseUrl = 'approvals.example.com'; }, 'slack.publicBaseUrl'],
    ['a service channel that is not a channel id', (c) => { const s = c.services[0]; if (s) s.approvals = { slackChannel: 'releases' }; }, 'services.0.approvals.slackChannel'],
    ['four-eyes that is not a boolean', (c) => { const s = c.services[0]; if (s) (s as { approvals: unknown }).approvals = { fourEyes: 'no' }; }, 'services.0.approvals.fourEyes'],
  ])('refuses %s, naming the field', (_, mutate, field) => {
    expect(configError(mutate).field).toBe(field);
  });

  it('refuses unknown keys in slack and in a service approvals block', () => {
    expect(configError((c) => { (c.slack as Record<string, unknown>).botToken = 'xoxb-1'; }).field).toBe('slack');
    expect(configError((c) => { const s = c.services[0]; if (s) (s as { approvals: unknown }).approvals = { channel: 'C0RELEASES1' }; }).field).toBe('services.0.approvals');
  });

  it('sends a service to its own channel, else to the default channel', () => {
    const config = parseConfig(SAMPLE_CONFIG);
    expect(approvalChannel(config, { service: 'checkout', environment: 'prod' })).toBe('C0CHECKOUT1');
    expect(approvalChannel(config, { service: 'search', environment: 'prod' })).toBe(SAMPLE_SLACK.channel);
  });

  it("holds four-eyes as the service says, and for a service it does not know", () => {
    const config = structuredClone(SAMPLE_CONFIG);
    const search = config.services[1];
    if (search !== undefined) search.approvals = { fourEyes: false };
    const parsed = parseConfig(config);
    expect(fourEyesFor(parsed, { service: 'search', environment: 'prod' })).toBe(false);
    expect(fourEyesFor(parsed, { service: 'checkout', environment: 'prod' })).toBe(true);
    expect(fourEyesFor(parsed, { service: 'payments', environment: 'prod' })).toBe(true);
  });

  it('requireSlack (the approval functions\' cold start) names slack when it is not configured', () => {
    expect(requireSlack(parseConfig(SAMPLE_CONFIG))).toEqual(SAMPLE_SLACK);
    const error = invalid(() => requireSlack(parseConfig(NO_SLACK)));
    expect(error).toMatchObject({ name: 'InvalidInputError', operation: 'config', field: 'slack' });
    expect(invalid(() => approvalChannel(parseConfig(NO_SLACK), { service: 'search', environment: 'prod' })).field).toBe('slack');
  });
});

describe('preflight of a release whose plan asks for an approval', () => {
  const event = (plan?: unknown) => ({
    input: { service: 'search', environment: 'prod', version: '42', trigger: { source: 'test' }, ...(plan === undefined ? {} : { plan }) },
    executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:release:run-1',
    startTime: '2030-01-01T00:00:00.000Z',
  });
  // No ledger: the check must refuse before anything is read or written.
  const deps = (config: RollgateConfigInput) => ({ config: parseConfig(config), ledger: untouched<Ledger>('Ledger'), alarms: untouched<AlarmSource>('AlarmSource'), now: () => new Date() });
  const withApproval = {
    steps: [
      { type: 'traffic', weight: 25, bakeSeconds: 60 },
      { type: 'approval', approvers: { users: ['U01ALICE'] } },
      { type: 'traffic', weight: 100, bakeSeconds: 60 },
    ],
  };

  it('fails with InvalidInputError naming the approval step and slack when Slack is not configured', async () => {
    const refused = preflight.invoke(deps(NO_SLACK), event(withApproval));
    await expect(refused).rejects.toThrow(InvalidInputError);
    await expect(refused).rejects.toMatchObject({ operation: 'release input plan', field: 'steps.1', problem: expect.stringContaining('needs slack in the configuration') as string });
  });

  it('goes on to the ledger when Slack is configured, or when the plan asks no one', async () => {
    await expect(preflight.invoke(deps({ ...NO_SLACK, slack: SAMPLE_SLACK }), event(withApproval))).rejects.toThrow(TouchedError);
    await expect(preflight.invoke(deps(NO_SLACK), event())).rejects.toThrow(TouchedError);
  });
});
