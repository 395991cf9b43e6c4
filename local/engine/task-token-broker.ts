/**
 * The local `Callbacks`: task tokens of the local engine's callback tasks
 * (`.waitForTaskToken`), with SendTaskSuccess / SendTaskFailure /
 * SendTaskHeartbeat semantics.
 *
 * A token is open from the moment its task starts until the first of: a
 * success, a failure, the task's timeout or heartbeat timeout, the Lambda
 * invocation failing, or its execution ending. After that every call with it
 * fails with {@link TaskAlreadyClosedError}, as the AWS adapter maps
 * TaskTimedOut / TaskDoesNotExist / InvalidToken; so does a token this broker
 * never issued.
 */
import { randomBytes } from 'node:crypto';
import { TaskAlreadyClosedError } from '../../functions/errors.js';
import type { Callbacks } from '../../functions/ports.js';
import { promiseWithResolvers } from '../node-compat.js';
import type { PromiseResolvers } from '../node-compat.js';
import { UncatchableFailure, TaskFailure, jsonCopy } from './lambda.js';

/** Which task a token belongs to. */
export interface TaskTokenOwner {
  readonly executionArn: string;
  readonly stateName: string;
}

/** A token still open, and its task. */
export interface OpenTokenInfo extends TaskTokenOwner {
  readonly token: string;
}

/** An open task token and what its task will end with. */
export interface OpenTaskToken {
  readonly token: string;
  /**
   * Settles when the token is resumed: the success output, or a rejection with
   * the failure (a {@link TaskFailure}, or an {@link UncatchableFailure} when
   * the execution ended). Stays pending when the token closes for another
   * reason (its task timed out), because the task is then already over.
   */
  readonly outcome: Promise<unknown>;
}

interface TokenRecord extends TaskTokenOwner {
  /** `undefined` while open; why it closed afterwards. */
  closedBecause: string | undefined;
  readonly resolvers: PromiseResolvers<unknown>;
  readonly heartbeatMs: number | undefined;
  heartbeatTimer: NodeJS.Timeout | undefined;
}

/** The task-token broker of the local engine; implements the {@link Callbacks} port. */
export class LocalCallbacks implements Callbacks {
  private readonly tokens = new Map<string, TokenRecord>();

  /** Resumes the waiting task with `output` (SendTaskSuccess). */
  public success(taskToken: string, output: Record<string, unknown>): Promise<void> {
    return this.settle(taskToken, (record) => {
      record.resolvers.resolve(jsonCopy(output));
    });
  }

  /** Fails the waiting task with the named `error` that ASL Retry/Catch match (SendTaskFailure). */
  public failure(taskToken: string, error: string, cause: string): Promise<void> {
    return this.settle(taskToken, (record) => {
      record.resolvers.reject(new TaskFailure(error, cause));
    });
  }

  /** Reports that the work behind the token is alive (SendTaskHeartbeat); restarts its heartbeat timeout. */
  public heartbeat(taskToken: string): Promise<void> {
    try {
      const record = this.openRecord(taskToken);
      this.armHeartbeat(record);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The tokens still open, of one execution or of all. */
  public openTokens(executionArn?: string): OpenTokenInfo[] {
    const open: OpenTokenInfo[] = [];
    for (const [token, record] of this.tokens) {
      if (record.closedBecause === undefined && (executionArn === undefined || record.executionArn === executionArn)) {
        open.push({ token, executionArn: record.executionArn, stateName: record.stateName });
      }
    }
    return open;
  }

  /**
   * Issues a fresh token for a task that starts now (engine use).
   * @param heartbeatMs fail the task with States.HeartbeatTimeout when no heartbeat (or resume) comes for this long.
   */
  public open(owner: TaskTokenOwner, heartbeatMs?: number): OpenTaskToken {
    const token = randomBytes(48).toString('base64url');
    const resolvers: PromiseResolvers<unknown> = promiseWithResolvers.call(Promise);
    // Whoever awaits the outcome attaches later; a failure before that is not "unhandled".
    resolvers.promise.catch(() => undefined);
    const record: TokenRecord = {
      ...owner,
      closedBecause: undefined,
      resolvers,
      heartbeatMs,
      heartbeatTimer: undefined,
    };
    this.tokens.set(token, record);
    this.armHeartbeat(record);
    return { token, outcome: resolvers.promise };
  }

  /** Closes an open token without resuming its task (engine use: the task timed out or its invocation failed). */
  public close(taskToken: string, reason: string): void {
    const record = this.tokens.get(taskToken);
    if (record === undefined || record.closedBecause !== undefined) return;
    this.markClosed(record, reason);
  }

  /**
   * Closes every open token of an execution that has ended; their tasks end
   * with an {@link UncatchableFailure} (engine use).
   * @returns how many tokens were open.
   */
  public closeExecution(executionArn: string, reason: string): number {
    let closed = 0;
    for (const record of this.tokens.values()) {
      if (record.executionArn !== executionArn || record.closedBecause !== undefined) continue;
      this.markClosed(record, reason);
      record.resolvers.reject(new UncatchableFailure(reason));
      closed += 1;
    }
    return closed;
  }

  private settle(taskToken: string, resume: (record: TokenRecord) => void): Promise<void> {
    try {
      const record = this.openRecord(taskToken);
      this.markClosed(record, 'it was already resumed');
      resume(record);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private openRecord(taskToken: string): TokenRecord {
    const record = this.tokens.get(taskToken);
    if (record === undefined) throw new TaskAlreadyClosedError('the task token is not one this engine issued');
    if (record.closedBecause !== undefined) {
      throw new TaskAlreadyClosedError(`task ${record.stateName} of ${record.executionArn}: ${record.closedBecause}`);
    }
    return record;
  }

  private markClosed(record: TokenRecord, reason: string): void {
    record.closedBecause = reason;
    clearTimeout(record.heartbeatTimer);
    record.heartbeatTimer = undefined;
  }

  private armHeartbeat(record: TokenRecord): void {
    if (record.heartbeatMs === undefined) return;
    clearTimeout(record.heartbeatTimer);
    record.heartbeatTimer = setTimeout(() => {
      if (record.closedBecause !== undefined) return;
      this.markClosed(record, 'its task missed its heartbeat');
      record.resolvers.reject(
        new TaskFailure('States.HeartbeatTimeout', `no heartbeat for task ${record.stateName} within ${String(record.heartbeatMs)} ms`),
      );
    }, record.heartbeatMs);
  }
}
