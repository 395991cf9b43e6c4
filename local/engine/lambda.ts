/**
 * Calling an in-process handler the way Step Functions calls a Lambda function:
 * the event and the result cross a JSON boundary, and a thrown error becomes a
 * task failure whose Error is the error's `name` (Lambda's `errorType`) and
 * whose Cause is Lambda's error payload as a JSON string.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
import { randomUUID } from 'node:crypto';

/** What an in-process Lambda handler gets besides its event (a subset of Lambda's context). */
export interface LambdaContext {
  readonly functionName: string;
  readonly invokedFunctionArn: string;
  readonly awsRequestId: string;
}

/** An in-process Lambda handler. */
export type LambdaHandler = (event: unknown, context: LambdaContext) => Promise<unknown>;

/**
 * A task failure as the state machine sees it: `name` is the Error that
 * Retry/Catch `ErrorEquals` match, `message` is the Cause.
 */
export class TaskFailure extends Error {
  public constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

/**
 * A States.Runtime failure no Retry or Catch may handle: ends a task of an
 * execution that is over (aborted, timed out), or one the engine cannot run.
 * aws-local-stepfunctions reads `isRetryable` / `isCatchable` from errors; with
 * both false it neither retries nor catches, so no step of an execution that is
 * over runs, and the library still settles the task and clears its timers.
 */
export class UncatchableFailure extends Error {
  public readonly isRetryable = false;
  public readonly isCatchable = false;

  public constructor(reason: string) {
    super(reason);
    this.name = 'States.Runtime';
  }
}

/** A copy of `value` as it would arrive on the other side of a JSON boundary (`undefined` → `null`). */
export function jsonCopy(value: unknown): unknown {
  // JSON.stringify gives undefined for undefined (and functions, symbols).
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? null : (JSON.parse(text) as unknown);
}

/**
 * The failure Step Functions reports for an error a handler threw. Errors named
 * `Lambda.*` stand for errors of the Lambda service itself (throttling, a
 * service fault): their Cause is the message. Any other error is a function
 * error: its Cause is the Node.js runtime's error payload
 * (`{"errorType","errorMessage","trace"}`), as a JSON string.
 */
export function taskFailureOf(thrown: unknown): TaskFailure {
  if (thrown instanceof TaskFailure) return thrown;
  if (!(thrown instanceof Error)) {
    return new TaskFailure('Error', JSON.stringify({ errorType: 'Error', errorMessage: String(thrown), trace: [] }));
  }
  if (thrown.name.startsWith('Lambda.')) return new TaskFailure(thrown.name, thrown.message);
  const payload = {
    errorType: thrown.name,
    errorMessage: thrown.message,
    trace: (thrown.stack ?? '').split('\n').filter((line) => line !== ''),
  };
  return new TaskFailure(thrown.name, JSON.stringify(payload));
}

/** Invokes `handler` like a synchronous (RequestResponse) Lambda invocation. */
export async function invokeLambda(
  handler: LambdaHandler,
  functionArn: string,
  functionName: string,
  event: unknown,
): Promise<unknown> {
  const context: LambdaContext = { functionName, invokedFunctionArn: functionArn, awsRequestId: randomUUID() };
  try {
    return jsonCopy(await handler(jsonCopy(event), context));
  } catch (error) {
    throw taskFailureOf(error);
  }
}
