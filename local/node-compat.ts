/**
 * Import first in every local entry point (demo, bench). rollgate runs locally
 * on Node 20.19+; the AWS SDK warns on every process start below Node 22
 * (about future SDK releases, not this one), which would drown the demo's
 * output. Lambda runs nodejs22.x, where the warning never fires.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
