/**
 * The alarm handler, fed by EventBridge "CloudWatch Alarm State Change"
 * events. An onboarded alarm going to ALARM while its service has an active
 * release before promotion marks the release ROLLING_BACK (one conditional
 * write on the status read), puts all traffic back on the stable fleet at once
 * (the fast path, no waiting for the flow), records it and fails the flow's
 * waiting token so the flow runs its rollback. Anything else is logged and
 * ignored; a redelivered event changes nothing twice.
 *
 * An event is judged by its time and by the alarm's state now: one that went
 * to ALARM before the release started (delivered late, or replayed) is not
 * about this release, and one for an alarm that is OK again by now is stale;
 * neither rolls anything back. The ledger is read with a few retries within
 * the invocation; if it stays down the handler throws
 * {@link LedgerUnavailableError}, so Lambda's asynchronous retries (and the
 * rule's dead-letter queue after them) keep the event, and a redelivery after
 * the outage takes the fast path.
 * Event shape: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 * Asynchronous retries: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { ALL_STABLE } from '../domain/plan.js';
import { BEFORE_PROMOTION, isTerminalStatus } from '../domain/status.js';
import { CloudProviderError, LedgerUnavailableError, ReleaseNotActiveError, TaskAlreadyClosedError } from '../errors.js';
import type { Release } from '../domain/release.js';
import { markRollingBack } from './rollback.js';
import { defineStep, refOf, serviceOf, type StepDeps } from './step.js';
import { recordedSplit, setAndVerifyWeights, trafficOf } from './traffic.js';

export const AlarmStateChangeSchema = z.object({
  id: z.string(),
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  time: z.string(),
  detail: z.object({
    alarmName: z.string(),
    state: z.object({ value: z.string(), reason: z.string().optional(), timestamp: z.string().optional() }),
  }),
});

export type AlarmOutcome =
  | { readonly action: 'ignored'; readonly reason: string }
  | { readonly action: 'rolled-back'; readonly releaseId: string; readonly service: string; readonly environment: string };


/**
 * Pauses between tries of the handler's first ledger read (each try is itself
 * up to 3 attempts by the SDK): about 3.5 s of riding out a blip, well inside
 * the function's 60 s timeout even when every attempt hangs until cut off.
 */
const LEDGER_READ_PAUSES_MS: readonly number[] = [500, 1_000, 2_000];

/** Reads the ledger, trying again after each pause while it is unavailable; then throws its LedgerUnavailableError. */
async function readLedger<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const pause = LEDGER_READ_PAUSES_MS[attempt];
      if (!(error instanceof LedgerUnavailableError) || pause === undefined) throw error;
      await sleep(pause);
    }
  }
}

/**
 * When the alarm went to ALARM, in epoch ms: CloudWatch's state timestamp
 * (`2019-10-02T17:04:40.985+0000`, millisecond precision) if readable, else
 * EventBridge's event time (to the second, so it may read up to 999 ms early:
 * `precisionMs`). `undefined` when neither parses; such an event is not judged stale.
 */
