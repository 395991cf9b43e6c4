/**
 * IAM that scales: the stack synthesized with 10, 100 and 1,000 generated
 * services (bench/generate-config.ts: ECS and Auto Scaling group fleets,
 * listener default actions and rules, alarms, migrations, build triggers,
 * dark canaries, approvals) gives every role the same policies — byte for
 * byte — because the grants are scoped by the rollgate:service tag and to the
 * stack's account and region, never by a service's ARNs (infra/grants.ts).
 * And every policy is within IAM's quotas once CloudFormation resolves it:
 * a role's inline policies at most 10,240 characters in all, a managed policy
 * at most 6,144, at most 10 managed policies per role.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateConfig } from '../../bench/generate-config.js';
import { IAM_LIMITS, managedPolicies, policySize as size, rolePolicies, type RolePolicies } from '../../bench/policy-size.js';
import { synthStack } from './synth.js';

type Statement = { Action: string | string[] };

/** Every role of the stack synthesized with `count` generated services, by logical id, with its policies. */
function rolePoliciesOf(count: number): Map<string, RolePolicies> {
  const roles = rolePolicies(synthStack({ config: generateConfig(count) }).template.toJSON());
  for (const [id, { managedCount }] of roles) expect(managedCount, `${id} managed policies`).toBeLessThanOrEqual(IAM_LIMITS.managedPerRole);
  return roles;
}

/** `policies` with every CDK asset hash (64 hex digits, the S3 key of an asset) written as `<hash>`. */
function withoutAssetHashes(policies: RolePolicies | undefined): unknown {
  return JSON.parse(JSON.stringify(policies ?? null).replace(/[0-9a-f]{64}/g, '<hash>'));
}

const COUNTS = [10, 100, 1000] as const;
const byCount = new Map<number, Map<string, RolePolicies>>();

beforeAll(() => {
  for (const count of COUNTS) byCount.set(count, rolePoliciesOf(count));
}, 120_000);

describe('IAM policies with 10, 100 and 1,000 services', () => {
  it('generates the services asked for, of every kind the grants cover', () => {
    for (const count of COUNTS) {
      const { services } = generateConfig(count);
      expect(services).toHaveLength(count);
      expect(services.some((s) => s.fleet.kind === 'ecs') && services.some((s) => s.fleet.kind === 'asg')).toBe(true);
      expect(services.some((s) => s.migration !== undefined) && services.some((s) => s.traffic.ruleArn !== undefined)).toBe(true);
    }
    // The policies checked below hold every fleet, router and migration action.
    const actions = [...(byCount.get(10)?.values() ?? [])].flatMap((r) =>
      r.inline.flatMap((d) => (d as { Statement: Statement[] }).Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))),
    );
    for (const action of ['ecs:CreateTaskSet', 'autoscaling:CreateAutoScalingGroup', 'ec2:RunInstances', 'iam:PassRole', 'ecs:RunTask', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:CreateRule']) {
      expect(actions, action).toContain(action);
    }
  });

  it.each(COUNTS)("keeps every role's inline policies within 10,240 characters in all, resolved, with %i services", (count) => {
    const roles = byCount.get(count) ?? new Map<string, RolePolicies>();
    expect(roles.size).toBeGreaterThan(10);
    for (const [id, { inline, managed }] of roles) {
      expect(inline.reduce<number>((sum, d) => sum + size(d), 0), id).toBeLessThanOrEqual(IAM_LIMITS.inlinePerRole);
      for (const document of managed) expect(size(document), id).toBeLessThanOrEqual(IAM_LIMITS.managedPolicy);
    }
  });

  it('keeps every managed policy within 6,144 characters, resolved, with 1,000 services', () => {
    const documents = managedPolicies(synthStack({ config: generateConfig(1000) }).template.toJSON());
    expect(documents.length).toBeGreaterThan(0);
    for (const document of documents) expect(size(document)).toBeLessThanOrEqual(IAM_LIMITS.managedPolicy);
  });

  it('gives every role the same policies, byte for byte, with 10, 100 or 1,000 services', () => {
    const [first, ...others] = COUNTS.map((count) => byCount.get(count) ?? new Map<string, RolePolicies>());
    if (first === undefined) throw new Error('no synth');
    for (const other of others) {
      expect([...other.keys()].sort()).toEqual([...first.keys()].sort());
      for (const [id, policies] of first) {
        // The configuration publisher reads the configuration's asset, named by its content hash: the one difference.
        expect(withoutAssetHashes(other.get(id)), id).toEqual(withoutAssetHashes(policies));
        expect(other.get(id)?.inline.map(size), id).toEqual(policies.inline.map(size));
      }
    }
  });
});
