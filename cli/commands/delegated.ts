/**
 * `rollgate validate`, `rollgate onboard` and `rollgate local`: the existing
 * commands (cli/validate.ts, cli/onboard.ts, also `npm run validate|onboard`;
 * cli/local.ts, also `npm start -- --serve`), given their own arguments
 * untouched. They are loaded only when named: onboard brings the DynamoDB
 * client and local the whole local stack, which no other command needs.
 */

/** A command whose arguments the CLI hands over as they are. */
export interface DelegatedCommand {
  readonly name: string;
  /** commander's spec, for the listing in `rollgate --help`. */
  readonly spec: string;
  readonly summary: string;
  readonly run: (argv: readonly string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream) => Promise<number>;
}

export const validateCommand: DelegatedCommand = {
  name: 'validate',
  spec: 'validate <config.json>',
  summary: 'Check a services configuration as synth does (--json: the problems as an array)',
  run: async (argv, out, err) => (await import('../validate.js')).main(argv, out, err),
};

export const onboardCommand: DelegatedCommand = {
  name: 'onboard',
  spec: 'onboard',
  summary: "Record a service's first stable version in the ledger (rollgate onboard --help)",
  run: async (argv) => (await import('../onboard.js')).main(argv),
};

export const localCommand: DelegatedCommand = {
  name: 'local',
  spec: 'local',
  summary: 'Run the local stack until Ctrl-C, as npm start -- --serve does (rollgate local --help)',
  run: async (argv, out, err) => (await import('../local.js')).main(argv, out, err),
};

export const DELEGATED: readonly DelegatedCommand[] = [validateCommand, onboardCommand, localCommand];
