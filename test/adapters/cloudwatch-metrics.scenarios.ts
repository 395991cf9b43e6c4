import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { expect } from 'vitest';
import { CloudWatchMetrics } from '../../functions/adapters/aws/cloudwatch-metrics.js';
import { scenarios, sentActions, type AwsMocks } from './harness.js';
import { awsError, LISTENER, TG_BLUE, TG_GREEN } from './fixtures.js';

const metrics = (aws: AwsMocks) => new CloudWatchMetrics(aws.clients.cloudwatch);
const START = new Date('2026-12-02T14:00:00.000Z');
const END = new Date('2026-12-02T14:03:00.000Z');
const at = (minute: number) => new Date(START.getTime() + minute * 60_000);
const LB = 'app/web/1111111111111111';

/** The five queries the adapter sends for target `i`. */
function queries(i: number, targetGroup: string) {
  const metric = (MetricName: string) => ({ Namespace: 'AWS/ApplicationELB', MetricName, Dimensions: [{ Name: 'TargetGroup', Value: targetGroup }, { Name: 'LoadBalancer', Value: LB }] });
  return [
    { Id: `t${String(i)}_requests`, MetricStat: { Metric: metric('RequestCount'), Period: 60, Stat: 'Sum' }, ReturnData: true },
    { Id: `t${String(i)}_errors5xx`, MetricStat: { Metric: metric('HTTPCode_Target_5XX_Count'), Period: 60, Stat: 'Sum' }, ReturnData: true },
    { Id: `t${String(i)}_p50Ms`, MetricStat: { Metric: metric('TargetResponseTime'), Period: 60, Stat: 'p50' }, ReturnData: true },
    { Id: `t${String(i)}_p90Ms`, MetricStat: { Metric: metric('TargetResponseTime'), Period: 60, Stat: 'p90' }, ReturnData: true },
    { Id: `t${String(i)}_p99Ms`, MetricStat: { Metric: metric('TargetResponseTime'), Period: 60, Stat: 'p99' }, ReturnData: true },
  ];
}
const empty = (minute: number) => ({ start: at(minute), requests: 0, errors5xx: 0, p50Ms: null, p90Ms: null, p99Ms: null });

