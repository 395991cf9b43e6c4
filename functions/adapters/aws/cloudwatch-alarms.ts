/**
 * AlarmSource on CloudWatch: which of a service's alarms (metric or
 * composite) are in ALARM right now.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
 */
import { DescribeAlarmsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudProviderError, CloudProviderUnavailableError } from '../../errors.js';
import type { AlarmSource } from '../../ports.js';
import { callAws } from './errors.js';
import { SAR, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** DescribeAlarms takes at most 100 names per call ("Array Members: Maximum number of 100 items"). */
export const ALARM_NAMES_PER_CALL = 100;

/** What a failure to read the alarms means to a release; it leads the error's message. */
const UNREADABLE = 'CloudWatch could not be read, so whether the alarms are in ALARM is unknown';

/**
 * `error` with {@link UNREADABLE} in front of its message, same class (an
 * outage stays {@link CloudProviderUnavailableError}, which the state machine
 * retries), service, operation, code and cause.
 */
function unreadable(error: unknown): unknown {
  if (!(error instanceof CloudProviderError)) return error;
  const ErrorClass = error instanceof CloudProviderUnavailableError ? CloudProviderUnavailableError : CloudProviderError;
  const awsMessage = error.cause instanceof Error ? error.cause.message : error.message;
  return new ErrorClass(error.service, error.operation, error.code, awsMessage, { cause: error.cause, summary: UNREADABLE });
}

/** The IAM permissions {@link CloudWatchAlarms} uses; it needs no configuration to scope. */
export const CLOUDWATCH_ALARMS_IAM: readonly IamGrant<unknown>[] = [
  {
    actions: ['cloudwatch:DescribeAlarms'],
    // "To ... return information about composite alarms, you must be signed on
    // with the cloudwatch:DescribeAlarms permission that is scoped to *."
    resources: '*',
    why: `composite alarms are only returned with DescribeAlarms on "*": ${SAR.cloudwatch}`,
  },
];

/** What each {@link CloudWatchAlarms} method sends. */
export const CLOUDWATCH_ALARMS_METHODS: MethodActions<MethodsOf<AlarmSource>> = {
  alarmsInAlarm: ['cloudwatch:DescribeAlarms'],
};

/** Reads alarm states from CloudWatch. */
export class CloudWatchAlarms implements AlarmSource {
  public constructor(private readonly cloudwatch: CloudWatchClient) {}

  /**
   * The names among `alarmNames` in ALARM, in the order given. Names go 100
   * per call and every page of each call is read.
   */
  public async alarmsInAlarm(alarmNames: readonly string[]): Promise<string[]> {
    const names = [...new Set(alarmNames)];
    const firing = new Set<string>();
    for (let i = 0; i < names.length; i += ALARM_NAMES_PER_CALL) {
      const chunk = names.slice(i, i + ALARM_NAMES_PER_CALL);
      let nextToken: string | undefined;
      do {
        const out = await callAws('cloudwatch', 'DescribeAlarms', () =>
          this.cloudwatch.send(
            new DescribeAlarmsCommand({
              AlarmNames: chunk,
              AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
              StateValue: 'ALARM',
              MaxRecords: ALARM_NAMES_PER_CALL,
              NextToken: nextToken,
            }),
          ),
        ).catch((error: unknown) => {
          throw unreadable(error);
        });
        for (const alarm of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
          if (alarm.AlarmName !== undefined && alarm.StateValue === 'ALARM') firing.add(alarm.AlarmName);
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined);
    }
    return names.filter((n) => firing.has(n));
  }
}
