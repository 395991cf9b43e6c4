/**
 * TrafficMetrics on CloudWatch: the Application Load Balancer's target group
 * metrics, read with GetMetricData — per target group and period,
 * RequestCount (Sum), HTTPCode_Target_5XX_Count (Sum) and TargetResponseTime
 * (p50, p90, p99; CloudWatch reports seconds, the port milliseconds). Their
 * dimensions are `TargetGroup` (`targetgroup/<name>/<id>`, the end of the
 * target group's ARN) with `LoadBalancer` (`app/<name>/<id>`, the end of the
 * load balancer's ARN, here read from the listener's).
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 *
 * The ALB publishes a metric for a period only when it has something to say:
 * no RequestCount datapoint is 0 requests, no 5xx datapoint is 0 errors, no
 * TargetResponseTime datapoint is no latency (null).
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery, type MetricDataResult } from '@aws-sdk/client-cloudwatch';
import { periodStarts } from '../../domain/traffic.js';
import { CloudProviderError, CloudProviderUnavailableError, InvalidInputError } from '../../errors.js';
import type { TargetGroupRef, TargetGroupTraffic, TrafficMetrics, TrafficPeriod, TrafficQuery } from '../../ports.js';
import { callAws } from './errors.js';
import { SAR, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** GetMetricData takes at most 500 queries per call; each target group needs five. */
export const METRIC_QUERIES_PER_CALL = 500;
const QUERIES_PER_TARGET = 5;
export const TARGETS_PER_CALL = METRIC_QUERIES_PER_CALL / QUERIES_PER_TARGET;

const NAMESPACE = 'AWS/ApplicationELB';

/** The IAM permissions {@link CloudWatchMetrics} uses; it needs no configuration to scope. */
export const CLOUDWATCH_METRICS_IAM: readonly IamGrant<unknown>[] = [
  {
    actions: ['cloudwatch:GetMetricData'],
    // The Service Authorization Reference lists no resource type for GetMetricData.
    resources: '*',
    why: `cloudwatch:GetMetricData supports no resource-level permissions, so its resource is "*": ${SAR.cloudwatchActions}`,
  },
];

/** What each {@link CloudWatchMetrics} method sends. */
export const CLOUDWATCH_METRICS_METHODS: MethodActions<MethodsOf<TrafficMetrics>> = {
  read: ['cloudwatch:GetMetricData'],
};

/** The `TargetGroup` dimension: `targetgroup/<name>/<id>`. */
export function targetGroupDimension(targetGroupArn: string, field: string): string {
  const resource = targetGroupArn.split(':').slice(5).join(':');
  if (!/^targetgroup\/[^/]+\/[^/]+$/.test(resource)) throw new InvalidInputError('TrafficMetrics.read', field, 'must be a target group ARN (…:targetgroup/<name>/<id>)');
  return resource;
}

/** The `LoadBalancer` dimension of an Application Load Balancer listener's load balancer: `app/<name>/<id>`. */
export function loadBalancerDimension(listenerArn: string, field: string): string {
  const match = /^listener\/(app\/[^/]+\/[^/]+)\/[^/]+$/.exec(listenerArn.split(':').slice(5).join(':'));
  if (match?.[1] === undefined) throw new InvalidInputError('TrafficMetrics.read', field, 'must be an Application Load Balancer listener ARN (…:listener/app/<name>/<id>/<id>)');
  return match[1];
}

type Figure = 'requests' | 'errors5xx' | 'p50Ms' | 'p90Ms' | 'p99Ms';

const FIGURES: readonly { readonly figure: Figure; readonly metric: string; readonly stat: string }[] = [
  { figure: 'requests', metric: 'RequestCount', stat: 'Sum' },
  { figure: 'errors5xx', metric: 'HTTPCode_Target_5XX_Count', stat: 'Sum' },
  { figure: 'p50Ms', metric: 'TargetResponseTime', stat: 'p50' },
  { figure: 'p90Ms', metric: 'TargetResponseTime', stat: 'p90' },
  { figure: 'p99Ms', metric: 'TargetResponseTime', stat: 'p99' },
];

