/** A test's GET on loopback: the status, and the version that answered (its `x-rollgate-version` header). */
import { request } from 'node:http';

export function getVersion(url: string, headers: Readonly<Record<string, string>> = {}): Promise<{ status: number; version: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false, timeout: 5_000 }, (response) => {
      response.resume();
      response.on('end', () => {
        const version = response.headers['x-rollgate-version'];
        resolve({ status: response.statusCode ?? 0, version: typeof version === 'string' ? version : undefined });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
