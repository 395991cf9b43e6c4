/**
 * Starting and stopping the local stack's HTTP servers (control API,
 * approval endpoint, Slack stand-in, router, version servers): each listens
 * on loopback only, fails to start with the listen error (a port in use)
 * rather than hanging, and closes with its open keep-alive connections, so a
 * stop never waits for a client to hang up.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on `host` (default 127.0.0.1) at `port` (default: a free one); resolves with the port. */
export async function listenOnLoopback(server: Server, options: { readonly port?: number | undefined; readonly host?: string | undefined } = {}): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Closes the server and every connection it holds; a server that is not listening is already closed. */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => {
      if (error === undefined) resolve();
      else reject(error);
    });
  });
}