/** A query id: a lowercase letter first, then letters, digits and `_`. */
const queryId = (target: number, figure: Figure) => `t${String(target)}_${figure}`;

function queriesOf(target: TargetGroupRef, index: number, position: number, periodSeconds: number): MetricDataQuery[] {
  const dimensions = [
    { Name: 'TargetGroup', Value: targetGroupDimension(target.targetGroupArn, `targets[${String(position)}].targetGroupArn`) },
    { Name: 'LoadBalancer', Value: loadBalancerDimension(target.listenerArn, `targets[${String(position)}].listenerArn`) },
  ];
  return FIGURES.map(({ figure, metric, stat }) => ({
    Id: queryId(index, figure),
    MetricStat: { Metric: { Namespace: NAMESPACE, MetricName: metric, Dimensions: dimensions }, Period: periodSeconds, Stat: stat },
    ReturnData: true,
  }));
}

/** A result CloudWatch could not complete: an outage to retry (InternalError), or a refusal (Forbidden). */
function failedResult(result: MetricDataResult): CloudProviderError | undefined {
  const code = result.StatusCode;
  if (code !== 'InternalError' && code !== 'Forbidden') return undefined;
  const message = (result.Messages ?? []).map((m) => `${m.Code ?? ''} ${m.Value ?? ''}`.trim()).join('; ') || `query ${result.Id ?? '?'} ended ${code}`;
  const ErrorClass = code === 'InternalError' ? CloudProviderUnavailableError : CloudProviderError;
  return new ErrorClass('cloudwatch', 'GetMetricData', code, message);
}

/** Reads the ALB target group metrics from CloudWatch. */
export class CloudWatchMetrics implements TrafficMetrics {
  public constructor(private readonly cloudwatch: CloudWatchClient) {}

  /**
   * Every period of the window for each target, from GetMetricData: up to
   * 100 target groups (500 queries) per call, every page of each call read
   * (`NextToken`; a query's datapoints may span pages), oldest first.
   */
  public async read(query: TrafficQuery): Promise<TargetGroupTraffic[]> {
    const starts = periodStarts(query.start, query.end, query.periodSeconds);
    const stepMs = query.periodSeconds * 1000;
    const traffic: TargetGroupTraffic[] = query.targets.map((target) => ({
      targetGroupArn: target.targetGroupArn,
      periods: starts.map((start): TrafficPeriod => ({ start, requests: 0, errors5xx: 0, p50Ms: null, p90Ms: null, p99Ms: null })),
    }));
    if (starts.length === 0) return traffic;
    for (let first = 0; first < query.targets.length; first += TARGETS_PER_CALL) {
      const chunk = query.targets.slice(first, first + TARGETS_PER_CALL);
      const queries = chunk.flatMap((target, i) => queriesOf(target, i, first + i, query.periodSeconds));
      let nextToken: string | undefined;
      do {
        const out = await callAws('cloudwatch', 'GetMetricData', () =>
          this.cloudwatch.send(
            new GetMetricDataCommand({
              MetricDataQueries: queries,
              StartTime: query.start,
              EndTime: query.end,
              ScanBy: 'TimestampAscending',
              // Every datapoint of every query fits: one per period each.
              MaxDatapoints: queries.length * starts.length,
              NextToken: nextToken,
            }),
          ),
        );
        for (const result of out.MetricDataResults ?? []) {
          const failed = failedResult(result);
          if (failed !== undefined) throw failed;
          const [, target, figure] = /^t(\d+)_(\w+)$/.exec(result.Id ?? '') ?? [];
          const periods = traffic[first + Number(target)]?.periods;
          if (periods === undefined || figure === undefined) continue;
          const values = result.Values ?? [];
          (result.Timestamps ?? []).forEach((timestamp, i) => {
            const value = values[i];
            const period = periods[Math.round((timestamp.getTime() - query.start.getTime()) / stepMs)];
            if (period === undefined || value === undefined) return;
            Object.assign(period, { [figure]: figure === 'requests' || figure === 'errors5xx' ? value : value * 1000 });
          });
        }
        nextToken = out.NextToken;
      } while (nextToken !== undefined);
    }
    return traffic;
  }
}
