/**
 * The one Powertools logger of a function. Its level comes from
 * POWERTOOLS_LOG_LEVEL, set by the stack. Events are never logged whole: the
 * callback tasks' events carry task tokens, which resume a release, and the
 * approval endpoint's requests carry signatures, link and CSRF tokens.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { ApprovalLog } from '../approval/decisions.js';

export const logger = new Logger({ serviceName: 'rollgate' });

/** The release an event is about, for log lines: ids only, never the event itself. */
export function releaseFields(event: unknown): Record<string, string> {
  const release = pick(event, 'release') ?? pick(pick(event, 'state'), 'release') ?? pick(event, 'input');
  const fields: Record<string, string> = {};
  for (const key of ['releaseId', 'service', 'environment', 'version'] as const) {
    const value = pick(release, key);
    if (typeof value === 'string') fields[key] = value;
  }
  return fields;
}

/**
 * The approval code's log on this logger. Its entries are built to carry ids,
 * outcomes and error names only (never a token, a secret or a request), so
 * they are logged as they are.
 */
export const approvalLog: ApprovalLog = ({ level, message, ...fields }) => {
  logger[level](message, fields);
};

function pick(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value ? (value as Record<string, unknown>)[key] : undefined;
}
