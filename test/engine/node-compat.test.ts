import { describe, expect, test } from 'vitest';
import { installPromiseWithResolvers, promiseWithResolvers } from '../../local/node-compat.js';
import type { PromiseResolvers } from '../../local/node-compat.js';

describe('Promise.withResolvers polyfill', () => {
  test('Promise.withResolvers exists once node-compat is imported', () => {
    expect(typeof Reflect.get(Promise, 'withResolvers')).toBe('function');
  });

  test('resolve settles the returned promise with the value', async () => {
    const { promise, resolve } = promiseWithResolvers.call(Promise) as PromiseResolvers<number>;
    resolve(42);
    await expect(promise).resolves.toBe(42);
  });

  test('reject settles the returned promise with the reason', async () => {
    const { promise, reject } = promiseWithResolvers.call(Promise) as PromiseResolvers<number>;
    reject(new Error('nope'));
    await expect(promise).rejects.toThrow('nope');
  });

  test('only the first settlement counts', async () => {
    const { promise, resolve, reject } = promiseWithResolvers.call(Promise) as PromiseResolvers<string>;
    resolve('first');
    resolve('second');
    reject(new Error('late'));
    await expect(promise).resolves.toBe('first');
  });

  test('a subclass gets an instance of itself', () => {
    class TaggedPromise<T> extends Promise<T> {}
    const { promise } = promiseWithResolvers.call(TaggedPromise);
    expect(promise).toBeInstanceOf(TaggedPromise);
  });

  test('called on something that is not a constructor it throws a TypeError', () => {
    expect(() => promiseWithResolvers.call({} as PromiseConstructor)).toThrow(TypeError);
  });

  test('installs where withResolvers is missing, as a non-enumerable method', () => {
    class Bare<T> extends Promise<T> {}
    Reflect.defineProperty(Bare, 'withResolvers', { value: undefined, configurable: true, writable: true });

    expect(installPromiseWithResolvers(Bare)).toBe(true);

    const descriptor = Object.getOwnPropertyDescriptor(Bare, 'withResolvers');
    expect(descriptor).toMatchObject({ value: promiseWithResolvers, writable: true, configurable: true, enumerable: false });
  });

  test('leaves an existing withResolvers alone', () => {
    const native = (): string => 'native';
    class WithOwn<T> extends Promise<T> {}
    Reflect.defineProperty(WithOwn, 'withResolvers', { value: native, configurable: true, writable: true });

    expect(installPromiseWithResolvers(WithOwn)).toBe(false);
    expect(Reflect.get(WithOwn, 'withResolvers')).toBe(native);
  });
});
