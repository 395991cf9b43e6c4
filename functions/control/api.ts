/**
 * The control API's dispatcher, the same behind API Gateway (functions/handlers/control-api.ts)
 * and on loopback (local/control-server.ts): a request and its verified caller
 * in, a status and a JSON body out. It finds the route (functions/control/routes.ts),
 * validates the path parameters, the query and the JSON body before anything
 * is read or changed, runs the route's one domain function
 * (./operations.ts), and turns a refusal into a {@link ControlErrorBody} with
 * the domain error's name and, for bad input, the field.
 */
import type { z } from 'zod';
import {
  AlreadyDecidedError,
  AlreadyEndorsedError,
  ApprovalExpiredError,
  ApprovalNoLongerWaitingError,
  ApprovalNotFoundError,
  CloudProviderError,
  CloudProviderUnavailableError,
  ExecutionAlreadyExistsError,
  IllegalTransitionError,
  InvalidCursorError,
  InvalidInputError,
  LedgerConflictError,
  LockNotOwnedError,
  AlreadyStableVersionError,
  NoEarlierVersionError,
  NoStableVersionError,
  RollbackWindowClosedError,
  NotAnApproverError,
  PromotionNotAllowedError,
  ReleaseInProgressError,
  ReleaseNotActiveError,
  ReleaseNotFoundError,
  RollgateError,
  SelfApprovalError,
  SlackApiError,
  StaleStatusError,
  UnknownServiceError,
} from '../errors.js';
import { LockHeldError, LockNotHeldError, MissingIdentityError, RouteNotFoundError, SignatureMismatchError } from './errors.js';
import {
  publicRelease,
  abortReleaseOp,
  decideApproval,
  getApproval,
  getLock,
  getRelease,
  getReleaseTraffic,
  getStatus,
  listRecentReleases,
  listReleases,
  listVersions,
  promoteRelease,
  startRelease,
  takeOverLock,
  whoAmI,
  type ControlCaller,
  type ControlDeps,
} from './operations.js';
import { rollbackRelease, rollbackToVersion } from './rollback.js';
import { CONTROL_BODIES, matchRoute, PageQuerySchema, PathParamsSchema, VersionsQuerySchema, type ControlErrorBody, type ControlRouteId } from './routes.js';

/** A request as both entry points see it. `path` is the route path, without any stage prefix. */
export interface ControlRequest {
  readonly method: string;
  readonly path: string;
  /** Query string parameters, decoded. */
  readonly query: Readonly<Record<string, string | undefined>>;
  /** The raw body (JSON), if any. */
  readonly body: string | undefined;
}

/** A response: an HTTP status and a JSON body. */
export interface ControlResponse {
  readonly status: number;
  readonly body: unknown;
}

/** Parses with `schema`, naming the field (for an unknown key of a strict object, the key itself). */
function parseNamed<S extends z.ZodType>(schema: S, value: unknown, operation: string, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw new InvalidInputError(operation, prefix, 'is invalid');
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const [key] = issue.keys;
    throw new InvalidInputError(operation, [prefix, ...path, key ?? ''].filter((p) => p !== '').join('.'), 'is not a field this route takes');
  }
  throw new InvalidInputError(operation, [prefix, ...path].filter((p) => p !== '').join('.'), issue.message);
}

function jsonBody(routeId: string, body: string | undefined): unknown {
  if (body === undefined || body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new InvalidInputError(routeId, 'body', 'is not JSON');
  }
}

const LIST_ROUTES: ReadonlySet<ControlRouteId> = new Set(['listRecentReleases', 'listReleases']);

/** The validated input of a request: path parameters, paging (list routes), body (routes that take one). */
interface Parsed {
  readonly params: z.output<typeof PathParamsSchema>;
  readonly page: z.output<typeof PageQuerySchema>;
  /** `listVersions`'s one environment, when asked for. */
  readonly environment?: string | undefined;
  readonly body: Record<string, unknown>;
}

