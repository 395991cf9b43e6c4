/**
 * What the ConfigPublisher custom resource does with CloudFormation's
 * request (through the CDK custom-resources Provider framework, which sends
 * the response): on Create and Update, read the configuration asset the
 * stack validated at synth and publish it as ledger items
 * (functions/ledger/config-store.ts); on Delete, nothing — the ledger table
 * is retained, and so is the configuration a running release froze from.
 *
 * The resource's properties name the asset (bucket, key) and carry its hash,
 * so CloudFormation updates the resource, and this runs, only when the
 * configuration file changed.
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.custom_resources-readme.html
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import * as z from 'zod';
import { InvalidInputError } from '../errors.js';
import type { ConfigStore, PublishResult } from '../ledger/config-store.js';
import { parseInput } from '../validation.js';

/** The properties the stack gives the resource (infra/config-publisher.ts). */
export const ConfigResourcePropertiesSchema = z.object({
  Bucket: z.string().min(1),
  Key: z.string().min(1),
  /** The asset's hash: only here to make a configuration change an Update. */
  Hash: z.string().min(1),
});

/** The one physical id: there is one configuration per ledger, and an Update must never look like a replacement. */
export const CONFIG_RESOURCE_ID = 'rollgate-config';

/** What the Provider framework expects back (`Data` becomes the resource's attributes). */
export interface ConfigResourceResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly Revision: number; readonly Put: number; readonly Deleted: number };
}

export interface ConfigResourceDeps {
  readonly read: (bucket: string, key: string) => Promise<string>;
  readonly store: Pick<ConfigStore, 'publish'>;
}

export async function publishConfigResource(deps: ConfigResourceDeps, event: CloudFormationCustomResourceEvent): Promise<ConfigResourceResponse> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const { Bucket, Key } = parseInput(ConfigResourcePropertiesSchema, event.ResourceProperties, 'ConfigPublisher properties');
  const text = await deps.read(Bucket, Key);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`s3://${Bucket}/${Key}`, '', `is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const result: PublishResult = await deps.store.publish(raw as Parameters<ConfigStore['publish']>[0], `cloudformation:${event.StackId}`);
  return { PhysicalResourceId: CONFIG_RESOURCE_ID, Data: { Revision: result.revision, Put: result.put.length, Deleted: result.deleted.length } };
}
