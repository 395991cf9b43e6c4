/**
 * A stand-in for the control API on AWS, on loopback: it verifies each
 * request's SigV4 signature the way API Gateway's AWS_IAM authorization does
 * (recomputes it with @smithy/signature-v4 from the signed headers, the
 * credentials it knows and the request's own X-Amz-Date, and compares), refuses
 * a bad one with API Gateway's 403, matches the route with the contract's
 * matchRoute, records the call and answers what the test scripted.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { matchRoute, type ControlRouteId } from '../../functions/control/routes.js';
import { NodeSha256 } from '../../functions/control/sha256.js';
import { closeServer, listenOnLoopback } from '../../local/loopback-server.js';

/** The credentials the stand-in accepts (the CLI gets them through the AWS environment variables). */
export const FAKE_CREDENTIALS: Credentials = { accessKeyId: 'AKIAROLLGATETEST0001', secretAccessKey: 'rollgate-test-secret', sessionToken: 'rollgate-test-session' };

/** What the stand-in accepts; with a session token, it must come signed. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}
export const REGION = 'eu-west-1';

/** One verified call, as the stand-in understood it. */
export interface RecordedCall {
  readonly route: ControlRouteId;
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  /** The access key of the verified signature. */
  readonly accessKeyId: string;
}

/** What to answer to a route: a body (status 200), or a status and body; called once per call. */
export type Answer = { readonly status: number; readonly body: unknown } | ((call: RecordedCall, n: number) => { readonly status: number; readonly body: unknown });
export type Script = Partial<Record<ControlRouteId, Answer>>;

export interface StandIn {
  readonly endpoint: string;
  readonly calls: RecordedCall[];
  /** Requests refused for their signature, with why. */
  readonly refused: string[];
  close(): Promise<void>;
}

const ok = (body: unknown) => ({ status: 200, body });
export { ok };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      resolve(text);
    });
    req.on('error', reject);
  });
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** Why the request's signature is wrong, or undefined when it is right. */
async function signatureProblem(req: IncomingMessage, rawPath: string, query: Record<string, string>, body: string, port: number, credentials: Credentials): Promise<string | undefined> {
  const auth = req.headers.authorization ?? '';
  const m = AUTH.exec(auth);
  if (m === null) return 'Missing Authentication Token';
  const [, accessKeyId, , region, service, signedHeaders] = m;
  if (accessKeyId !== credentials.accessKeyId) return `unknown access key ${String(accessKeyId)}`;
  if (region !== REGION || service !== 'execute-api') return `credential scope ${String(region)}/${String(service)}`;
  const amzDate = req.headers['x-amz-date'];
  if (typeof amzDate !== 'string') return 'no X-Amz-Date';
  const names = (signedHeaders ?? '').split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return 'host and x-amz-date must be signed';
  if (credentials.sessionToken !== undefined && (req.headers['x-amz-security-token'] !== credentials.sessionToken || !names.includes('x-amz-security-token'))) {
    return 'the session token is missing or not signed';
  }
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (typeof value !== 'string') return `signed header ${name} is missing`;
    headers[name] = value;
  }
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`);
  const signer = new SignatureV4({ service: 'execute-api', region: REGION, credentials, sha256: NodeSha256 });
  const expected = await signer.sign(
    { method: req.method ?? 'GET', protocol: 'http:', hostname: '127.0.0.1', port, path: rawPath, query, headers, ...(body === '' ? {} : { body }) },
    { signingDate },
  );
  return expected.headers.authorization === auth ? undefined : 'The request signature we calculated does not match the signature you provided';
}

/** Starts the stand-in; `script` says what each route answers (unscripted routes: 404 with a ControlErrorBody). */
export async function startStandIn(script: Script, credentials: Credentials = FAKE_CREDENTIALS): Promise<StandIn> {
  const calls: RecordedCall[] = [];
  const refused: string[] = [];
  const counts = new Map<ControlRouteId, number>();
  let port = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const query = Object.fromEntries(url.searchParams);
      const send = (status: number, answer: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      };
      const problem = await signatureProblem(req, url.pathname, query, body, port, credentials);
      if (problem !== undefined) {
        refused.push(problem);
        send(403, { message: problem });
        return;
      }
      const match = matchRoute(req.method ?? '', url.pathname);
      if (match === undefined) {
        send(404, { message: 'Not Found' });
        return;
      }
      const call: RecordedCall = {
        route: match.route.id,
        method: match.route.method,
        path: url.pathname,
        params: match.params,
        query,
        body: body === '' ? undefined : (JSON.parse(body) as unknown),
        accessKeyId: credentials.accessKeyId,
      };
      calls.push(call);
      const n = counts.get(call.route) ?? 0;
      counts.set(call.route, n + 1);
      const answer = script[call.route];
      if (answer === undefined) {
        send(404, { error: { name: 'NotScriptedError', message: `the test scripted no answer for ${call.route}` } });
        return;
      }
      const { status, body: out } = typeof answer === 'function' ? answer(call, n) : answer;
      send(status, out);
    })();
  });
  port = await listenOnLoopback(server);
  return {
    endpoint: `http://127.0.0.1:${String(port)}`,
    calls,
    refused,
    close: () => closeServer(server),
  };
}