function alarmedAt(event: AlarmStateChange): { readonly at: number; readonly precisionMs: number } | undefined {
  const stateTimestamp = event.detail.state.timestamp;
  if (stateTimestamp !== undefined) {
    // Date.parse reads ISO 8601 offsets only with a colon (+00:00); CloudWatch writes +0000.
    const at = Date.parse(stateTimestamp.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    if (!Number.isNaN(at)) return { at, precisionMs: 0 };
  }
  const at = Date.parse(event.time);
  return Number.isNaN(at) ? undefined : { at, precisionMs: 999 };
}

/**
 * The alarm's state now: true in ALARM, false not, 'unknown' when CloudWatch
 * cannot be read. Unknown, the event is taken at its word: it says ALARM, and
 * putting traffic back on stable is the side to err on. That includes a
 * refusal (a missing cloudwatch:DescribeAlarms grant): a lost confirmation must
 * never cost the fast path.
 */
async function firingNow(deps: Pick<StepDeps, 'alarms'>, alarmName: string): Promise<boolean | 'unknown'> {
  try {
    return (await deps.alarms.alarmsInAlarm([alarmName])).includes(alarmName);
  } catch (error) {
    if (error instanceof CloudProviderError) return 'unknown';
    throw error;
  }
}

/** Why `event` says nothing about `release` any more, or undefined when it still counts. */
function staleFor(event: AlarmStateChange, release: Release): string | undefined {
  const alarmed = alarmedAt(event);
  const started = Date.parse(release.createdAt);
  if (alarmed === undefined || alarmed.at + alarmed.precisionMs >= started) return undefined;
  return `${event.detail.alarmName} went to ALARM at ${new Date(alarmed.at).toISOString()}, before release ${release.releaseId} started at ${release.createdAt}`;
}

type AlarmStateChange = z.infer<typeof AlarmStateChangeSchema>;

export const alarmHandler = defineStep({
  name: 'alarmHandler',
  needs: ['alarms', 'router', 'callbacks'],
  input: AlarmStateChangeSchema,
  async run(deps, event): Promise<AlarmOutcome[]> {
    const { alarmName, state } = event.detail;
    if (state.value !== 'ALARM') return [{ action: 'ignored', reason: `${alarmName} went to ${state.value}` }];
    // Which releases to look at comes from the current configuration; whether the alarm counts, and where
    // traffic goes back, from the one each release froze. An alarm removed mid-release is then still caught,
    // at the release's next bake check (ShiftTraffic reads its frozen alarms), not here.
    const services = deps.config.services.filter((s) => s.alarms.includes(alarmName));
    if (services.length === 0) return [{ action: 'ignored', reason: `${alarmName} is not an onboarded alarm` }];

    let firing: boolean | 'unknown' | undefined;
    const outcomes: AlarmOutcome[] = [];
    for (const service of services) {
      const release = await readLedger(() => deps.ledger.getActiveRelease(service));
      if (release === undefined) {
        outcomes.push({ action: 'ignored', reason: `${service.service}/${service.environment} has no active release` });
        continue;
      }
      const frozen = serviceOf(deps, release);
      if (!frozen.alarms.includes(alarmName)) {
        outcomes.push({ action: 'ignored', reason: `${alarmName} was not an alarm of ${service.service}/${service.environment} when release ${release.releaseId} started` });
        continue;
      }
      if (!BEFORE_PROMOTION.has(release.status)) {
        // FINALIZING: already promoted and recorded stable; an alarm now is an incident, not a canary verdict.
        outcomes.push({ action: 'ignored', reason: `${release.releaseId} is ${release.status}; the alarm no longer rolls it back` });
        continue;
      }
      const stale = staleFor(event, release);
      if (stale !== undefined) {
        outcomes.push({ action: 'ignored', reason: stale });
        continue;
      }
      // Read once per event, as late as possible: the freshest answer to "is it still firing?".
      firing ??= await firingNow(deps, alarmName);
      if (firing === false) {
        outcomes.push({ action: 'ignored', reason: `${alarmName} is no longer in ALARM` });
        continue;
      }
      const reason = `${alarmName} in ALARM${release.currentStep === undefined ? '' : ` at step ${String(release.currentStep.index)} (${release.currentStep.name})`}`;
      // Marked first, with one conditional write on the status read: an alarm that lost to Finalize
      // is refused here and never flips traffic back onto a fleet about to be retired.
      let marked: Release;
      try {
        marked = await markRollingBack(deps, release, { cause: 'alarm', reason }, 'alarm-handler', BEFORE_PROMOTION);
      } catch (error) {
        if (!(error instanceof ReleaseNotActiveError)) throw error;
        outcomes.push({ action: 'ignored', reason: `${release.releaseId} is ${error.status}; the alarm no longer rolls it back` });
        continue;
      }
      if (isTerminalStatus(marked.status)) {
        outcomes.push({ action: 'ignored', reason: `${release.releaseId} is ${marked.status} already` });
        continue;
      }
      // Then traffic: everything after it is a record, and the ledger may be failing.
      const split = recordedSplit(marked);
      if (split !== undefined) await setAndVerifyWeights(deps.router, trafficOf(frozen), split, ALL_STABLE);
      const unconfirmed = firing === 'unknown' ? ' (CloudWatch could not be read to confirm the alarm is still in ALARM)' : '';
      await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: `alarm:${event.id}`,
        type: 'ALARM_FIRED',
        actor: 'cloudwatch',
        message: `${reason}: ${state.reason ?? ''}`.trim() + unconfirmed,
        data: { alarmName, at: state.timestamp ?? event.time },
      });
      if (split !== undefined) {
        // Deduplicated by id: a redelivery that finds the release still active records it once.
        await deps.ledger.appendEvent({
          releaseId: release.releaseId,
          eventId: `alarm-restored:${event.id}`,
          type: 'TRAFFIC_RESTORED',
          actor: 'alarm-handler',
          message: `100% back on ${marked.stableFleet?.id ?? split.stableTargetGroupArn} (verified) after ${alarmName}`,
        });
      }
      const token = marked.waiting?.taskToken;
      if (token !== undefined) {
        try {
          await deps.callbacks.failure(token, 'AlarmFiredError', reason);
        } catch (error) {
          if (!(error instanceof TaskAlreadyClosedError)) throw error;
        }
      }
      outcomes.push({ action: 'rolled-back', ...refOf(release) });
    }
    return outcomes;
  },
});
