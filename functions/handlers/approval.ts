/**
 * Lambda entry point. Registers an approval and asks the approvers (callback Task state Approval).
 * Dependencies are built once per container, at cold start.
 */
import { LogNotifier } from '../adapters/log-notifier.js';
import { approval } from '../steps/wait.js';
import { logger } from './logger.js';
import { coldStart, stepHandler, wire } from './step-handler.js';

const { config, ledger } = coldStart();

export const handler = stepHandler(
  approval,
  wire('approval', {
    config,
    ledger,
    // Interim: the Slack notifier of the approvals work replaces this.
    notifier: new LogNotifier(logger),
  }),
);
