/**
 * Configurations of N services for the configuration-as-data tests: copies
 * of the sample's ECS service (checkout) under other names, each with its
 * own target groups and listener, so every item differs.
 */
import type { RollgateConfig, ServiceConfig } from '../../functions/config.js';
import { CHECKOUT_SERVICE, SAMPLE_CONFIG } from '../../local/sample-config.js';

/** The sample's checkout as service `svc-<i>` in prod. */
export function numberedService(i: number): ServiceConfig {
  const n = String(i).padStart(4, '0');
  return {
    ...CHECKOUT_SERVICE,
    service: `svc-${n}`,
    traffic: {
      ...CHECKOUT_SERVICE.traffic,
      listenerArn: `arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/svc-${n}/0123456789abcdef/0123456789abcdef`,
      targetGroupArns: [
        `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/svc-${n}-blue/0123456789abcdef`,
        `arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/svc-${n}-green/0123456789abcdef`,
      ],
    },
    alarms: [`svc-${n}-5xx`],
  };
}

/** The sample's Slack app and `count` numbered services. */
export function configOf(count: number): RollgateConfig {
  return { ...SAMPLE_CONFIG, services: Array.from({ length: count }, (_, i) => numberedService(i)) };
}
