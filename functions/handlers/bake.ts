/**
 * Lambda entry point. Registers a bake's task token in the ledger (callback Task state Bake); it needs nothing but the ledger.
 * Dependencies are built once per container, at cold start.
 */
import { bake } from '../steps/wait.js';
import { coldStart, stepHandler, wire } from './step-handler.js';

const { config, ledger } = coldStart();

export const handler = stepHandler(
  bake,
  wire('bake', {
    config,
    ledger,
  }),
);
