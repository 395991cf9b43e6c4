/**
 * The approval endpoint: Slack interactivity (signed POSTs from Slack) and
 * the browser page (GET shows, POST decides). Transport-neutral: the Lambda
 * handler for a Function URL or HTTP API (function-url.ts) and the local server
 * (local/approval-server.ts) both call {@link ApprovalEndpoint.handle}.
 *
 *   POST /slack/interactivity   block_actions: Approve, Reject, Promote now, Abort, Open in browser
 *   GET  /approvals/{id}?t=…    confirmation page; changes nothing
 *   POST /approvals/{id}        the page's form: link token + CSRF token
 *
 * Statuses: Slack requests with a bad or stale signature get 401 and are not
 * parsed; every signed Slack request gets 200 (Slack shows anything else as
 * a failure to reach the app) and the user hears why in an ephemeral
 * message; `x-rollgate-outcome` names the outcome for logs and tests. The
 * page: forged link 403, unknown approval 404, not allowed 403, decided 409,
 * expired or no longer waiting 410, Slack unreachable 503. Refused on sight,
 * before any secret, ledger or Slack call: a body over 64 KiB (413), an
 * unknown path (404), a wrong method (405), a POST that is not form-encoded
 * (415). Request rates are the API's throttling's business (the stack's).
 */
import * as z from 'zod';
import {
  AlreadyDecidedError,
  AlreadyEndorsedError,
  ApprovalExpiredError,
  ApprovalNoLongerWaitingError,
  ApprovalNotFoundError,
  errorName,
  InvalidInputError,
  NotAnApproverError,
  PromotionNotAllowedError,
  ReleaseNotActiveError,
  SelfApprovalError,
  SlackApiError,
} from '../errors.js';
import type { Callbacks, Ledger, Notifier } from '../ports.js';
import type { SlackApi } from '../adapters/slack/web-api.js';
import {
  decide,
  loadApproval,
  isUndelivered,
  refreshMessage,
  sweepApprovalMessages,
  whyClosed,
  type ApprovalLog,
  type DecisionDeps,
  type FourEyesPolicy,
  type SweepResult,
} from './decisions.js';
import type { HttpRequest, HttpResponse } from './http.js';
import { csrfToken, newCsrfNonce, signApprovalLink, verifyApprovalLink, verifyCsrfToken } from './links.js';
import { ACTION_ABORT, ACTION_APPROVE, ACTION_OPEN_PAGE, ACTION_PROMOTE_NOW, APPROVAL_ACTIONS, factsOf, stateOf } from './message.js';
import { promoteFully } from './promotion.js';
import { PAGE_HEADERS, confirmationPage, messagePage, outcomePage } from './pages.js';
import { SlackApproverDirectory, authorize, type ApproverDirectory } from './policy.js';
import type { SlackSecrets } from './secrets.js';
import { verifySlackSignature } from './slack-signature.js';

export const SLACK_INTERACTIVITY_PATH = '/slack/interactivity';
export const APPROVAL_PAGE_PREFIX = '/approvals/';
const CSRF_COOKIE = 'rollgate_csrf';
const MAX_BODY_BYTES = 64 * 1024;

/** User agents that fetch links to preview them; they get a page without details and never a form. */
const LINK_PREVIEW_AGENTS = /Slackbot-LinkExpanding|Slackbot|facebookexternalhit|Twitterbot|LinkedInBot|Discordbot|TelegramBot|WhatsApp|SkypeUriPreview|Microsoft Office|BingPreview|Googlebot/i;

export interface ApprovalEndpointOptions {
  readonly ledger: Ledger;
  /** SendTaskSuccess / SendTaskFailure (AWS: SfnCallbacks; local: the engine's callbacks). */
  readonly callbacks: Callbacks;
  readonly slack: SlackApi;
  /** The signing secret and the link key; read per request from the (caching) provider. */
  readonly secrets: SlackSecrets;
  /** @default a {@link SlackApproverDirectory} on `slack` */
  readonly directory?: ApproverDirectory;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * The release's author may not approve it: for every approval, or per
   * approval by its service+environment (functions/config.ts `fourEyesFor`).
   * @default true
   */
  readonly fourEyes?: boolean | FourEyesPolicy;
  /**
   * The public URL of the endpoint (e.g. a custom domain in front of the
   * Function URL or HTTP API, possibly under a path): personal links point
   * here, page POSTs must come from its origin, and its path is the prefix
   * the endpoint's own paths are under.
   * @default the origin (and stage path) the request came in on
   */
  readonly publicBaseUrl?: string;
  /** Refuse interactivity from any other Slack workspace (team id `T…`). @default any */
  readonly slackTeamId?: string;
  /** Slack wants an answer within 3 s: work after the decision (message update, ephemeral) gets what is left of this. @default 2500 */
  readonly answerWithinMs?: number;
  /** @default no logging */
  readonly log?: ApprovalLog;
  /** For {@link ApprovalEndpoint.sweep}: posts approval requests Slack did not take when asked. @default none posted */
  readonly notifier?: Notifier;
}

