/**
 * A stand-in for a port a test expects the code under test never to reach:
 * any call fails with {@link TouchedError} naming the port and the method, so
 * a check that should come before any ledger read or alarm check is proved
 * to (reaching the port fails the test with that name).
 */

/** A call reached a port the test holds untouchable. */
export class TouchedError extends Error {
  public constructor(public readonly call: string) {
    super(`${call} was called`);
    this.name = 'TouchedError';
  }
}

/** A `T` every method of which fails with {@link TouchedError}; not a thenable, so `await` calls nothing. */
// The caller names the port type the stand-in is for; nothing else can.
// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
export function untouched<T extends object>(port: string): T {
  const stub = new Proxy({}, { get: (_target, method) => (method === 'then' ? undefined : () => Promise.reject(new TouchedError(`${port}.${String(method)}`))) });
  return stub as T;
}
