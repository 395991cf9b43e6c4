#!/usr/bin/env node
// The package's bin (`npx rollgate`): runs cli/rollgate.ts through tsx, as the npm scripts do.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../rollgate.ts');
process.exitCode = await main();