const BlockActionsSchema = z.object({
  type: z.string(),
  team: z.object({ id: z.string() }).nullish(),
  user: z.object({ id: z.string().regex(/^[A-Z0-9]{2,32}$/), team_id: z.string().optional() }),
  channel: z.object({ id: z.string() }).nullish(),
  container: z.object({ channel_id: z.string().optional() }).nullish(),
  actions: z
    .array(z.object({ action_id: z.string(), value: z.string().max(128).optional() }))
    .min(1)
    .max(10)
    .optional(),
});

/** What an approver is told when their approval counts toward a decision that needs another approver. */
const PENDING_TEXT = 'Your approval is recorded. Nobody knows who started this release, so another approver must approve it too (four-eyes).';

interface Outcome {
  readonly status: number;
  readonly code: string;
  readonly text: string;
}

/** How a refusal or failure shows, on the page and in Slack. */
function outcomeOf(error: unknown): Outcome | undefined {
  if (error instanceof ApprovalNotFoundError) return { status: 404, code: 'not-found', text: 'There is no such approval (or it is long gone).' };
  if (error instanceof NotAnApproverError) return { status: 403, code: 'not-an-approver', text: 'You are not one of the approvers of this release.' };
  if (error instanceof SelfApprovalError) return { status: 403, code: 'self-approval', text: 'You authored this release, so you cannot approve it (four-eyes). Another approver must.' };
  if (error instanceof PromotionNotAllowedError) {
    const step = error.stepIndex === undefined ? '' : ` at step ${String(error.stepIndex + 1)}`;
    return { status: 403, code: 'promotion-not-allowed', text: `You may not promote this release now: it would pass an approval${step} you may not give (${error.why}). Nothing changed.` };
  }
  if (error instanceof ReleaseNotActiveError) return { status: 409, code: 'not-active', text: `The release cannot do that now: ${error.message}.` };
  if (error instanceof AlreadyEndorsedError) {
    return { status: 409, code: 'already-approved', text: 'You already approved this release. Nobody knows who started it, so another approver must approve it too (four-eyes).' };
  }
  if (error instanceof AlreadyDecidedError) {
    return { status: 409, code: 'already-decided', text: `Already ${error.decision.outcome.toLowerCase()} by ${error.decision.by} at ${error.decision.at}.` };
  }
  if (error instanceof ApprovalExpiredError) return { status: 410, code: 'expired', text: `This approval timed out at ${error.expiresAt}.` };
  if (error instanceof ApprovalNoLongerWaitingError) return { status: 410, code: 'no-longer-waiting', text: `This approval no longer decides anything: ${error.reason}.` };
  if (error instanceof SlackApiError) return { status: 503, code: 'slack-unavailable', text: 'Could not check your approver rights with Slack just now; nothing was decided. Try again in a minute.' };
  if (error instanceof InvalidInputError) return { status: 400, code: 'invalid', text: 'That request is not valid.' };
  return undefined;
}

function text(status: number, body: string, code: string, extra: Record<string, string> = {}): HttpResponse {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', 'x-rollgate-outcome': code, ...extra }, body };
}

function html(status: number, body: string, code: string, cookies?: readonly string[]): HttpResponse {
  return { status, headers: { ...PAGE_HEADERS, 'x-rollgate-outcome': code }, body, ...(cookies === undefined ? {} : { cookies }) };
}