export const cloudWatchMetricsScenarios = scenarios('CloudWatchMetrics', {
  'read asks GetMetricData for RequestCount, 5xx and TargetResponseTime p50/p90/p99 per target group and load balancer, reads every page, and maps seconds to ms with missing datapoints as no requests': async (aws) => {
    aws.cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 't0_requests', StatusCode: 'PartialData', Timestamps: [at(0)], Values: [812] },
          { Id: 't0_p99Ms', StatusCode: 'PartialData', Timestamps: [at(0)], Values: [0.041] },
          { Id: 't1_requests', StatusCode: 'PartialData', Timestamps: [at(1)], Values: [95] },
        ],
        NextToken: 'page-2',
      })
      .resolves({
        MetricDataResults: [
          // The same query continues on the next page.
          { Id: 't0_requests', StatusCode: 'Complete', Timestamps: [at(2)], Values: [700] },
          { Id: 't0_errors5xx', StatusCode: 'Complete', Timestamps: [at(0)], Values: [1] },
          { Id: 't0_p50Ms', StatusCode: 'Complete', Timestamps: [at(0)], Values: [0.012] },
          { Id: 't0_p90Ms', StatusCode: 'Complete', Timestamps: [at(0)], Values: [0.03] },
          { Id: 't1_errors5xx', StatusCode: 'Complete', Timestamps: [at(1)], Values: [19] },
          { Id: 't1_p99Ms', StatusCode: 'Complete', Timestamps: [at(1)], Values: [0.038] },
        ],
      });
    const read = await metrics(aws).read({ targets: [{ targetGroupArn: TG_BLUE, listenerArn: LISTENER }, { targetGroupArn: TG_GREEN, listenerArn: LISTENER }], start: START, end: END, periodSeconds: 60 });
    expect(read).toEqual([
      {
        targetGroupArn: TG_BLUE,
        periods: [
          { start: at(0), requests: 812, errors5xx: 1, p50Ms: 12, p90Ms: 30, p99Ms: 41 },
          empty(1),
          { ...empty(2), requests: 700 },
        ],
      },
      { targetGroupArn: TG_GREEN, periods: [empty(0), { ...empty(1), requests: 95, errors5xx: 19, p99Ms: 38 }, empty(2)] },
    ]);
    const base = {
      MetricDataQueries: [...queries(0, 'targetgroup/api-blue/aaaaaaaaaaaaaaaa'), ...queries(1, 'targetgroup/api-green/bbbbbbbbbbbbbbbb')],
      StartTime: START,
      EndTime: END,
      ScanBy: 'TimestampAscending',
      MaxDatapoints: 30,
    };
    expect(aws.cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input)).toEqual([
      { ...base, NextToken: undefined },
      { ...base, NextToken: 'page-2' },
    ]);
  },

  'read sends at most 100 target groups (500 queries) per call, and nothing for no target or an empty window': async (aws) => {
    await expect(metrics(aws).read({ targets: [], start: START, end: END, periodSeconds: 60 })).resolves.toEqual([]);
    await expect(metrics(aws).read({ targets: [{ targetGroupArn: TG_BLUE, listenerArn: LISTENER }], start: START, end: START, periodSeconds: 60 })).resolves.toEqual([{ targetGroupArn: TG_BLUE, periods: [] }]);
    expect(sentActions(aws)).toEqual([]);
    aws.cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 't0_requests', StatusCode: 'Complete', Timestamps: [at(0)], Values: [5] }] });
    const targets = Array.from({ length: 130 }, (_, i) => ({ targetGroupArn: `${TG_BLUE.slice(0, -2)}${String(i).padStart(2, '0').slice(-2)}`, listenerArn: LISTENER }));
    const read = await metrics(aws).read({ targets, start: START, end: END, periodSeconds: 60 });
    expect(aws.cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input.MetricDataQueries?.length)).toEqual([500, 150]);
    // t0 of each call is its chunk's first target.
    expect([read[0]?.periods[0]?.requests, read[1]?.periods[0]?.requests, read[100]?.periods[0]?.requests]).toEqual([5, 0, 5]);
  },

  'read refuses a target group or listener ARN it cannot name the dimensions of, before calling': async (aws) => {
    await expect(metrics(aws).read({ targets: [{ targetGroupArn: 'blue', listenerArn: LISTENER }], start: START, end: END, periodSeconds: 60 })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'targets[0].targetGroupArn',
    });
    await expect(metrics(aws).read({ targets: [{ targetGroupArn: TG_BLUE, listenerArn: TG_GREEN }], start: START, end: END, periodSeconds: 60 })).rejects.toMatchObject({
      name: 'InvalidInputError',
      field: 'targets[0].listenerArn',
    });
    expect(sentActions(aws)).toEqual([]);
  },

  'read fails with CloudProviderUnavailableError when CloudWatch throttles or a query ends InternalError, CloudProviderError when one is Forbidden': async (aws) => {
    const target = { targets: [{ targetGroupArn: TG_BLUE, listenerArn: LISTENER }], start: START, end: END, periodSeconds: 60 };
    aws.cloudwatch.on(GetMetricDataCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    await expect(metrics(aws).read(target)).rejects.toMatchObject({ name: 'CloudProviderUnavailableError', service: 'cloudwatch', operation: 'GetMetricData', code: 'Throttling' });
    aws.cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 't0_requests', StatusCode: 'InternalError', Messages: [{ Code: 'InternalError', Value: 'try again' }] }] });
    await expect(metrics(aws).read(target)).rejects.toMatchObject({ name: 'CloudProviderUnavailableError', code: 'InternalError', message: 'cloudwatch GetMetricData failed: InternalError: InternalError try again' });
    aws.cloudwatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 't0_requests', StatusCode: 'Forbidden' }] });
    await expect(metrics(aws).read(target)).rejects.toMatchObject({ name: 'CloudProviderError', code: 'Forbidden' });
  },
});
