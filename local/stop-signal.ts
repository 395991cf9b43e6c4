/**
 * Stopping a local process that runs DynamoDB Local (the demo, the
 * persistent local stack): the first Ctrl-C (or SIGTERM) asks it to stop
 * cleanly, a second one exits at once, stopping DynamoDB Local first so no
 * java process is left behind.
 */
import { stopAllDynamoDbLocals } from './dynamodb-local.js';

/** Why a local process stopped before its work ended. */
export type StopReason = 'interrupted' | 'terminated' | 'time-limit';

/** Exit status per way of stopping early: Ctrl-C and SIGTERM as shells report them, the time limit as a failure. */
export const STOP_EXIT_CODE: Readonly<Record<StopReason, number>> = { interrupted: 130, terminated: 143, 'time-limit': 1 };

/** Node's timers hold at most this (about 24.8 days): the bound of "until stopped". */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** Resolves with the first signal's reason, or `time-limit` after `timeLimitMs`; `dispose` removes the handlers. */
export function stopSignal(timeLimitMs: number = MAX_TIMER_MS): { readonly stopped: Promise<StopReason>; readonly dispose: () => void } {
  let resolveStop: (reason: StopReason) => void = () => undefined;
  const stopped = new Promise<StopReason>((resolve) => {
    resolveStop = resolve;
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    const reason: StopReason = signal === 'SIGINT' ? 'interrupted' : 'terminated';
    if (signalled) {
      void stopAllDynamoDbLocals().finally(() => process.exit(STOP_EXIT_CODE[reason]));
      return;
    }
    signalled = true;
    resolveStop(reason);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const limit = setTimeout(() => {
    resolveStop('time-limit');
  }, timeLimitMs);
  limit.unref();
  return {
    stopped,
    dispose: () => {
      clearTimeout(limit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
