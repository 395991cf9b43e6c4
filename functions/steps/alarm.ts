/**
 * The alarm handler, fed by EventBridge "CloudWatch Alarm State Change"
 * events. An onboarded alarm going to ALARM while its service has an active
 * release before promotion marks the release ROLLING_BACK (one conditional
 * write), puts all traffic back on the stable fleet at once (the fast path, no
 * waiting for the flow), records it and fails the flow's waiting token so the
 * flow runs its rollback. Anything else is
 * logged and ignored; a redelivered event changes nothing twice.
 * Event shape: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
import { z } from 'zod';
import { ALL_STABLE } from '../domain/plan.js';
import { BEFORE_PROMOTION, isTerminalStatus } from '../domain/status.js';
import { ReleaseNotActiveError, TaskAlreadyClosedError } from '../errors.js';
import type { Release } from '../ledger/records.js';
import { setAndVerifyWeights } from './advance.js';
import { markRollingBack } from './rollback.js';
import { defineStep, recordedSplit, refOf, trafficOf } from './step.js';

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


export const alarmHandler = defineStep({
  name: 'alarmHandler',
  input: AlarmStateChangeSchema,
  async run(deps, event): Promise<AlarmOutcome[]> {
    const { alarmName, state } = event.detail;
    if (state.value !== 'ALARM') return [{ action: 'ignored', reason: `${alarmName} went to ${state.value}` }];
    const services = deps.config.services.filter((s) => s.alarms.includes(alarmName));
    if (services.length === 0) return [{ action: 'ignored', reason: `${alarmName} is not an onboarded alarm` }];

    const outcomes: AlarmOutcome[] = [];
    for (const service of services) {
      const release = await deps.ledger.getActiveRelease(service);
      if (release === undefined) {
        outcomes.push({ action: 'ignored', reason: `${service.service}/${service.environment} has no active release` });
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
        // FINALIZING: already promoted and recorded stable; an alarm now is an incident, not a canary verdict.
        outcomes.push({ action: 'ignored', reason: `${release.releaseId} is ${error.status}; the alarm no longer rolls it back` });
        continue;
      }
      if (isTerminalStatus(marked.status)) {
        outcomes.push({ action: 'ignored', reason: `${release.releaseId} is ${marked.status} already` });
        continue;
      }
      const { stored } = await deps.ledger.appendEvent({
        releaseId: release.releaseId,
        eventId: `alarm:${event.id}`,
        type: 'ALARM_FIRED',
        actor: 'cloudwatch',
        message: `${reason}: ${state.reason ?? ''}`.trim(),
        data: { alarmName, at: state.timestamp ?? event.time },
      });
      const split = recordedSplit(marked);
      if (split !== undefined) {
        await setAndVerifyWeights(deps.router, trafficOf(service), split, ALL_STABLE);
        if (stored) {
          await deps.ledger.appendEvent({
            releaseId: release.releaseId,
            eventId: `alarm-restored:${event.id}`,
            type: 'TRAFFIC_RESTORED',
            actor: 'alarm-handler',
            message: `100% back on ${marked.stableFleet?.id ?? split.stableTargetGroupArn} (verified) after ${alarmName}`,
          });
        }
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
