/**
 * Which control API a command talks to, and as whom.
 *
 * - `--local`: the local control server, from its state file (cli/local-state.ts).
 * - `--endpoint <url>` or ROLLGATE_ENDPOINT: the API on AWS; the region from
 *   `--region`, AWS_REGION or AWS_DEFAULT_REGION, else from an
 *   `execute-api.<region>.amazonaws.com` host name; credentials from the SDK's
 *   default chain (env, SSO, shared config and credentials files, web
 *   identity, container and instance metadata:
 *   https://docs.aws.amazon.com/sdkref/latest/guide/standardized-credentials.html).
 * - neither: the local server if one is running, else a usage error.
 */
import { ControlClient } from '../control-client.js';
import { findLocalState, localStatePath, readLocalState, type LocalState } from '../local-state.js';
import { UsageError } from './context.js';
import type { GlobalOptions } from './program.js';

const EXECUTE_API_HOST = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/;

function localClient(state: LocalState): ControlClient {
  return new ControlClient({
    endpoint: state.endpoint,
    region: state.region,
    credentials: { accessKeyId: state.accessKeyId, secretAccessKey: state.secretAccessKey },
  });
}

/** The client for these options and this environment; a usage error names what is missing. */
export async function clientFor(globals: GlobalOptions, env: NodeJS.ProcessEnv): Promise<ControlClient> {
  const statePath = localStatePath(env);
  if (globals.local) {
    if (globals.endpoint !== undefined) throw new UsageError('--local and --endpoint name two targets: pick one', '--endpoint');
    return localClient(readLocalState(statePath));
  }
  const endpoint = globals.endpoint ?? (env.ROLLGATE_ENDPOINT === '' ? undefined : env.ROLLGATE_ENDPOINT);
  if (endpoint === undefined) {
    const running = findLocalState(statePath);
    if (running !== undefined) return localClient(running);
    throw new UsageError(
      'no control API to talk to: pass --endpoint <url> (the stack\'s ControlApiEndpoint output) or set ROLLGATE_ENDPOINT, or use --local with `npm start -- --serve` running',
      '--endpoint',
    );
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint must be a URL such as https://abc123.execute-api.eu-west-1.amazonaws.com; got ${JSON.stringify(endpoint)}`, '--endpoint');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--endpoint must be an http(s) URL; got ${JSON.stringify(endpoint)}`, '--endpoint');
  const region = globals.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? EXECUTE_API_HOST.exec(url.hostname)?.[1];
  if (region === undefined) throw new UsageError('no region to sign for: pass --region or set AWS_REGION', '--region');
  // Loaded here only: the chain's modules cost start-up time that --help and --local do not need.
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  const credentials = defaultProvider(globals.profile === undefined ? {} : { profile: globals.profile });
  return new ControlClient({ endpoint: url.toString(), region, credentials });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