/** The path of the public URL without its trailing slash, or an {@link InvalidInputError} naming `publicBaseUrl`. */
function basePathOf(publicBaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(publicBaseUrl);
  } catch {
    throw new InvalidInputError('approval endpoint', 'publicBaseUrl', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InvalidInputError('approval endpoint', 'publicBaseUrl', 'must be an absolute http(s) URL');
  return url.pathname.replace(/\/+$/, '');
}

function isFormEncoded(request: HttpRequest): boolean {
  return (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** Resolves with `work`'s result, or with `undefined` once `ms` have passed (the work goes on). */
async function within<T>(ms: number, work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          resolve(undefined);
        }, Math.max(0, ms));
      })]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `work`; a refusal — an error {@link outcomeOf} knows — answers as
 * `refuse` renders it (a page, or a Slack ephemeral), anything else goes on up
 * to {@link ApprovalEndpoint.handle}'s 500. The one place a refusal is caught.
 */
async function refusing(
  work: () => Promise<HttpResponse>,
  refuse: (refused: Outcome, error: unknown) => HttpResponse | Promise<HttpResponse>,
): Promise<HttpResponse> {
  try {
    return await work();
  } catch (error) {
    const refused = outcomeOf(error);
    if (refused === undefined) throw error;
    return refuse(refused, error);
  }
}

/** A refusal on the approval page. */
function refusalPage(refused: Outcome): HttpResponse {
  return html(refused.status, messagePage('Approval', refused.text), refused.code);
}

/** Answers a request on a route; `param` is what the route's pattern captured (the approval id), `''` if nothing. */
type RouteHandler = (request: HttpRequest, param: string) => Promise<HttpResponse>;

/** One path pattern and its handler per method (HEAD answers as GET without a body). */
interface Route {
  /** What the path captures, or `undefined` when the route does not match it. */
  readonly match: (path: string) => string | undefined;
  readonly methods: Readonly<Partial<Record<'GET' | 'POST', RouteHandler>>>;
}

/** Finds the route and method handler of a request: 404 for no route, 405 (with `allow`) for no handler. */
async function route(routes: readonly Route[], request: HttpRequest, path: string): Promise<HttpResponse> {
  for (const { match, methods } of routes) {
    const param = match(path);
    if (param === undefined) continue;
    const handler = request.method === 'HEAD' ? methods.GET : request.method === 'GET' || request.method === 'POST' ? methods[request.method] : undefined;
    if (handler === undefined) {
      const allow = Object.keys(methods).flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method]));
      return text(405, 'method not allowed', 'method', { allow: allow.join(', ') });
    }
    const response = await handler(request, param);
    return request.method === 'HEAD' ? { ...response, body: '' } : response;
  }
  return text(404, 'not found', 'not-found');
}

/** An approval id as the ledger makes them; anything else is not found before any secret or ledger call. */
const APPROVAL_ID = /^[A-Za-z0-9_-]{16,64}$/;

/** The page's handlers, given a well-formed approval id; a malformed one is a 404 page. */
function approvalPage(handler: RouteHandler): RouteHandler {
  return (request, approvalId) =>
    APPROVAL_ID.test(approvalId) ? handler(request, approvalId) : Promise.resolve(html(404, messagePage('Not found', 'There is no such approval.'), 'not-found'));
}

/** The approval endpoint. Build once per container. */
export class ApprovalEndpoint {
  private readonly deps: DecisionDeps;
  private readonly secrets: SlackSecrets;
  private readonly options: ApprovalEndpointOptions;
  /** The path of {@link ApprovalEndpointOptions.publicBaseUrl} without a trailing slash (`''` at the root). */
  private readonly publicBasePath: string | undefined;
  private readonly routes: readonly Route[] = [
    { match: (path) => (path === SLACK_INTERACTIVITY_PATH ? '' : undefined), methods: { POST: (request) => this.slackInteractivity(request) } },
    {
      match: (path) => (path.startsWith(APPROVAL_PAGE_PREFIX) ? path.slice(APPROVAL_PAGE_PREFIX.length) : undefined),
      methods: { GET: approvalPage((request, id) => this.showPage(request, id)), POST: approvalPage((request, id) => this.decideFromPage(request, id)) },
    },
  ];

  public constructor(options: ApprovalEndpointOptions) {
    this.options = options;
    this.secrets = options.secrets;
    const fourEyes = options.fourEyes ?? true;
    this.deps = {
      ledger: options.ledger,
      callbacks: options.callbacks,
      slack: options.slack,
      directory: options.directory ?? new SlackApproverDirectory(options.slack),
      now: options.now ?? (() => new Date()),
      fourEyes: typeof fourEyes === 'boolean' ? () => fourEyes : fourEyes,
      log: options.log ?? (() => undefined),
    };
    this.publicBasePath = options.publicBaseUrl === undefined ? undefined : basePathOf(options.publicBaseUrl);
  }

