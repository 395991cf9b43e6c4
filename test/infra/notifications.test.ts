/**
 * The Notifier in the template: a function on the ledger table's stream with
 * the event source mapping the notifier's retry semantics rely on, and a
 * role holding exactly PutEvents on the default bus, the Slack bot-token
 * secret, the stream read and the on-failure queue (plus its logs).
 */
import type { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import type { RollgateConfigInput } from '../../functions/config.js';
import { ENV } from '../../functions/handlers/environment.js';
import { CONFIG_READ_ACTIONS } from '../../infra/config-publisher.js';
import { ON_FAILURE_ACTIONS, STREAM_READ_ACTIONS } from '../../infra/grants.js';
import { SAMPLE_CONFIG, SAMPLE_SLACK } from '../../local/sample-config.js';
import { synthStack } from './synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

function synthesized(config?: RollgateConfigInput) {
  const { stack, template } = synthStack(config === undefined ? {} : { config });
  const resources = (template.toJSON() as { Resources: Record<string, Resource> }).Resources;
  const id = (construct: { node: { defaultChild?: unknown } } | undefined): string => {
    const child = construct?.node.defaultChild;
    if (child === undefined) throw new Error('no such construct');
    return stack.getLogicalId(child as Parameters<Stack['getLogicalId']>[0]);
  };
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const notifierId = id(stack.orchestrator.functions.Notifier);
  const roleId = (resources[notifierId]?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  return { stack, template, resources, ofType, notifierId, statements, ledgerId: id(stack.orchestrator.ledgerTable), dlqId: id(stack.orchestrator.deadLetterQueue) };
}

const sample = synthesized();
const actions = (s: Statement): string[] => (Array.isArray(s.Action) ? [...s.Action] : [s.Action]).sort();

/** The sample without its Slack app (and so without the approval steps that need one). */
const NO_SLACK: RollgateConfigInput = {
  ...structuredClone(SAMPLE_CONFIG),
  slack: undefined,
  services: SAMPLE_CONFIG.services.map((s) => ({ ...structuredClone(s), plan: { steps: s.plan.steps.filter((step) => step.type !== 'approval') } })),
};

describe('Notifier', () => {
  it('is fed by the ledger table stream: batches of 10, bisected on error, 5 retries, batch item failures, the dead-letter queue on failure', () => {
    const mappings = sample.ofType('AWS::Lambda::EventSourceMapping');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]?.[1].Properties).toEqual({
      FunctionName: { Ref: sample.notifierId },
      EventSourceArn: { 'Fn::GetAtt': [sample.ledgerId, 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [sample.dlqId, 'Arn'] } } },
    });
  });

  it('reads the stream of new and old images of the ledger', () => {
    expect(sample.resources[sample.ledgerId]?.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_AND_OLD_IMAGES' });
  });

  it('is invoked by its event source only: no EventBridge rule, API or asynchronous dead-letter configuration', () => {
    const fn = sample.resources[sample.notifierId]?.Properties;
    expect(fn?.DeadLetterConfig).toBeUndefined();
    expect(sample.ofType('AWS::Lambda::Permission').filter(([, p]) => JSON.stringify(p.Properties.FunctionName).includes(sample.notifierId))).toEqual([]);
    expect(sample.ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => JSON.stringify(c.Properties.FunctionName).includes(sample.notifierId))).toEqual([]);
  });

  it('has the ledger table in its environment only for its configuration items: it reads the stream, never a release', () => {
    const env = (sample.resources[sample.notifierId]?.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env[ENV.ledgerTable]).toEqual({ Ref: sample.ledgerId });
  });

  it('holds exactly PutEvents on the default bus, the bot-token secret, the stream read, the on-failure queue and its logs', () => {
    const { statements, stack, ledgerId, dlqId } = sample;
    const region = stack.resolve(stack.region) as unknown;
    const account = stack.resolve(stack.account) as unknown;
    const partition = stack.resolve(stack.partition) as unknown;
    const withoutLogs = statements.filter((s) => !actions(s).every((a) => a.startsWith('logs:')));
    expect(withoutLogs.map((s) => ({ ...s, Action: actions(s) }))).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['events:PutEvents'],
          Resource: { 'Fn::Join': ['', ['arn:', partition, ':events:', region, ':', account, ':event-bus/default']] },
        },
        {
          Effect: 'Allow',
          Action: ['secretsmanager:GetSecretValue'],
          Resource: { 'Fn::Join': ['', ['arn:', partition, ':secretsmanager:', region, ':', account, `:secret:${SAMPLE_SLACK.botTokenSecretName}-??????`]] },
        },
        { Effect: 'Allow', Action: ['dynamodb:ListStreams'], Resource: '*' },
        { Effect: 'Allow', Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: { 'Fn::GetAtt': [ledgerId, 'StreamArn'] } },
        { Effect: 'Allow', Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Resource: { 'Fn::GetAtt': [dlqId, 'Arn'] } },
        // The configuration (which services, which Slack channel): its items only.
        { Effect: 'Allow', Action: [...CONFIG_READ_ACTIONS], Resource: { 'Fn::GetAtt': [ledgerId, 'Arn'] }, Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CONFIG'] } } },
      ]),
    );
    expect(withoutLogs).toHaveLength(6);
    expect([...new Set(statements.flatMap(actions))].sort()).toEqual(
      [...new Set(['events:PutEvents', 'secretsmanager:GetSecretValue', ...STREAM_READ_ACTIONS, ...CONFIG_READ_ACTIONS, ...ON_FAILURE_ACTIONS, 'logs:CreateLogStream', 'logs:PutLogEvents'])].sort(),
    );
    // Nothing of the ledger table itself but the CONFIG items.
    const tableStatements = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:') && !STREAM_READ_ACTIONS.includes(a)));
    expect(tableStatements.map((s) => s.Condition)).toEqual([{ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['CONFIG'] } }]);
  });

  it('without a Slack app holds no secret: only the events, the stream and the on-failure queue', () => {
    const noSlack = synthesized(NO_SLACK);
    const held = [...new Set(noSlack.statements.flatMap(actions))].sort();
    expect(held).toEqual([...new Set(['events:PutEvents', ...STREAM_READ_ACTIONS, ...CONFIG_READ_ACTIONS, ...ON_FAILURE_ACTIONS, 'logs:CreateLogStream', 'logs:PutLogEvents'])].sort());
  });
});
