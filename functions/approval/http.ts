/**
 * The approval endpoint's view of HTTP, the same behind a Lambda Function URL
 * or an API Gateway HTTP API (function-url.ts) and behind the local node:http server
 * (local/approval-server.ts). The body stays raw bytes: the Slack signature
 * is computed over exactly what arrived.
 */

export interface HttpRequest {
  readonly method: string;
  /** Path without the query string, e.g. `/approvals/abc`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly cookies: Readonly<Record<string, string>>;
  readonly rawBody: Buffer;
  /** `scheme://host[:port]` the client used to reach us: the origin our own pages post from. */
  readonly origin: string;
  /**
   * The path the endpoint is mounted under, taken off `path` (an HTTP API's
   * named stage, e.g. `/prod`): links and forms put it back. @default ''
   */
  readonly basePath?: string;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** `Set-Cookie` values. */
  readonly cookies?: readonly string[];
  readonly body: string;
}

/** Parses a `Cookie` header (or Function URL `cookies` entries). */
export function parseCookies(headers: readonly string[]): Record<string, string> {
  const cookies: Record<string, string> = {};
  for (const header of headers) {
    for (const part of header.split(';')) {
      const at = part.indexOf('=');
      if (at <= 0) continue;
      const name = part.slice(0, at).trim();
      const value = part.slice(at + 1).trim();
      if (name !== '' && !(name in cookies)) cookies[name] = value;
    }
  }
  return cookies;
}