function parseRequest(routeId: ControlRouteId, params: Record<string, string>, request: ControlRequest): Parsed {
  const path = parseNamed(PathParamsSchema, params, routeId);
  const query = Object.fromEntries(Object.entries(request.query).filter((e): e is [string, string] => e[1] !== undefined));
  let page: z.output<typeof PageQuerySchema> = { limit: 20 };
  let environment: string | undefined;
  if (routeId === 'listVersions') {
    ({ environment, ...page } = parseNamed(VersionsQuerySchema, query, routeId));
  } else if (LIST_ROUTES.has(routeId)) {
    page = parseNamed(PageQuerySchema, query, routeId);
  } else {
    const [unknown] = Object.keys(query);
    if (unknown !== undefined) throw new InvalidInputError(routeId, unknown, 'is not a query parameter this route takes');
  }
  const schema = (CONTROL_BODIES as Partial<Record<ControlRouteId, z.ZodType>>)[routeId];
  let body: Record<string, unknown> = {};
  if (schema === undefined) {
    if (request.body !== undefined && request.body.trim() !== '') throw new InvalidInputError(routeId, 'body', 'this route takes no body');
  } else {
    body = parseNamed(schema, jsonBody(routeId, request.body), routeId) as Record<string, unknown>;
  }
  return { params: path, page, environment, body };
}

/** A path parameter the route pattern guarantees (matchRoute only matches with every segment present). */
function param(parsed: Parsed, name: 'service' | 'environment' | 'releaseId' | 'approvalId'): string {
  const value = parsed.params[name];
  if (value === undefined) throw new InvalidInputError('path', name, 'is required');
  return value;
}

const optional = <T>(value: T | undefined, key: string): Record<string, T> => (value === undefined ? {} : { [key]: value });

async function run(deps: ControlDeps, routeId: ControlRouteId, parsed: Parsed, caller: ControlCaller): Promise<ControlResponse> {
  const service = () => ({ service: param(parsed, 'service'), environment: param(parsed, 'environment') });
  const release = () => ({ ...service(), releaseId: param(parsed, 'releaseId') });
  const { body, page } = parsed;
  const reason = typeof body.reason === 'string' ? body.reason : undefined;
  const comment = typeof body.comment === 'string' ? body.comment : undefined;
  switch (routeId) {
    case 'listRecentReleases':
      return { status: 200, body: await listRecentReleases(deps, caller, page) };
    case 'listReleases':
      return { status: 200, body: await listReleases(deps, caller, { ...service(), ...page }) };
    case 'startRelease': {
      const input = body as { version: string; plan?: unknown; expedite?: boolean; reason?: string; commit?: string };
      return { status: 202, body: await startRelease(deps, caller, { ...service(), ...input }) };
    }
    case 'getStatus':
      return { status: 200, body: await getStatus(deps, caller, service()) };
    case 'getRelease':
      return { status: 200, body: await getRelease(deps, caller, release()) };
    case 'promoteRelease':
      return withRelease(deps, release(), await promoteRelease(deps, caller, { ...release(), ...optional(typeof body.full === 'boolean' ? body.full : undefined, 'full'), ...optional(reason, 'reason') }));
    case 'abortRelease':
      return withRelease(deps, release(), await abortReleaseOp(deps, caller, { ...release(), reason: reason ?? '' }));
    case 'getApproval':
      return { status: 200, body: await getApproval(deps, caller, { approvalId: param(parsed, 'approvalId') }) };
    case 'approve':
    case 'reject':
      return {
        status: 200,
        body: { approval: await decideApproval(deps, caller, { approvalId: param(parsed, 'approvalId'), outcome: routeId === 'approve' ? 'APPROVED' : 'REJECTED', ...optional(comment, 'comment') }) },
      };
    case 'getLock':
      return { status: 200, body: await getLock(deps, caller, service()) };
    case 'takeOverLock':
      return { status: 200, body: await takeOverLock(deps, caller, { ...service(), reason: reason ?? '' }) };
    case 'whoAmI':
      return { status: 200, body: whoAmI(deps, caller) };
    case 'listVersions':
      return { status: 200, body: await listVersions(deps, caller, { service: param(parsed, 'service'), environment: parsed.environment, ...page }) };
    case 'getReleaseTraffic':
      return { status: 200, body: await getReleaseTraffic(deps, caller, release()) };
    case 'rollbackRelease':
      return withRelease(deps, release(), await rollbackRelease(deps.steps, { ...release(), by: caller.principalArn, reason: reason ?? '' }));
    case 'rollbackToVersion': {
      const to = typeof body.to === 'string' ? body.to : undefined;
      return { status: 202, body: await rollbackToVersion(deps, { ...service(), ...optional(to, 'to'), by: caller.principalArn, reason: reason ?? '' }) };
    }
  }
}