  /** Answers one request. Never throws: unexpected failures are 500 with nothing of the cause in the body. */
  public async handle(request: HttpRequest): Promise<HttpResponse> {
    try {
      // What is refused on sight (too large, unknown path, wrong method or content type) costs no secret, ledger or Slack call.
      if (request.rawBody.length > MAX_BODY_BYTES) return text(413, 'request body too large', 'too-large');
      return await route(this.routes, request, this.routePath(request));
    } catch (error) {
      this.deps.log({ level: 'error', message: 'approval endpoint failed', error: errorName(error) });
      return text(500, 'internal error', 'error');
    }
  }

  /**
   * A personal link to the approval page for `userId` (what "Open in browser"
   * hands out; the demo prints one), under `baseUrl` (its path kept).
   */
  public async personalLink(approvalId: string, userId: string, baseUrl?: string): Promise<string> {
    const approval = await this.deps.ledger.getApproval(approvalId);
    if (approval === undefined) throw new ApprovalNotFoundError(approvalId);
    const { linkSigningKey } = await this.secrets.get();
    const token = signApprovalLink(linkSigningKey, { approvalId, userId, expiresAt: new Date(approval.expiresAt) });
    const base = new URL(baseUrl ?? this.options.publicBaseUrl ?? 'http://localhost/');
    const basePath = base.pathname.replace(/\/+$/, '');
    return new URL(`${basePath}${APPROVAL_PAGE_PREFIX}${approvalId}?t=${encodeURIComponent(token)}`, base.origin).toString();
  }

  /** Expires what timed out or stopped mattering, and updates finished approvals' messages. */
  public sweep(): Promise<SweepResult> {
    return sweepApprovalMessages(this.options.notifier === undefined ? this.deps : { ...this.deps, notifier: this.options.notifier });
  }

  // ───────────────────────────── Slack ─────────────────────────────

  private async slackInteractivity(request: HttpRequest): Promise<HttpResponse> {
    // Slack posts interactivity form-encoded: https://api.slack.com/interactivity/handling#payloads
    if (!isFormEncoded(request)) return text(415, 'expected application/x-www-form-urlencoded', 'unsupported-media-type');
    const started = Date.now();
    const { signingSecret } = await this.secrets.get();
    // Nothing of the body is looked at before the signature over its raw bytes checks out.
    const signed = verifySlackSignature({
      signingSecret,
      timestamp: request.headers['x-slack-request-timestamp'],
      signature: request.headers['x-slack-signature'],
      rawBody: request.rawBody,
      nowSeconds: Math.floor(this.deps.now().getTime() / 1000),
    });
    if (!signed) {
      this.deps.log({ level: 'warn', message: 'Slack request refused: bad or stale signature' });
      return text(401, 'invalid signature', 'bad-signature');
    }

    const payloadText = new URLSearchParams(request.rawBody.toString('utf8')).get('payload');
    let json: unknown;
    try {
      json = JSON.parse(payloadText ?? '');
    } catch {
      return text(400, 'no payload', 'invalid');
    }
    const parsed = BlockActionsSchema.safeParse(json);
    if (!parsed.success) return text(400, 'unexpected payload', 'invalid');
    const payload = parsed.data;
    if (payload.type !== 'block_actions') return text(200, '', 'ignored');
    const team = payload.team?.id ?? payload.user.team_id;
    if (this.options.slackTeamId !== undefined && team !== this.options.slackTeamId) return text(403, 'wrong workspace', 'wrong-team');

    const action = payload.actions?.find((a) => (APPROVAL_ACTIONS as readonly string[]).includes(a.action_id));
    if (action?.value === undefined) return text(200, '', 'ignored');
    const approvalId = action.value;
    const userId = payload.user.id;
    const channel = payload.channel?.id ?? payload.container?.channel_id;
    const budget = () => (this.options.answerWithinMs ?? 2500) - (Date.now() - started);
    const tell = async (message: string) => {
      if (channel === undefined) return;
      const sent = this.deps.slack.postEphemeral({ channel, user: userId, text: message }).catch((error: unknown) => {
        this.deps.log({ level: 'warn', message: 'ephemeral message not sent', approvalId, userId, error: errorName(error) });
      });
      await within(budget(), sent);
    };

    const outcome = action.action_id === ACTION_APPROVE || action.action_id === ACTION_PROMOTE_NOW ? 'APPROVED' : 'REJECTED';
    const done = action.action_id === ACTION_PROMOTE_NOW ? 'promoted' : action.action_id === ACTION_ABORT ? 'aborted' : outcome === 'APPROVED' ? 'approved' : 'rejected';
    // Refused: the user hears why, Slack gets its 200.
    const refuse = async (refused: Outcome, error: unknown): Promise<HttpResponse> => {
      this.deps.log({ level: 'info', message: `Slack decision refused: ${refused.code}`, approvalId, userId, outcome: action.action_id === ACTION_OPEN_PAGE ? 'VIEW' : outcome, error: errorName(error) });
      await tell(refused.text);
      return text(200, '', refused.code);
    };
    if (action.action_id === ACTION_OPEN_PAGE) return refusing(() => this.handOutLink(request, approvalId, userId, tell), refuse);

    return refusing(async () => {
      // One decision path each: Promote now through promoteFully (as the control API's promote --full), Abort through decide's abort.
      const decided =
        action.action_id === ACTION_PROMOTE_NOW
          ? (await promoteFully(this.deps, { approvalId, userId, via: 'slack' })).approval
          : await decide(this.deps, { approvalId, outcome, userId, via: 'slack', ...(action.action_id === ACTION_ABORT ? { action: 'abort' as const } : {}) });
      if (decided?.decision === undefined) {
        await tell(PENDING_TEXT);
        return text(200, '', 'approval-recorded');
      }
      await within(budget(), refreshMessage(this.deps, approvalId));
      return text(200, '', done);
    }, refuse);
  }

