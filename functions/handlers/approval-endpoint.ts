/**
 * Lambda entry point. The approval endpoint (Function URL or API Gateway HTTP API, payload format 2.0):
 * Slack interactivity and the browser confirmation page decide approvals and resume the flow's task token.
 * Four-eyes is each service's `approvals.fourEyes`; `slack.teamId` and `slack.publicBaseUrl` come from the configuration.
 * Dependencies are built once per container, at cold start; both Slack secrets (bot token, signing) are read then too, and cached.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { awsClientConfig } from '../adapters/aws/client-config.js';
import { SfnCallbacks } from '../adapters/aws/sfn-callbacks.js';
import { ApprovalEndpoint } from '../approval/endpoint.js';
import { createApprovalFunctionUrlHandler } from '../approval/function-url.js';
import { combinedSlackSecrets } from '../approval/secrets.js';
import { fourEyesFor } from '../config.js';
import { approvalLog } from './logger.js';
import { slackAtColdStart } from './slack-secrets.js';
import { signingSecretsAtColdStart } from './slack-signing-secret.js';
import { coldStartWithConfig } from './step-handler.js';
import { liveConfig } from '../ledger/config-source.js';

const { configSource, config: atColdStart, ledger } = await coldStartWithConfig();
// The Slack app (secrets, team, public URL) is set up once per container; four-eyes follows each publish.
const { slackConfig, botToken, slack } = await slackAtColdStart(atColdStart);
const signing = await signingSecretsAtColdStart(slackConfig);
const config = liveConfig(configSource);

const endpoint = createApprovalFunctionUrlHandler(
  new ApprovalEndpoint({
    ledger,
    callbacks: new SfnCallbacks(new SFNClient(awsClientConfig)),
    slack,
    secrets: combinedSlackSecrets(botToken, signing),
    fourEyes: (approval) => fourEyesFor(config, approval),
    ...(slackConfig.teamId === undefined ? {} : { slackTeamId: slackConfig.teamId }),
    ...(slackConfig.publicBaseUrl === undefined ? {} : { publicBaseUrl: slackConfig.publicBaseUrl }),
    log: approvalLog,
  }),
);

export const handler: typeof endpoint = async (event) => {
  await configSource.get();
  return endpoint(event);
};
