/**
 * How large a synthesized stack's IAM policies are once CloudFormation
 * resolves them, as IAM counts them: a role's inline policies at most 10,240
 * characters in all, a managed policy at most 6,144, at most 10 managed
 * policies per role (whitespace not counted).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 *
 * Shared by the policy-size test (test/infra/iam-policy-size.test.ts) and the
 * scale bench (bench/scale.bench.ts), so both measure the same way.
 */

/** IAM's quotas on policy size, in characters excluding whitespace. */
export const IAM_LIMITS = { inlinePerRole: 10_240, managedPolicy: 6_144, managedPerRole: 10 } as const;

type Resource = { readonly Type: string; readonly Properties?: Record<string, unknown> };

/**
 * The longest a value can be once CloudFormation resolves it, so the sizes
 * are upper bounds of what IAM measures: the longest partition and region
 * names, a 12-digit account, 256 characters for an attribute (an ARN) of a
 * resource of the stack and 64 for its Ref (a name or id).
 */
function resolved(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolved);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const [key, arg] = entries[0] ?? [];
  if (entries.length === 1 && key === 'Ref') {
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws-us-gov', 'AWS::Region': 'ap-southeast-4', 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com.cn' };
    return pseudo[String(arg)] ?? 'r'.repeat(64);
  }
  if (entries.length === 1 && key === 'Fn::GetAtt') return 'a'.repeat(256);
  if (entries.length === 1 && key === 'Fn::Join') {
    const [separator, parts] = arg as [string, unknown[]];
    return parts.map((p) => String(resolved(p))).join(separator);
  }
  if (entries.length === 1 && key === 'Fn::Sub' && typeof arg === 'string') {
    // CDK's asset bucket name (`cdk-…-assets-${AWS::AccountId}-${AWS::Region}`): each variable at its longest.
    return arg.replace(/\$\{([^}]+)\}/g, (_match: string, name: string) => String(resolved({ Ref: name })));
  }
  if (entries.length === 1 && key?.startsWith('Fn::') === true) throw new Error(`no upper bound for ${key} in a policy`);
  return Object.fromEntries(entries.map(([k, v]) => [k, resolved(v)]));
}

/** Characters of a policy document once resolved, as IAM counts them (no whitespace). */
export function policySize(document: unknown): number {
  return JSON.stringify(resolved(document)).replace(/\s/g, '').length;
}

/** One role's policies: its inline documents (its own and the AWS::IAM::Policy resources attached to it) and its managed ones of the stack. */
export interface RolePolicies {
  readonly inline: readonly unknown[];
  readonly managed: readonly unknown[];
  /** Managed policies attached by ARN (counted against the per-role quota). */
  readonly managedCount: number;
}

function resourcesOf(template: unknown): Record<string, Resource> {
  const resources = (template as { Resources?: Record<string, Resource> }).Resources;
  if (resources === undefined) throw new Error('not a CloudFormation template: no Resources');
  return resources;
}

const refs = (resource: Resource, property: string): (string | undefined)[] =>
  ((resource.Properties?.[property] as { Ref?: string }[] | undefined) ?? []).map((x) => x.Ref);

/** Every role of a synthesized template, by logical id, with its policies. */
export function rolePolicies(template: unknown): Map<string, RolePolicies> {
  const resources = resourcesOf(template);
  const roles = new Map<string, RolePolicies>();
  for (const [id, role] of Object.entries(resources)) {
    if (role.Type !== 'AWS::IAM::Role') continue;
    const own = ((role.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((p) => p.PolicyDocument);
    const inline = Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && refs(r, 'Roles').includes(id))
      .map((r) => r.Properties?.PolicyDocument);
    const managedArns = (role.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? [];
    const managedIds = refs(role, 'ManagedPolicyArns');
    const attached = Object.entries(resources).filter(([mid, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && (refs(r, 'Roles').includes(id) || managedIds.includes(mid)));
    // Those of the stack attached through their own Roles, and every ARN the role lists (AWS managed ones too).
    const managedCount = managedArns.length + attached.filter(([mid]) => !managedIds.includes(mid)).length;
    roles.set(id, { inline: [...own, ...inline], managed: attached.map(([, r]) => r.Properties?.PolicyDocument), managedCount });
  }
  return roles;
}

/** Every managed policy document of a template (the control API's read-only and operator policies are attached to no role of it). */
export function managedPolicies(template: unknown): unknown[] {
  return Object.values(resourcesOf(template))
    .filter((r) => r.Type === 'AWS::IAM::ManagedPolicy')
    .map((r) => r.Properties?.PolicyDocument);
}

/** The largest figures of a template: the most inline characters one role holds, and the largest managed policy. */
export function largestPolicies(template: unknown): { readonly inlineCharsPerRole: { readonly role: string; readonly chars: number }; readonly managedPolicyChars: number } {
  let largest = { role: '', chars: 0 };
  for (const [role, { inline }] of rolePolicies(template)) {
    const chars = inline.reduce<number>((sum, document) => sum + policySize(document), 0);
    if (chars > largest.chars) largest = { role, chars };
  }
  return { inlineCharsPerRole: largest, managedPolicyChars: Math.max(0, ...managedPolicies(template).map(policySize)) };
}
