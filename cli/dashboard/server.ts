/**
 * `rollgate dashboard`: the dashboard served on the operator's machine, as
 * Argo Rollouts serves its own (`kubectl argo rollouts dashboard`), reading
 * and acting through the control API with the operator's credentials. No
 * new public endpoint and no new secret: the server listens on 127.0.0.1
 * only and signs every call it passes on with the credentials the CLI uses.
 *
 * A loopback port is reachable by every page the operator's browser opens,
 * so nothing is served without this run's session: the printed URL carries a
 * one-time login token that sets an HttpOnly, SameSite=Strict cookie; a
 * request whose Host is not this server's own is refused (DNS rebinding);
 * a POST needs the page's CSRF token in a header and, when the browser sends
 * one, this server's Origin.
 *
 * Routes: `/login?token=…` (sets the cookie, redirects to `/`),
 * `/assets/dashboard.js` and `/assets/dashboard.css`, `/api/<control route
 * path>` (exactly the control API's routes, passed on signed), and any other
 * GET path answers the page shell, which routes in the browser.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { matchRoute } from '../../functions/control/routes.js';
import { closeServer, listenOnLoopback } from '../../local/loopback-server.js';
import type { DashboardAssets } from '../../dashboard/build.js';
import { ControlApiError, ControlUnreachableError, type ControlClient } from '../control-client.js';

export interface DashboardServerOptions {
  /** The control API, signed as the operator. */
  readonly client: ControlClient;
  readonly assets: DashboardAssets;
  /** @default a free port */
  readonly port?: number | undefined;
}

export interface RunningDashboard {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** What to open: the origin's login URL with this run's one-time token. */
  readonly url: string;
  close(): Promise<void>;
}

const COOKIE = 'rollgate_session';
/** Bodies the dashboard sends are a reason or a comment: far below this. */
const MAX_BODY_BYTES = 64 * 1024;

function token(): string {
  return randomBytes(24).toString('base64url');
}

function same(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieOf(request: IncomingMessage, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** Answers and returns the response, so a handler can `return send…(…)`. */
function sendJson(response: ServerResponse, status: number, body: unknown): ServerResponse {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  return response.end(text);
}

function sendText(response: ServerResponse, status: number, type: string, text: string, headers: Record<string, string> = {}): ServerResponse {
  response.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text), ...headers });
  return response.end(text);
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ControlApiError('PayloadTooLargeError', `request body over ${String(MAX_BODY_BYTES)} bytes`, 413);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The page shell: the script routes by path; the CSRF token travels in a meta tag, never in a URL. */
function shell(csrf: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="rollgate-csrf" content="${csrf}">
<title>rollgate</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body><div id="app"></div><script type="module" src="/assets/dashboard.js"></script></body></html>`;
}

/** Starts the dashboard on 127.0.0.1. */
export async function startDashboardServer(options: DashboardServerOptions): Promise<RunningDashboard> {
  const login = token();
  const session = token();
  const csrf = token();
  let origin = '';
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { name: 'InternalError', message: error instanceof Error ? error.message : String(error) } });
      else response.destroy();
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<ServerResponse> => {
    if (request.headers.host !== new URL(origin).host) return sendText(response, 421, 'text/plain', 'this server answers only to its own host name');
    const url = new URL(request.url ?? '/', origin);
    const method = request.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/login') {
      if (!same(url.searchParams.get('token') ?? undefined, login)) return sendText(response, 403, 'text/plain', 'not a valid login link: open the URL `rollgate dashboard` printed');
      return sendText(response, 303, 'text/plain', 'logged in', {
        location: '/',
        'set-cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/`,
      });
    }
    if (!same(cookieOf(request, COOKIE), session)) return sendText(response, 401, 'text/plain', 'no session: open the URL `rollgate dashboard` printed');
    if (url.pathname.startsWith('/api/')) {
      const matched = matchRoute(method, url.pathname.slice('/api'.length));
      if (matched === undefined) return sendJson(response, 404, { error: { name: 'NotFoundError', message: `no control route ${method} ${url.pathname.slice(4)}` } });
      if (method !== 'GET') {
        const from = request.headers.origin;
        if ((from !== undefined && from !== origin) || !same(typeof request.headers['x-rollgate-csrf'] === 'string' ? request.headers['x-rollgate-csrf'] : undefined, csrf)) {
          return sendJson(response, 403, { error: { name: 'CsrfError', message: 'refused: the request did not come from this dashboard' } });
        }
      }
      const text = method === 'GET' ? '' : await readBody(request);
      try {
        const body = text === '' ? undefined : (JSON.parse(text) as unknown);
        const answer = await options.client.call(matched.route.id, { params: matched.params, query: Object.fromEntries(url.searchParams), ...(body === undefined ? {} : { body }) });
        return sendJson(response, 200, answer ?? null);
      } catch (error) {
        if (error instanceof ControlApiError) return sendJson(response, error.status, { error: { name: error.errorName, message: error.message, ...(error.field === undefined ? {} : { field: error.field }) } });
        if (error instanceof ControlUnreachableError) return sendJson(response, 502, { error: { name: error.name, message: error.message } });
        if (error instanceof SyntaxError) return sendJson(response, 400, { error: { name: 'InvalidInputError', message: `the body is not JSON: ${error.message}` } });
        throw error;
      }
    }
    if (method !== 'GET') return sendText(response, 405, 'text/plain', `${method} not allowed here`);
    if (url.pathname === '/assets/dashboard.js') return sendText(response, 200, 'text/javascript', options.assets.js);
    if (url.pathname === '/assets/dashboard.css') return sendText(response, 200, 'text/css', options.assets.css);
    return sendText(response, 200, 'text/html', shell(csrf), {
      'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
    });
  };

  const port = await listenOnLoopback(server, { port: options.port });
  origin = `http://127.0.0.1:${String(port)}`;
  return { origin, url: `${origin}/login?token=${login}`, close: () => closeServer(server) };
}
