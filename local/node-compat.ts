/**
 * Import first in every local entry point (demo, bench). rollgate runs locally
 * on Node 20.19+; the AWS SDK warns on every process start below Node 22
 * (about future SDK releases, not this one), which would drown the demo's
 * output. Lambda runs nodejs22.x, where the warning never fires.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** What `Promise.withResolvers()` returns (ES2024; not in this project's `lib`). */
export interface PromiseResolvers<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T | PromiseLike<T>) => void;
  readonly reject: (reason?: unknown) => void;
}

/**
 * `Promise.withResolvers` as ES2024 specifies it: a new promise built with
 * `this` as the constructor (so subclasses get their own kind of promise),
 * and the functions that settle it. aws-local-stepfunctions calls it on every
 * Task state; Node 20 does not have it (Node 22 does).
 */
export function promiseWithResolvers<T>(this: PromiseConstructor): PromiseResolvers<T> {
  if (typeof this !== 'function') {
    throw new TypeError('Promise.withResolvers called on a non-constructor');
  }
  let resolve: ((value: T | PromiseLike<T>) => void) | undefined;
  let reject: ((reason?: unknown) => void) | undefined;
  const promise = new this<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  if (resolve === undefined || reject === undefined) {
    // A Promise subclass whose constructor never calls its executor.
    throw new TypeError('Promise.withResolvers: the promise constructor did not call its executor');
  }
  return { promise, resolve, reject };
}

/**
 * Installs {@link promiseWithResolvers} on `target` (the global `Promise` by
 * default) unless it already has a `withResolvers`; the property is defined
 * like the built-in one (writable, configurable, not enumerable).
 * @returns whether the polyfill was installed.
 */
export function installPromiseWithResolvers(target: PromiseConstructor = Promise): boolean {
  if (typeof Reflect.get(target, 'withResolvers') === 'function') return false;
  Object.defineProperty(target, 'withResolvers', {
    value: promiseWithResolvers,
    writable: true,
    enumerable: false,
    configurable: true,
  });
  return true;
}

installPromiseWithResolvers();