  private async handOutLink(request: HttpRequest, approvalId: string, userId: string, tell: (message: string) => Promise<void>): Promise<HttpResponse> {
    const { approval, release } = await loadApproval(this.deps.ledger, approvalId);
    await authorize(this.deps.directory, { approval, userId, outcome: 'VIEW', startedBy: release?.trigger.startedBy, fourEyes: this.deps.fourEyes(approval) });
    const link = await this.personalLink(approvalId, userId, this.options.publicBaseUrl ?? `${request.origin}${request.basePath ?? ''}`);
    await tell(`Your personal approval link (do not share it: it decides as you): ${link}`);
    return text(200, '', 'link-sent');
  }

  // ───────────────────────────── browser ─────────────────────────────

  private expectedOrigin(request: HttpRequest): string {
    return this.options.publicBaseUrl === undefined ? request.origin : new URL(this.options.publicBaseUrl).origin;
  }

  /** The path prefix browsers see in front of the endpoint's own paths: the public URL's path, else the request's stage path. */
  private mountPath(request: HttpRequest): string {
    return this.publicBasePath ?? request.basePath ?? '';
  }

  /**
   * The endpoint's own path of a request: requests that come in through the
   * public URL may still carry its path (an API mapping of a custom domain),
   * which is taken off.
   */
  private routePath(request: HttpRequest): string {
    const prefix = this.publicBasePath;
    if (prefix === undefined || prefix === '' || !request.path.startsWith(`${prefix}/`)) return request.path;
    return request.path.slice(prefix.length);
  }

