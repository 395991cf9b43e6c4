import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { expect } from 'vitest';
import { CloudWatchAlarms } from '../../functions/adapters/aws/cloudwatch-alarms.js';
import { scenarios, sentActions, type AwsMocks } from './harness.js';
import { awsError } from './fixtures.js';

const alarms = (aws: AwsMocks) => new CloudWatchAlarms(aws.clients.cloudwatch);
const metric = (AlarmName: string) => ({ AlarmName, StateValue: 'ALARM' as const });

export const cloudWatchAlarmsScenarios = scenarios('CloudWatchAlarms', {
  'alarmsInAlarm asks for metric and composite alarms in ALARM by name and reads every page': async (aws) => {
    aws.cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [metric('api-5xx')], NextToken: 't1' })
      .resolves({ CompositeAlarms: [metric('api-health')] });
    await expect(alarms(aws).alarmsInAlarm(['api-health', 'api-latency', 'api-5xx'])).resolves.toEqual([
      'api-health',
      'api-5xx',
    ]);
    const base = {
      AlarmNames: ['api-health', 'api-latency', 'api-5xx'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      StateValue: 'ALARM',
      MaxRecords: 100,
    };
    expect(aws.cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input)).toEqual([
      { ...base, NextToken: undefined },
      { ...base, NextToken: 't1' },
    ]);
  },

  'alarmsInAlarm sends at most 100 names per call': async (aws) => {
    const names = Array.from({ length: 250 }, (_, i) => `alarm-${i}`);
    aws.cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [metric('alarm-249')] });
    await expect(alarms(aws).alarmsInAlarm(names)).resolves.toEqual(['alarm-249']);
    expect(aws.cloudwatch.commandCalls(DescribeAlarmsCommand).map((c) => c.args[0].input.AlarmNames)).toEqual([
      names.slice(0, 100),
      names.slice(100, 200),
      names.slice(200),
    ]);
  },

  'alarmsInAlarm with no names calls nothing, and repeated names are asked once': async (aws) => {
    await expect(alarms(aws).alarmsInAlarm([])).resolves.toEqual([]);
    expect(sentActions(aws)).toEqual([]);
    aws.cloudwatch.on(DescribeAlarmsCommand).resolves({});
    await expect(alarms(aws).alarmsInAlarm(['a', 'a'])).resolves.toEqual([]);
    expect(aws.cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNames).toEqual(['a']);
  },

  'alarmsInAlarm while CloudWatch throttles, faults or cannot be reached fails with CloudProviderUnavailableError saying CloudWatch could not be read': async (aws) => {
    for (const [error, code] of [
      [awsError('Throttling', 'Rate exceeded'), 'Throttling'],
      [awsError('InternalFailure', 'internal error', 'server'), 'InternalFailure'],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), { code: 'ECONNREFUSED' }), 'ECONNREFUSED'],
    ] as const) {
      aws.cloudwatch.on(DescribeAlarmsCommand).rejects(error);
      const failure = await alarms(aws).alarmsInAlarm(['api-5xx']).catch((e: unknown) => e);
      expect(failure, code).toMatchObject({ name: 'CloudProviderUnavailableError', service: 'cloudwatch', operation: 'DescribeAlarms', code, cause: error });
      expect((failure as Error).message, code).toBe(
        `CloudWatch could not be read, so whether the alarms are in ALARM is unknown: cloudwatch DescribeAlarms failed: ${code}: ${error.message}`,
      );
    }
  },

  'alarmsInAlarm with a bad token fails with CloudProviderError InvalidNextToken': async (aws) => {
    aws.cloudwatch.on(DescribeAlarmsCommand).rejects(awsError('InvalidNextToken'));
    await expect(alarms(aws).alarmsInAlarm(['a'])).rejects.toMatchObject({
      name: 'CloudProviderError',
      service: 'cloudwatch',
      operation: 'DescribeAlarms',
      code: 'InvalidNextToken',
    });
  },
});
