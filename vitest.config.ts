import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Lambda runs Node 22; the AWS SDK's notice about dropping Node 20 in 2027 is noise in this process (global setup) too.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One DynamoDB Local and one temp directory for the whole run; test files isolate themselves by table.
    globalSetup: ['test/global-setup.ts'],
    // vitest's default (one worker per core but one) is a single worker on 2 cores, which leaves a
    // core idle whenever a test waits on DynamoDB Local, a timer or a child process.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests never reach AWS: fake credentials, a fake region, no instance metadata.
    env: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_EC2_METADATA_DISABLED: 'true',
      // Any AWS call a test does not point at a stand-in lands on a closed loopback port, never on AWS.
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      // Lambda runs Node 22; the SDK's notice about dropping Node 20 in 2027 is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // The processes tests start with `node --import tsx` would keep tsx's compile cache in the temp directory.
      TSX_DISABLE_CACHE: '1',
    },
  },
});
