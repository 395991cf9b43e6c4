/**
 * `cdk deploy` publishes the service configuration as data: the stack
 * validates it at synth (ReleaseOrchestrator), writes it as an S3 asset, and
 * a custom resource (the ConfigPublisher function behind a CDK
 * custom-resources Provider) publishes that object as ledger items
 * (functions/ledger/config-store.ts). The functions' code never contains the
 * configuration, so a changed configuration changes only the asset and this
 * resource: no Lambda asset hash, no function update.
 *
 * The resource's properties carry the asset's hash, so CloudFormation calls
 * the publisher only when the configuration changed. Its Delete leaves the
 * items: the ledger is retained, and releases froze their configuration.
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources-readme.html
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3_assets-readme.html
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnElement, CustomResource, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { RollgateConfig } from '../functions/config.js';
import { CONFIG_PK } from '../functions/ledger/config-store.js';
import type { FunctionSpec } from './functions.js';

/** What reading the configuration takes: ConfigStore.head and load. */
export const CONFIG_READ_ACTIONS: readonly string[] = ['dynamodb:GetItem', 'dynamodb:Query'];

/** What publishing it takes: its reads, and the Put, Delete and ConditionCheck actions of its transactions (IAM checks each action of a TransactWriteItems). */
export const CONFIG_WRITE_ACTIONS: readonly string[] = ['dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'];

/**
 * `actions` on the configuration items only: every key the request touches
 * must have the partition key `CONFIG`.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
 */
export function configItemsStatement(table: dynamodb.ITable, actions: readonly string[]): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: [...actions],
    resources: [table.tableArn],
    conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [CONFIG_PK] } },
  });
}

/** The custom resource's function. Not a port user: it reads one S3 object and writes CONFIG items. */
export const CONFIG_PUBLISHER_FUNCTION: FunctionSpec = {
  id: 'ConfigPublisher',
  entry: 'publish-config',
  kind: 'deploy',
  uses: [],
  ledger: false,
  timeoutSeconds: 300,
  description: 'Publishes the configuration asset as ledger items (cdk deploy)',
};

export interface ConfigPublisherProps {
  /** The validated configuration. */
  readonly config: RollgateConfig;
  /** The ledger table the items go to. */
  readonly table: dynamodb.ITable;
  /** The ConfigPublisher function, built with the orchestrator's conventions ({@link CONFIG_PUBLISHER_FUNCTION}). */
  readonly handler: lambda.IFunction;
  /** How long the Provider framework's log group keeps its logs (the functions' retention). */
  readonly logRetention: logs.RetentionDays;
}

export class ConfigPublisher extends Construct {
  /** The configuration as an S3 asset (JSON). */
  public readonly asset: Asset;
  /** The custom resource; its `Revision` attribute is the revision the deploy published. */
  public readonly resource: CustomResource;

  public constructor(scope: Construct, id: string, props: ConfigPublisherProps) {
    super(scope, id);
    // Staged into the cloud assembly as the Asset is built (copied, hashed), so the temp file can go at once.
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-config-'));
    try {
      const file = join(dir, 'services.json');
      writeFileSync(file, JSON.stringify(props.config));
      this.asset = new Asset(this, 'Asset', { path: file });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    const role = props.handler.role;
    if (role === undefined) throw new Error('ConfigPublisher needs its function to have a role');
    // That one object: no List, no other key of the (shared, bootstrap) asset bucket.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.asset.bucket.arnForObjects(this.asset.s3ObjectKey)] }));
    role.addToPrincipalPolicy(configItemsStatement(props.table, CONFIG_WRITE_ACTIONS));
    const key = props.table.encryptionKey;
    if (key !== undefined) {
      key.grantEncryptDecrypt(role);
      for (const action of ['kms:ReEncrypt*', 'kms:GenerateDataKey*']) {
        Validations.of(role).acknowledge({
          id: `AwsSolutions-IAM5[Action::${action}]`,
          reason: "The ConfigPublisher writes configuration items encrypted with the ledger's customer managed key (the key grant CDK gives a table's writers)",
        });
      }
    }

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: props.handler,
      logGroup: new logs.LogGroup(this, 'ProviderLogs', { retention: props.logRetention, removalPolicy: RemovalPolicy.RETAIN }),
    });
    const framework = provider.node.findChild('framework-onEvent');
    Validations.of(framework).acknowledge({
      id: 'AwsSolutions-L1',
      reason: "The custom-resources Provider's framework function: its runtime is chosen by aws-cdk-lib, which rollgate pins and updates as a whole.",
    });
    Validations.of(framework).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: "The custom-resources Provider's framework function writes its own logs with the basic execution role aws-cdk-lib gives it; it calls nothing else but the ConfigPublisher.",
    });
    Validations.of(framework).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalIdOf(props.handler)}.Arn>:*]`,
      reason: 'The custom-resources Provider framework invokes the ConfigPublisher by any version or alias (lambda:InvokeFunction on <function ARN>:*), the grant aws-cdk-lib gives it.',
    });

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::RollgateConfig',
      properties: { Bucket: this.asset.s3BucketName, Key: this.asset.s3ObjectKey, Hash: this.asset.assetHash },
    });
  }
}

/** The logical id cdk-nag names the function by in a finding. */
function logicalIdOf(fn: lambda.IFunction): string {
  const resource = fn.node.defaultChild;
  if (!(resource instanceof CfnElement)) throw new Error(`${fn.node.path} has no CloudFormation resource`);
  return fn.stack.getLogicalId(resource);
}
