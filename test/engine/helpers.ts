/** Shared pieces of the engine tests: fixture paths, function ARNs, a queue of handler calls. */
import type { LambdaHandler } from '../../local/engine/index.js';

export const fixture = (name: string): URL => new URL(`./fixtures/${name}`, import.meta.url);

/** The ARN CDK would substitute for a function of this name. */
export const functionArn = (name: string): string => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

/** Values arriving one by one (handler calls), taken in order by `next()`. */
export class Inbox<T> {
  private readonly items: T[] = [];
  private readonly takers: ((item: T) => void)[] = [];

  public push(item: T): void {
    const taker = this.takers.shift();
    if (taker === undefined) this.items.push(item);
    else taker(item);
  }

  public next(): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return new Promise((resolve) => {
      this.takers.push(resolve);
    });
  }
}

/** What a callback handler (a bake, an approval) receives. */
export interface CallbackEvent {
  readonly taskToken: string;
  readonly [field: string]: unknown;
}

/** A callback handler that records each event it gets (and so each fresh task token). */
export function recordingCallbackHandler(inbox: Inbox<CallbackEvent>): LambdaHandler {
  return (event) => {
    inbox.push(event as CallbackEvent);
    return Promise.resolve({ registered: true });
  };
}

/** A named error as a handler would throw it (the class name, as rollgate's errors set it). */
export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
