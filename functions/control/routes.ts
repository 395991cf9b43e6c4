/**
 * The control API's contract: every route, what it needs, and which IAM
 * access it belongs to. One table read by the control function (dispatch),
 * the stack (HTTP API routes, each with AWS_IAM authorization, and the
 * read-only and operator managed policies, whose `execute-api:Invoke`
 * resources are exactly these routes), the local control server and the
 * `rollgate` CLI (which route a command calls).
 *
 * Paths are API Gateway route keys: `{name}` is one path segment.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
 */
import * as z from 'zod';
import { NameSchema, ReasonSchema, VersionSchema } from '../domain/fields.js';

/** `read`: looks and changes nothing (the read-only policy). `operate`: acts on releases (the operator policy). */
export type RouteAccess = 'read' | 'operate';

export interface ControlRoute {
  /** Stable id: the handler's dispatch key and the CLI's reference. */
  readonly id: ControlRouteId;
  readonly method: 'GET' | 'POST';
  /** API Gateway route path, e.g. `/services/{service}/{environment}/releases`. */
  readonly path: string;
  readonly access: RouteAccess;
  /** One line for the docs and `--help`. */
  readonly summary: string;
}

export const CONTROL_ROUTE_IDS = [
  'listRecentReleases',
  'listReleases',
  'startRelease',
  'getStatus',
  'getRelease',
  'promoteRelease',
  'abortRelease',
  'rollbackRelease',
  'rollbackToVersion',
  'getApproval',
  'approve',
  'reject',
  'getLock',
  'takeOverLock',
  'whoAmI',
  'listVersions',
  'getReleaseTraffic',
] as const;
export type ControlRouteId = (typeof CONTROL_ROUTE_IDS)[number];

const SERVICE = '/services/{service}/{environment}';
const RELEASE = `${SERVICE}/releases/{releaseId}`;

export const CONTROL_ROUTES: readonly ControlRoute[] = [
  { id: 'listRecentReleases', method: 'GET', path: '/releases', access: 'read', summary: 'Recent releases across every service, newest first (paged)' },
  { id: 'listReleases', method: 'GET', path: `${SERVICE}/releases`, access: 'read', summary: 'Releases of one service+environment, newest first (paged)' },
  { id: 'startRelease', method: 'POST', path: `${SERVICE}/releases`, access: 'operate', summary: 'Starts a release of a version' },
  { id: 'getStatus', method: 'GET', path: `${SERVICE}/status`, access: 'read', summary: 'The stable version and fleet, the active release and the lock' },
  { id: 'getRelease', method: 'GET', path: RELEASE, access: 'read', summary: 'One release: status, step, weights, alarms, pending approval, events' },
  { id: 'promoteRelease', method: 'POST', path: `${RELEASE}/promote`, access: 'operate', summary: 'Skips the rest of the current bake; with full, every remaining step (approval policy applies)' },
  { id: 'abortRelease', method: 'POST', path: `${RELEASE}/abort`, access: 'operate', summary: 'Aborts the release: traffic back to stable, new fleet removed' },
  { id: 'rollbackRelease', method: 'POST', path: `${RELEASE}/rollback`, access: 'operate', summary: 'Puts traffic back on the previous fleet while it is still warm' },
  { id: 'rollbackToVersion', method: 'POST', path: `${SERVICE}/rollback`, access: 'operate', summary: 'Releases an earlier version with the expedited rollback plan' },
  { id: 'getApproval', method: 'GET', path: '/approvals/{approvalId}', access: 'read', summary: 'An approval (never its task token)' },
  { id: 'approve', method: 'POST', path: '/approvals/{approvalId}/approve', access: 'operate', summary: 'Approves, under the approval policy and four-eyes' },
  { id: 'reject', method: 'POST', path: '/approvals/{approvalId}/reject', access: 'operate', summary: 'Rejects: the release rolls back' },
  { id: 'getLock', method: 'GET', path: `${SERVICE}/lock`, access: 'read', summary: 'Who holds the service+environment lock, and its lease' },
  { id: 'takeOverLock', method: 'POST', path: `${SERVICE}/lock/take-over`, access: 'operate', summary: 'Frees a lock whose holder is dead (its execution ended)' },
  { id: 'whoAmI', method: 'GET', path: '/whoami', access: 'read', summary: 'The verified identity the API sees for the caller' },
  // Every environment of the service by default (`?environment=` for one), hence no {environment} segment.
  { id: 'listVersions', method: 'GET', path: '/services/{service}/versions', access: 'read', summary: 'What ran, where, when: one row per version of a service, newest first (paged)' },
  { id: 'getReleaseTraffic', method: 'GET', path: `${RELEASE}/traffic`, access: 'read', summary: 'Requests, 5xx and latency per version (stable, canary) of a release, per period' },
];