/** An action's answer: what it did, and the release as it is right after (`release`), as every action answers. */
async function withRelease(deps: ControlDeps, ref: { service: string; environment: string; releaseId: string }, outcome: object): Promise<ControlResponse> {
  const after = await deps.ledger.getRelease(ref);
  return { status: 200, body: { ...outcome, ...(after === undefined ? {} : { release: publicRelease(after) }) } };
}

/** The HTTP status of a refusal. */
export function statusOf(error: unknown): number {
  if (error instanceof InvalidInputError || error instanceof InvalidCursorError) return 400;
  if (error instanceof NotAnApproverError || error instanceof SelfApprovalError || error instanceof PromotionNotAllowedError) return 403;
  if (error instanceof MissingIdentityError || error instanceof SignatureMismatchError) return 403;
  if (error instanceof RouteNotFoundError || error instanceof ReleaseNotFoundError || error instanceof ApprovalNotFoundError || error instanceof UnknownServiceError) return 404;
  if (
    error instanceof ReleaseNotActiveError ||
    error instanceof AlreadyDecidedError ||
    error instanceof AlreadyEndorsedError ||
    error instanceof ApprovalExpiredError ||
    error instanceof ApprovalNoLongerWaitingError ||
    error instanceof ReleaseInProgressError ||
    error instanceof LockHeldError ||
    error instanceof LockNotHeldError ||
    error instanceof LockNotOwnedError ||
    error instanceof StaleStatusError ||
    error instanceof IllegalTransitionError ||
    error instanceof ExecutionAlreadyExistsError ||
    error instanceof NoStableVersionError ||
    error instanceof RollbackWindowClosedError ||
    error instanceof AlreadyStableVersionError ||
    error instanceof NoEarlierVersionError
  ) {
    return 409;
  }
  // Unavailable before final: LedgerUnavailableError is a CloudProviderUnavailableError.
  if (error instanceof CloudProviderUnavailableError || error instanceof LedgerConflictError || error instanceof SlackApiError) return 503;
  if (error instanceof CloudProviderError) return 502;
  return 500;
}

/** The error body of a refusal; an error rollgate does not name says nothing of its insides. */
export function errorBodyOf(error: unknown): ControlErrorBody {
  if (error instanceof RollgateError) {
    const field = error instanceof InvalidInputError ? error.field : undefined;
    return { error: { name: error.name, message: error.message, ...(field === undefined ? {} : { field }) } };
  }
  return { error: { name: 'InternalError', message: 'the control function failed; see its logs' } };
}

/**
 * Handles one control request from a verified caller: 200/202 with the
 * route's answer, or a {@link ControlErrorBody}: 400 bad input (naming the
 * field), 403 not allowed, 404 unknown route, release, approval or service,
 * 409 not in a state to do it, 503 the ledger, Step Functions, CloudWatch or
 * Slack unavailable. Nothing changes before every input is valid.
 */
export async function handleControlRequest(
  deps: ControlDeps,
  request: ControlRequest,
  caller: ControlCaller,
  /** Told of every failure answered 5xx (the answer hides an unnamed error's insides; the log must not). */
  onServerError?: (error: unknown, status: number) => void,
): Promise<ControlResponse> {
  try {
    const match = matchRoute(request.method, request.path);
    if (match === undefined) throw new RouteNotFoundError(request.method, request.path);
    const parsed = parseRequest(match.route.id, match.params, request);
    return await run(deps, match.route.id, parsed, caller);
  } catch (error) {
    const status = statusOf(error);
    if (status >= 500) onServerError?.(error, status);
    return { status, body: errorBodyOf(error) };
  }
}
