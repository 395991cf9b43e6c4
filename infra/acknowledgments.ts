/**
 * Acknowledging cdk-nag findings with reasons that say why *this* stack needs
 * them. cdk-nag v3 reads CDK's own acknowledgments
 * (`Validations.of(construct).acknowledge`), by exact finding id: a wildcard
 * in a policy is `AwsSolutions-IAM5[Resource::<resource>]`, the resource
 * flattened the way cdk-nag flattens CloudFormation references. So each
 * wildcard a role holds is acknowledged one by one, with the reason of the
 * grant it came from, and a wildcard nobody explained fails synth here.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import { InvalidInputError } from '../functions/errors.js';

/**
 * A CloudFormation value as one string, as cdk-nag writes it in finding ids:
 * `Fn::Join` joined, `Ref` → `<Id>`, `Fn::GetAtt` → `<Id.Attr>`, `${X}` → `<X>`.
 * (The same rules as cdk-nag's `flattenCfnReference`, which it does not export.)
 */
export function flattenCfnReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    const join = node['Fn::Join'];
    if (Array.isArray(join)) {
      const [delimiter, items] = join as [string, unknown[]];
      return items.map(flattenCfnReference).join(delimiter);
    }
    if ('Fn::Sub' in node) return flattenCfnReference(node['Fn::Sub']);
    const getAtt = node['Fn::GetAtt'];
    if (Array.isArray(getAtt)) {
      const [resource, attribute] = getAtt as [unknown, unknown];
      return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
    }
    if ('Fn::ImportValue' in node) return flattenCfnReference(node['Fn::ImportValue']);
    if ('Ref' in node) return `<${flattenCfnReference(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** A resolved IAM statement, as far as the findings go. */
interface StatementJson {
  readonly Effect?: string;
  readonly Action?: string | readonly string[];
  readonly Resource?: unknown;
}

const asArray = <T>(value: T | readonly T[] | undefined): readonly T[] =>
  value === undefined ? [] : Array.isArray(value) ? (value as readonly T[]) : [value as T];

/** The IAM5 findings (`Action::…`, `Resource::…`) of one statement, as cdk-nag computes them. */
export function wildcardFindings(scope: IConstruct, statement: iam.PolicyStatement): string[] {
  const json = Stack.of(scope).resolve(statement.toStatementJson()) as StatementJson;
  if (json.Effect !== 'Allow') return [];
  const actions = asArray(json.Action).filter((a) => a.includes('*')).map((a) => `Action::${a}`);
  const resources = asArray(json.Resource)
    .map(flattenCfnReference)
    .filter((r) => r.includes('*'))
    .map((r) => `Resource::${r}`);
  return [...actions, ...resources];
}

/** A statement a construct holds and why it needs whatever wildcard it has. */
export interface ExplainedStatement {
  readonly statement: iam.PolicyStatement;
  readonly reason: string;
}

/**
 * Acknowledges, on `construct`, every IAM5 finding of `statements` with its
 * statement's reason (reasons of statements sharing a finding are joined).
 */
export function acknowledgeWildcards(construct: IConstruct, statements: readonly ExplainedStatement[]): void {
  const reasons = new Map<string, Set<string>>();
  for (const { statement, reason } of statements) {
    for (const finding of wildcardFindings(construct, statement)) {
      const set = reasons.get(finding) ?? new Set<string>();
      set.add(reason);
      reasons.set(finding, set);
    }
  }
  for (const [finding, why] of reasons) {
    Validations.of(construct).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: [...why].join(' / ') });
  }
}

/**
 * Acknowledges the wildcards of a policy CDK wrote on its own (a state
 * machine's logging and tracing, a grant's versions), each finding explained
 * by the first `explanations` entry whose pattern matches it; a finding
 * nothing explains fails synth, naming it.
 */
export function acknowledgePolicyWildcards(
  construct: IConstruct,
  policy: iam.Policy,
  explanations: readonly { readonly finding: RegExp; readonly reason: string }[],
): void {
  const document = Stack.of(construct).resolve(policy.document) as { Statement?: StatementJson[] };
  const findings = new Set<string>();
  for (const statement of document.Statement ?? []) {
    if (statement.Effect !== 'Allow') continue;
    for (const a of asArray(statement.Action)) if (a.includes('*')) findings.add(`Action::${a}`);
    for (const r of asArray(statement.Resource).map(flattenCfnReference)) if (r.includes('*')) findings.add(`Resource::${r}`);
  }
  for (const finding of findings) {
    const explanation = explanations.find((e) => e.finding.test(finding));
    if (explanation === undefined) {
      throw new InvalidInputError(construct.node.path, 'policy', `has the wildcard ${finding}, which no acknowledgment explains`);
    }
    Validations.of(construct).acknowledge({ id: `AwsSolutions-IAM5[${finding}]`, reason: explanation.reason });
  }
}
