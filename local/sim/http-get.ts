/** One GET on loopback with a deadline, as a health or smoke check does it: the status, or why there was none. */
import { request as httpRequest } from 'node:http';

export interface GetResult {
  readonly status: number | null;
  readonly detail: string;
}

export function httpGet(url: string, headers: Readonly<Record<string, string>>, timeoutMs: number): Promise<GetResult> {
  return new Promise((resolve) => {
    const request = httpRequest(url, { headers, timeout: timeoutMs, agent: false }, (response) => {
      response.resume();
      response.on('end', () => { resolve({ status: response.statusCode ?? null, detail: `HTTP ${String(response.statusCode)}` }); });
      response.on('error', (error) => { resolve({ status: null, detail: error.message }); });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${String(timeoutMs)} ms`)));
    request.on('error', (error: NodeJS.ErrnoException) => { resolve({ status: null, detail: error.code === 'ECONNREFUSED' ? 'connection refused' : error.message }); });
    request.end();
  });
}
