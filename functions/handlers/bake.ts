/**
 * Lambda entry point. Registers a bake's task token in the ledger (callback Task state Bake); it needs nothing but the ledger.
 * Dependencies are built once per container, at cold start; the configuration is read per invocation (step-handler.ts).
 */
import { bake } from '../steps/wait.js';
import { coldStart, stepHandler } from './step-handler.js';

const { configSource, ledger } = coldStart();

export const handler = stepHandler(
  bake,
  configSource,
  {
    ledger,
  },
);
