/**
 * SmokeChecker over HTTP: each check is one GET to the service's public URL
 * carrying the dark-canary header, so the ALB's header-routed rule sends it to
 * the new fleet while real users stay on the stable one. A check passes on the
 * expected status; a timeout or a network error fails it (status null) rather
 * than throwing, so the step reports every check.
 */
import type { HeaderRoute, SmokeCheck, SmokeChecker, SmokeResult } from '../../ports.js';

/** Options of an {@link HttpSmokeChecker}. */
export interface HttpSmokeCheckerOptions {
  /**
   * How long one check may take, headers and body included, in milliseconds.
   * The dark-canary function's timeout must cover `checks × timeoutMs`.
   *
   * @default 5000
   */
  readonly timeoutMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof globalThis.fetch;
}

/** Runs smoke checks with `fetch`, one after the other, each bounded by a timeout. */
export class HttpSmokeChecker implements SmokeChecker {
  private readonly timeoutMs: number;
  private readonly fetch: typeof globalThis.fetch;

  public constructor(options: HttpSmokeCheckerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  public async run(baseUrl: string, route: HeaderRoute, checks: readonly SmokeCheck[]): Promise<SmokeResult[]> {
    const results: SmokeResult[] = [];
    // One at a time: a smoke check probes a fleet that is just starting, not its capacity.
    for (const check of checks) results.push(await this.check(baseUrl, route, check));
    return results;
  }

  private async check(baseUrl: string, route: HeaderRoute, check: SmokeCheck): Promise<SmokeResult> {
    const url = new URL(check.path, baseUrl);
    try {
      const response = await this.fetch(url, {
        method: 'GET',
        headers: { [route.headerName]: route.headerValue },
        // A redirect is an answer to judge, not to follow: following could leave the header-routed path.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Read the body within the same deadline so the connection is released.
      await response.arrayBuffer();
      const ok = response.status === check.expectStatus;
      return {
        path: check.path,
        ok,
        status: response.status,
        detail: ok ? String(response.status) : `expected ${String(check.expectStatus)}, got ${String(response.status)}`,
      };
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const detail = timedOut
        ? `no answer within ${String(this.timeoutMs)} ms`
        : `request failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
      return { path: check.path, ok: false, status: null, detail };
    }
  }
}
