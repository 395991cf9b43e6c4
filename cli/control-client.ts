/**
 * The control API's client: calls a route of functions/control/routes.ts by
 * id, signed with AWS Signature Version 4 for `execute-api` — what an HTTP
 * API with AWS_IAM authorization requires
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
 * The local control server verifies the same signature with the credentials
 * it published (cli/local-state.ts), so one client serves both targets.
 *
 * An error answer (`ControlErrorBody`) becomes a `ControlApiError` carrying
 * the domain error's name and the field it is about.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { NodeSha256 } from '../functions/control/sha256.js';
import { pathOf, routeOf, type ControlRouteId } from '../functions/control/routes.js';
import { RollgateError } from '../functions/errors.js';

/** The API said no: its error's name, message and field, and the HTTP status. */
export class ControlApiError extends RollgateError {
  public constructor(
    /** The domain error's class name (`SelfApprovalError`, ...) or, for a gateway refusal, what kind it is. */
    public readonly errorName: string,
    message: string,
    public readonly status: number,
    public readonly field?: string,
  ) {
    super(message);
    // The API's name is what scripts branch on; keep it as this error's name.
    this.name = errorName;
  }
}

/** The endpoint did not answer (connection refused, DNS, TLS...). */
export class ControlUnreachableError extends RollgateError {}

/** Where and as whom to call. */
export interface ControlClientOptions {
  /** Base URL of the API (with its stage path, if any), e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** For tests that count calls; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

/** One call: path parameters, query and JSON body. */
export interface ControlCall {
  readonly params?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
}

/** RFC 3986 encoding, as SigV4's canonical query string uses (encodeURIComponent leaves !'()* alone). */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Calls control routes with SigV4-signed requests. */
export class ControlClient {
  private readonly signer: SignatureV4;
  private readonly base: URL;
  private readonly fetch: typeof fetch;

  public constructor(private readonly options: ControlClientOptions) {
    this.base = new URL(options.endpoint);
    this.signer = new SignatureV4({ service: 'execute-api', region: options.region, credentials: options.credentials, sha256: NodeSha256 });
    this.fetch = options.fetch ?? fetch;
  }

  /** The endpoint this client calls. */
  public get endpoint(): string {
    return this.options.endpoint;
  }

  /** Calls route `id`; resolves with the parsed JSON answer, rejects with a `ControlApiError` on an error answer. */
  public async call(id: ControlRouteId, call: ControlCall = {}): Promise<unknown> {
    const route = routeOf(id);
    const basePath = this.base.pathname.replace(/\/+$/, '');
    const path = `${basePath}${pathOf(id, call.params ?? {})}`;
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(call.query ?? {})) if (value !== undefined) query[key] = String(value);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = { host: this.base.host, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const signed = await this.signer.sign({
      method: route.method,
      protocol: this.base.protocol,
      hostname: this.base.hostname,
      ...(this.base.port === '' ? {} : { port: Number(this.base.port) }),
      path,
      query,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const search = Object.entries(query)
      .map(([key, value]) => `${rfc3986(key)}=${rfc3986(value)}`)
      .join('&');
    const url = `${this.base.origin}${path}${search === '' ? '' : `?${search}`}`;
    // fetch sets Host itself (from the URL, the value signed above) and refuses to be given one.
    const sent: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) if (name.toLowerCase() !== 'host') sent[name] = value;
    let response: Response;
    try {
      response = await this.fetch(url, { method: route.method, headers: sent, ...(body === undefined ? {} : { body }) });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new ControlUnreachableError(`cannot reach the control API at ${this.options.endpoint}: ${detail}`, { cause: error });
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        if (response.ok) throw new ControlApiError('InvalidResponseError', `${route.method} ${path} answered ${String(response.status)} with a body that is not JSON`, response.status);
      }
    }
    if (!response.ok) throw errorOf(response.status, parsed, text);
    return parsed;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The error of an error answer: the control function's `ControlErrorBody`,
 * or API Gateway's own refusals (`{"message": "Forbidden"}` for a bad or
 * missing signature, an IAM "not authorized" for a denied route).
 */
function errorOf(status: number, body: unknown, text: string): ControlApiError {
  if (isRecord(body) && isRecord(body.error) && typeof body.error.name === 'string' && typeof body.error.message === 'string') {
    const field = typeof body.error.field === 'string' ? body.error.field : undefined;
    return new ControlApiError(body.error.name, body.error.message, status, field);
  }
  const message = isRecord(body) && typeof body.message === 'string' ? body.message : text.trim().slice(0, 500) || `HTTP ${String(status)}`;
  const name = status === 401 || status === 403 ? 'AccessDeniedError' : status === 404 ? 'NotFoundError' : status === 429 ? 'ThrottledError' : 'HttpError';
  return new ControlApiError(name, message, status);
}
