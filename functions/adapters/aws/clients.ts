/**
 * The AWS SDK client packages each AWS adapter sends its commands through
 * (see grants.ts for the actions of each), and the ledger's: what a
 * function's bundle may carry, given the adapters it builds. The bundle test
 * (test/infra/bundle-contents.test.ts) reads each bundle's esbuild metafile
 * and holds every function to exactly these packages, so a handler that
 * imports a client it does not call fails it.
 */
import type { AwsAdapterName } from './grants.js';

/** An `@aws-sdk/client-*` package rollgate's functions use. */
export type SdkClientPackage =
  | '@aws-sdk/client-auto-scaling'
  | '@aws-sdk/client-cloudwatch'
  | '@aws-sdk/client-dynamodb'
  | '@aws-sdk/client-ecs'
  | '@aws-sdk/client-elastic-load-balancing-v2'
  | '@aws-sdk/client-eventbridge'
  | '@aws-sdk/client-secrets-manager'
  | '@aws-sdk/client-sfn';

/**
 * The client packages of each AWS adapter. The fleets read their target
 * group's health from Elastic Load Balancing (DescribeTargetHealth) besides
 * their own service. EventBridgeReleaseEvents takes a `PutEvents` function,
 * not a client, but its handler builds that from the EventBridge client.
 */
export const AWS_ADAPTER_CLIENTS = {
  EcsFleet: ['@aws-sdk/client-ecs', '@aws-sdk/client-elastic-load-balancing-v2'],
  AsgFleet: ['@aws-sdk/client-auto-scaling', '@aws-sdk/client-elastic-load-balancing-v2'],
  AlbRouter: ['@aws-sdk/client-elastic-load-balancing-v2'],
  CloudWatchAlarms: ['@aws-sdk/client-cloudwatch'],
  EcsMigrator: ['@aws-sdk/client-ecs'],
  SfnCallbacks: ['@aws-sdk/client-sfn'],
  SfnExecutions: ['@aws-sdk/client-sfn'],
  SfnReleaseStarter: ['@aws-sdk/client-sfn'],
  SlackBotTokenSecret: ['@aws-sdk/client-secrets-manager'],
  SlackSigningSecret: ['@aws-sdk/client-secrets-manager'],
  CloudWatchMetrics: ['@aws-sdk/client-cloudwatch'],
  EventBridgeReleaseEvents: ['@aws-sdk/client-eventbridge'],
} as const satisfies Record<AwsAdapterName, readonly SdkClientPackage[]>;

/** The client package of the ledger (functions/ledger/), for functions that read and write it. */
export const LEDGER_CLIENT: SdkClientPackage = '@aws-sdk/client-dynamodb';

/** The client packages a function building `adapters` (and, with `ledger`, the ledger) needs, sorted. */
export function clientsOf(adapters: readonly AwsAdapterName[], ledger: boolean): SdkClientPackage[] {
  const clients = new Set<SdkClientPackage>(adapters.flatMap((name) => AWS_ADAPTER_CLIENTS[name]));
  if (ledger) clients.add(LEDGER_CLIENT);
  return [...clients].sort();
}