/** The route with this id. */
export function routeOf(id: ControlRouteId): ControlRoute {
  const route = CONTROL_ROUTES.find((r) => r.id === id);
  if (route === undefined) throw new Error(`no control route ${id}`);
  return route;
}

/** `path` with its `{name}` segments filled in (each URI-encoded). */
export function pathOf(id: ControlRouteId, params: Readonly<Record<string, string>>): string {
  return routeOf(id).path.replace(/\{(\w+)\}/g, (_all, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`route ${id}: missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

/** Matches a request to a route: the route and its decoded path parameters, or undefined. */
export function matchRoute(method: string, path: string): { route: ControlRoute; params: Record<string, string> } | undefined {
  for (const route of CONTROL_ROUTES) {
    if (route.method !== method) continue;
    const names: string[] = [];
    const pattern = new RegExp(`^${route.path.replace(/\{(\w+)\}/g, (_all, name: string) => (names.push(name), '([^/]+)'))}$`);
    const match = pattern.exec(path);
    if (match === null) continue;
    const params: Record<string, string> = {};
    names.forEach((name, i) => {
      params[name] = decodeURIComponent(match[i + 1] ?? '');
    });
    return { route, params };
  }
  return undefined;
}

/** Query of the paged list routes: `limit` (1-100, default 20) and the opaque `cursor` a previous page returned as `next`. */
export const PageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(2048).optional(),
});

/** Query of `listVersions`: paging, and optionally one environment (default: every environment of the service). */
export const VersionsQuerySchema = PageQuerySchema.extend({ environment: NameSchema.optional() });

/** Bodies of the routes that take one (JSON). Unknown fields are refused by name. */
export const CONTROL_BODIES = {
  startRelease: z.strictObject({
    version: VersionSchema,
    /** A plan for this release; its approvals must keep the configured ones. */
    plan: z.unknown().optional(),
    expedite: z.boolean().optional(),
    reason: ReasonSchema.optional(),
    commit: z.string().min(1).max(128).optional(),
  }),
  promoteRelease: z.strictObject({
    /** Promote fully: skip every remaining plan step, under the approval policy of each approval it passes. @default false: the rest of the current bake only */
    full: z.boolean().optional(),
    reason: ReasonSchema.optional(),
  }),
  abortRelease: z.strictObject({ reason: ReasonSchema }),
  rollbackRelease: z.strictObject({ reason: ReasonSchema }),
  rollbackToVersion: z.strictObject({ to: VersionSchema.optional(), reason: ReasonSchema }),
  approve: z.strictObject({ comment: ReasonSchema.optional() }),
  reject: z.strictObject({ comment: ReasonSchema.optional() }),
  takeOverLock: z.strictObject({ reason: ReasonSchema }),
} as const satisfies Partial<Record<ControlRouteId, z.ZodType>>;

/** Path parameters, validated before anything is read. */
export const PathParamsSchema = z.object({
  service: NameSchema.optional(),
  environment: NameSchema.optional(),
  releaseId: z.ulid('must be a ULID').optional(),
  approvalId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'must be an approval id').optional(),
});

/**
 * Every error answer: `{ "error": { name, message, field? } }` with the
 * domain error's class name (`ReleaseNotActiveError`, `SelfApprovalError`,
 * ...) so the CLI and scripts can branch on it, and the field it is about
 * when one input is wrong.
 */
export interface ControlErrorBody {
  readonly error: { readonly name: string; readonly message: string; readonly field?: string };
}
