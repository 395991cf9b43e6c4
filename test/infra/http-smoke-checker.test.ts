import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpSmokeChecker } from '../../functions/adapters/http/smoke-checker.js';
import { closeServer, listenOnLoopback } from '../../local/loopback-server.js';

const route = { headerName: 'x-rollgate-canary', headerValue: 'v2', priority: 5 };
const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
let server: Server;
let baseUrl = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    if (req.url === '/slow') return; // never answers
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/elsewhere' }).end();
      return;
    }
    const canary = req.headers[route.headerName] === route.headerValue;
    res.writeHead(req.url === '/healthz' && canary ? 200 : 503).end(canary ? 'new fleet' : 'stable fleet');
  });
  baseUrl = `http://127.0.0.1:${String(await listenOnLoopback(server))}`;
});

afterAll(async () => {
  await closeServer(server);
});

describe('HttpSmokeChecker against a real HTTP server', () => {
  it('sends the dark-canary header and passes a check answered with the expected status', async () => {
    const results = await new HttpSmokeChecker().run(baseUrl, route, [{ path: '/healthz', expectStatus: 200 }]);
    expect(results).toEqual([{ path: '/healthz', ok: true, status: 200, detail: '200' }]);
    expect(seen.at(-1)?.headers[route.headerName]).toBe('v2');
  });

  it('fails a check answered with another status, and does not follow redirects', async () => {
    const results = await new HttpSmokeChecker().run(baseUrl, route, [
      { path: '/api/cart', expectStatus: 200 },
      { path: '/moved', expectStatus: 200 },
    ]);
    expect(results).toEqual([
      { path: '/api/cart', ok: false, status: 503, detail: 'expected 200, got 503' },
      { path: '/moved', ok: false, status: 302, detail: 'expected 200, got 302' },
    ]);
    expect(seen.some((r) => r.path === '/elsewhere')).toBe(false);
  });

  it('fails a check with no answer within its timeout instead of waiting', async () => {
    const started = Date.now();
    const [result] = await new HttpSmokeChecker({ timeoutMs: 200 }).run(baseUrl, route, [{ path: '/slow', expectStatus: 200 }]);
    expect(result).toEqual({ path: '/slow', ok: false, status: null, detail: 'no answer within 200 ms' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails a check whose request cannot be made, saying why', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => { resolve(); }));
    const [result] = await new HttpSmokeChecker().run(`http://127.0.0.1:${String(port)}`, route, [{ path: '/healthz', expectStatus: 200 }]);
    expect(result).toMatchObject({ path: '/healthz', ok: false, status: null, detail: expect.stringMatching(/^request failed: TypeError: fetch failed/) as unknown });
  });
});
