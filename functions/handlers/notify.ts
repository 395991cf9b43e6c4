/**
 * Lambda entry point. The Notifier (the ledger table's DynamoDB stream, through an event source mapping):
 * each release started, promoted, rolled back, failed, aborted or succeeded becomes one EventBridge event
 * (`source: rollgate`) on the default bus and, with a Slack app configured, one message in the service's channel.
 * Answers with the batch item failures (ReportBatchItemFailures), so the stream retries from the first record that failed.
 * Dependencies are built once per container, at cold start; the Slack bot-token secret (and only it) is read then too, and cached.
 * It reads the stream only: no ledger table in its environment, no ledger grants.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { EventBridgeReleaseEvents } from '../adapters/aws/eventbridge.js';
import { errorName } from '../errors.js';
import { SlackReleaseEvents } from '../notifications/slack.js';
import { notify, type NotifyDeps } from '../notifications/stream.js';
import { configFromEnvironment, ENV, readEnvironment } from './environment.js';
import { logger } from './logger.js';
import { slackAtColdStart } from './slack-secrets.js';

const config = configFromEnvironment(readEnvironment([ENV.config])[ENV.config]);
const eventBridge = new EventBridgeClient(awsClientConfig);
// EventBridge first: a Slack outage must not hold back the events teams route on (stream.ts).
const sinks: NotifyDeps['sinks'] = [
  new EventBridgeReleaseEvents((input) => eventBridge.send(new PutEventsCommand(input))),
  ...(config.slack === undefined ? [] : [new SlackReleaseEvents((await slackAtColdStart(config)).slack, config)]),
];

export async function handler(event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> {
  logger.addContext(context);
  const result = await notify(
    {
      sinks,
      onError: (error, record) => {
        logger.warn('release notification not delivered; the stream retries it', { sequenceNumber: record.dynamodb?.SequenceNumber, error: errorName(error) });
      },
    },
    event,
  );
  return result;
}
