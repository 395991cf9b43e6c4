/**
 * A Slack Web API for a deployment or a local runtime with no Slack app: every
 * call fails like Slack unreachable (SlackApiError `not_configured`), so the
 * approval policy fails closed — a group approver, or a four-eyes name
 * comparison that needs Slack's names, is refused — and message updates
 * (best effort) are skipped.
 */
import type { SlackApi } from '../adapters/slack/web-api.js';
import { SlackApiError } from '../errors.js';

/** The Slack Web API that is not there (see above). */
export const NO_SLACK: SlackApi = {
  postMessage: () => Promise.reject(new SlackApiError('chat.postMessage', 'not_configured')),
  updateMessage: () => Promise.reject(new SlackApiError('chat.update', 'not_configured')),
  postEphemeral: () => Promise.reject(new SlackApiError('chat.postEphemeral', 'not_configured')),
  userGroupMembers: () => Promise.reject(new SlackApiError('usergroups.users.list', 'not_configured')),
  userInfo: () => Promise.reject(new SlackApiError('users.info', 'not_configured')),
};