  private async showPage(request: HttpRequest, approvalId: string): Promise<HttpResponse> {
    // Link unfurlers and scanners fetch links too: they get nothing to read and nothing to submit.
    if (LINK_PREVIEW_AGENTS.test(request.headers['user-agent'] ?? '')) {
      return html(200, messagePage('rollgate approval', 'Open this link in your browser to review the release.'), 'preview');
    }
    const { linkSigningKey } = await this.secrets.get();
    const claims = verifyApprovalLink(linkSigningKey, approvalId, request.query.get('t') ?? undefined);
    if (claims === undefined) return html(403, messagePage('Forbidden', 'This link is not valid.'), 'bad-link');
    return refusing(async () => {
      const context = await loadApproval(this.deps.ledger, approvalId);
      const { approval, release } = context;
      const facts = factsOf(approval, release);
      await authorize(this.deps.directory, { approval, userId: claims.userId, outcome: 'VIEW', startedBy: release?.trigger.startedBy, fourEyes: this.deps.fourEyes(approval) });
      const state = stateOf(approval);
      // A decision not yet delivered keeps its form: submitting the same outcome sends it again.
      if (state.kind === 'decided' && !isUndelivered(approval)) return html(409, outcomePage(facts, state), 'already-decided');
      if (state.kind === 'expired') return html(410, outcomePage(facts, state), 'no-longer-waiting');
      const now = this.deps.now();
      const closed = claims.expiresAt.getTime() <= now.getTime() ? 'the link has expired' : whyClosed(context, now);
      // Showing the page changes nothing, not even an expiry: the sweeper records that.
      if (closed !== undefined) return html(410, outcomePage(facts, { kind: 'expired', at: now.toISOString(), reason: closed }), 'expired');
      let canApprove = true;
      try {
        await authorize(this.deps.directory, { approval, userId: claims.userId, outcome: 'APPROVED', startedBy: release?.trigger.startedBy, fourEyes: this.deps.fourEyes(approval) });
      } catch (error) {
        if (!(error instanceof SelfApprovalError)) throw error;
        canApprove = false;
      }
      const nonce = newCsrfNonce();
      const secure = this.expectedOrigin(request).startsWith('https:') ? '; Secure' : '';
      const pagePath = `${this.mountPath(request)}${APPROVAL_PAGE_PREFIX}${approvalId}`;
      const cookie = `${CSRF_COOKIE}=${nonce}; Path=${pagePath}; HttpOnly; SameSite=Strict; Max-Age=3600${secure}`;
      const body = confirmationPage({
        facts,
        userId: claims.userId,
        action: pagePath,
        linkToken: request.query.get('t') ?? '',
        csrf: csrfToken(linkSigningKey, { approvalId, userId: claims.userId, nonce }),
        canApprove,
      });
      return html(200, body, 'page', [cookie]);
    }, refusalPage);
  }

  private async decideFromPage(request: HttpRequest, approvalId: string): Promise<HttpResponse> {
    const forbidden = (reason: string, code: string) => html(403, messagePage('Forbidden', reason), code);
    // A form posted from another site: refused before anything else.
    if (request.headers['sec-fetch-site'] === 'cross-site') return forbidden('Cross-site requests cannot decide.', 'cross-site');
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== this.expectedOrigin(request)) return forbidden('Cross-site requests cannot decide.', 'cross-site');
    if (!isFormEncoded(request)) return html(415, messagePage('Unsupported', 'Post the approval form.'), 'unsupported-media-type');
    const form = new URLSearchParams(request.rawBody.toString('utf8'));
    const { linkSigningKey } = await this.secrets.get();
    const claims = verifyApprovalLink(linkSigningKey, approvalId, form.get('t') ?? undefined);
    if (claims === undefined) return forbidden('This link is not valid.', 'bad-link');
    if (!verifyCsrfToken(linkSigningKey, { approvalId, userId: claims.userId, nonce: request.cookies[CSRF_COOKIE], token: form.get('csrf') ?? undefined })) {
      return forbidden('This form has expired or did not come from the approval page. Open the link again.', 'bad-csrf');
    }
    const choice = form.get('decision');
    if (choice !== 'approve' && choice !== 'reject') return html(400, messagePage('Approval', 'Choose Approve or Reject.'), 'invalid');
    // eslint-disable-next-line no-control-regex
    const comment = (form.get('comment') ?? '').replace(/[\u0000-\u001F\u007F]/g, ' ').trim().slice(0, 500);
    return refusing(async () => {
      if (claims.expiresAt.getTime() <= this.deps.now().getTime()) {
        throw new ApprovalExpiredError(approvalId, claims.expiresAt.toISOString());
      }
      const decided = await decide(this.deps, {
        approvalId,
        outcome: choice === 'approve' ? 'APPROVED' : 'REJECTED',
        userId: claims.userId,
        via: 'browser',
        ...(comment === '' ? {} : { comment }),
      });
      await refreshMessage(this.deps, approvalId);
      if (decided.decision === undefined) return html(200, messagePage('Approval recorded', PENDING_TEXT), 'approval-recorded');
      const release = await this.deps.ledger.getRelease(decided);
      const state = stateOf(decided);
      if (state.kind === 'open') throw new Error('a decided approval reads as open');
      return html(200, outcomePage(factsOf(decided, release), state), choice === 'approve' ? 'approved' : 'rejected');
    }, refusalPage);
  }
}
