/**
 * TrafficRouter on an Application Load Balancer: weights on the listener's
 * default action or on the service's listener rule, and a header-routed
 * "dark canary" rule.
 *
 * Every change writes one full forward action with both target groups
 * (ModifyListener/ModifyRule replace the whole action list), keeps any other
 * action of the list (e.g. authenticate-oidc before the forward), and is read
 * back before it counts.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#forward-actions
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyRule.html
 */
import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type ElasticLoadBalancingV2Client,
  type Rule,
  type RuleCondition,
  type TargetGroupStickinessConfig,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { fromAlbWeights, toAlbWeights } from '../../domain/weights.js';
import { TrafficConfigError, WeightsNotAppliedError, type RollgateError } from '../../errors.js';
import type { HeaderRoute, TrafficRouter, TrafficSplit, TrafficTarget, Weights } from '../../ports.js';
import { callAws, type AwsServiceError } from './errors.js';
import { requestTagged, resourceTagged, SAR, serviceTag, SERVICE_TAG, type ArnEnv, type IamGrant, type MethodActions, type MethodsOf } from './iam.js';

/** The router's permissions depend on nothing in the configuration (every service's listener or rule is tagged). */
export type AlbRouterIamScope = undefined;

/** The stack's Application Load Balancer listeners and their rules. */
const listeners = (e: ArnEnv) => `arn:${e.partition}:elasticloadbalancing:${e.region}:${e.account}:listener/app/*/*/*`;
const listenerRules = (e: ArnEnv) => `arn:${e.partition}:elasticloadbalancing:${e.region}:${e.account}:listener-rule/app/*/*/*/*`;

/**
 * The IAM permissions {@link AlbRouter} uses, for every service at once: it
 * changes the weights of listeners and rules tagged {@link SERVICE_TAG} (the
 * platform tags each service's listener, or its rule), creates dark-canary
 * rules only on tagged listeners and only with the tag, and changes or
 * deletes only tagged rules, in the stack's account and region.
 */
export const ALB_ROUTER_IAM: readonly IamGrant<AlbRouterIamScope>[] = [
  {
    actions: ['elasticloadbalancing:ModifyListener'],
    resources: (_s, e) => [listeners(e)],
    conditions: () => resourceTagged(),
    why: `only listeners tagged ${SERVICE_TAG} (aws:ResourceTag): ${SAR.elb}`,
  },
  {
    // CreateRule authorizes against the listener (tagged by the platform) and the rule it makes (tagged in the request).
    actions: ['elasticloadbalancing:CreateRule'],
    resources: (_s, e) => [listeners(e)],
    conditions: () => resourceTagged(),
    why: `rules on listeners tagged ${SERVICE_TAG} only: ${SAR.elb}`,
  },
  {
    actions: ['elasticloadbalancing:CreateRule'],
    resources: (_s, e) => [listenerRules(e)],
    conditions: () => requestTagged(),
    why: `creates rules only with the ${SERVICE_TAG} tag (aws:RequestTag): ${SAR.elb}`,
  },
  {
    actions: ['elasticloadbalancing:AddTags'],
    checkedDuring: ['elasticloadbalancing:CreateRule'],
    resources: (_s, e) => [listenerRules(e)],
    conditions: () => ({ StringEquals: { 'elasticloadbalancing:CreateAction': 'CreateRule' }, ...requestTagged() }),
    why: `CreateRule with tags also authorizes AddTags; only as part of CreateRule (elasticloadbalancing:CreateAction), never on an existing resource: ${SAR.elbTagOnCreate}`,
  },
  {
    actions: ['elasticloadbalancing:ModifyRule', 'elasticloadbalancing:DeleteRule'],
    resources: (_s, e) => [listenerRules(e)],
    conditions: () => resourceTagged(),
    why: `only rules tagged ${SERVICE_TAG}: the service's rule (tagged by the platform) and the dark-canary rules rollgate made: ${SAR.elb}`,
  },
  {
    actions: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'],
    resources: '*',
    why: `ELB Describe* actions support no resource-level permissions: ${SAR.elb}`,
  },
];

/**
 * What each {@link AlbRouter} method sends. The weights live on the listener's
 * default action or on the service's rule (DescribeListeners/ModifyListener or
 * DescribeRules/ModifyRule, by configuration); setWeights reads them back.
 */
export const ALB_ROUTER_METHODS: MethodActions<MethodsOf<TrafficRouter>> = {
  setWeights: [
    'elasticloadbalancing:DescribeListeners',
    'elasticloadbalancing:DescribeRules',
    'elasticloadbalancing:ModifyListener',
    'elasticloadbalancing:ModifyRule',
  ],
  getWeights: ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'],
  setHeaderRoute: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:CreateRule', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:ModifyRule'],
  removeHeaderRoute: ['elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DeleteRule'],
};

/**
 * ALB limits rollgate checks before calling, so a bad plan fails with the
 * limit's name instead of an opaque ValidationError.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#http-header-conditions
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetGroupStickinessConfig.html
 */
export const ALB_LIMITS = {
  targetGroupsPerAction: 5,
  minRulePriority: 1,
  maxRulePriority: 50_000,
  maxHeaderNameLength: 40,
  maxHeaderValueLength: 128,
  maxStickinessSeconds: 604_800,
} as const;

/** ELB refusals that mean "this configuration cannot be", not "try again". */
const CONFIG_ERRORS: ReadonlySet<string> = new Set([
  'ListenerNotFoundException',
  'RuleNotFoundException',
  'TargetGroupNotFoundException',
  'PriorityInUseException',
  'TooManyTargetGroupsException',
  'TooManyActionsException',
  'TooManyRulesException',
  'TooManyUniqueTargetGroupsPerLoadBalancerException',
  'TargetGroupAssociationLimitException',
  'InvalidConfigurationRequestException',
  'InvalidLoadBalancerActionException',
  'IncompatibleProtocolsException',
  'OperationNotPermittedException',
]);

const asConfigError =
  (operation: string) =>
  (code: string, error: AwsServiceError): RollgateError | undefined =>
    CONFIG_ERRORS.has(code)
      ? new TrafficConfigError(`${operation} refused: ${code}: ${error.message}`, { cause: error })
      : undefined;

function validateSplit(split: TrafficSplit): void {
  if (split.stableTargetGroupArn === split.canaryTargetGroupArn) {
    throw new TrafficConfigError('the stable and canary target groups must differ');
  }
}

function validateStickiness(target: TrafficTarget): TargetGroupStickinessConfig | undefined {
  const s = target.stickiness;
  if (s === undefined) return undefined;
  if (!s.enabled) return { Enabled: false };
  if (!Number.isInteger(s.durationSeconds) || s.durationSeconds < 1 || s.durationSeconds > ALB_LIMITS.maxStickinessSeconds) {
    throw new TrafficConfigError(
      `stickiness duration must be 1 to ${ALB_LIMITS.maxStickinessSeconds} seconds, got ${s.durationSeconds}`,
    );
  }
  return { Enabled: true, DurationSeconds: s.durationSeconds };
}

function validateRoute(route: HeaderRoute): void {
  const { priority, headerName, headerValue } = route;
  if (!Number.isInteger(priority) || priority < ALB_LIMITS.minRulePriority || priority > ALB_LIMITS.maxRulePriority) {
    throw new TrafficConfigError(
      `rule priority must be ${ALB_LIMITS.minRulePriority} to ${ALB_LIMITS.maxRulePriority}, got ${priority}`,
    );
  }
  if (headerName.length < 1 || headerName.length > ALB_LIMITS.maxHeaderNameLength) {
    throw new TrafficConfigError(`header name must be 1 to ${ALB_LIMITS.maxHeaderNameLength} characters`);
  }
  if (headerValue.length < 1 || headerValue.length > ALB_LIMITS.maxHeaderValueLength) {
    throw new TrafficConfigError(`header value must be 1 to ${ALB_LIMITS.maxHeaderValueLength} characters`);
  }
}

/** Target group → weight of a forward action (a bare TargetGroupArn is weight 1, the API default). */
function forwardWeights(action: Action): Map<string, number> {
  const weights = new Map<string, number>();
  const groups = action.ForwardConfig?.TargetGroups ?? [];
  for (const g of groups) if (g.TargetGroupArn !== undefined) weights.set(g.TargetGroupArn, g.Weight ?? 1);
  if (groups.length === 0 && action.TargetGroupArn !== undefined) weights.set(action.TargetGroupArn, 1);
  return weights;
}

/**
 * An action as read, made fit to write back: describe never returns an OIDC
 * client secret, so the existing one is kept explicitly.
 */
function writable(action: Action): Action {
  if (action.AuthenticateOidcConfig === undefined) return action;
  return {
    ...action,
    AuthenticateOidcConfig: { ...action.AuthenticateOidcConfig, ClientSecret: undefined, UseExistingClientSecret: true },
  };
}

/** A condition as read, made fit to write: a typed config and the legacy `Values` may not both be sent. */
function writableCondition(condition: RuleCondition): RuleCondition {
  const typed = [
    condition.HostHeaderConfig,
    condition.PathPatternConfig,
    condition.HttpHeaderConfig,
    condition.QueryStringConfig,
    condition.HttpRequestMethodConfig,
    condition.SourceIpConfig,
  ].some((config) => config !== undefined);
  return typed ? { ...condition, Values: undefined } : condition;
}

function isHeaderRule(rule: Rule, route: HeaderRoute): boolean {
  return (rule.Conditions ?? []).some(
    (c) =>
      c.Field === 'http-header' &&
      c.HttpHeaderConfig?.HttpHeaderName?.toLowerCase() === route.headerName.toLowerCase() &&
      (c.HttpHeaderConfig.Values ?? []).includes(route.headerValue),
  );
}

function forwardTo(targetGroupArn: string): Action {
  return { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroupArn, Weight: 1 }] } };
}

/** Routes one service's traffic through its ALB listener (or listener rule). */
export class AlbRouter implements TrafficRouter {
  public constructor(private readonly elb: ElasticLoadBalancingV2Client) {}

  /**
   * Writes the forward action with both target groups at the given weights,
   * stickiness as configured (or as it is, when not configured), then reads it
   * back: a mismatch is {@link WeightsNotAppliedError}.
   */
  public async setWeights(target: TrafficTarget, split: TrafficSplit, weights: Weights): Promise<void> {
    validateSplit(split);
    const alb = toAlbWeights(weights);
    const stickiness = validateStickiness(target);
    const actions = await this.actions(target);
    const index = this.forwardIndex(target, actions, split);
    const current = actions[index];
    const forward: Action = {
      Type: 'forward',
      ...(current?.Order === undefined ? {} : { Order: current.Order }),
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: split.stableTargetGroupArn, Weight: alb.stable },
          { TargetGroupArn: split.canaryTargetGroupArn, Weight: alb.canary },
        ],
        ...((stickiness ?? current?.ForwardConfig?.TargetGroupStickinessConfig) === undefined
          ? {}
          : { TargetGroupStickinessConfig: stickiness ?? current?.ForwardConfig?.TargetGroupStickinessConfig }),
      },
    };
    const next = actions.map((a, i) => (i === index ? forward : writable(a)));
    if (target.ruleArn === undefined) {
      await callAws(
        'elasticloadbalancing',
        'ModifyListener',
        () => this.elb.send(new ModifyListenerCommand({ ListenerArn: target.listenerArn, DefaultActions: next })),
        asConfigError('ModifyListener'),
      );
    } else {
      const ruleArn = target.ruleArn;
      await callAws(
        'elasticloadbalancing',
        'ModifyRule',
        () => this.elb.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: next })),
        asConfigError('ModifyRule'),
      );
    }
    const applied = await this.getWeights(target, split);
    if (applied.stable !== weights.stable || applied.canary !== weights.canary) {
      throw new WeightsNotAppliedError(weights, applied);
    }
  }

  /** The percent split between the two groups as the load balancer has it now. */
  public async getWeights(target: TrafficTarget, split: TrafficSplit): Promise<Weights> {
    validateSplit(split);
    const actions = await this.actions(target);
    const action = actions[this.forwardIndex(target, actions, split)];
    const weights = action === undefined ? new Map<string, number>() : forwardWeights(action);
    return fromAlbWeights({
      stable: weights.get(split.stableTargetGroupArn) ?? 0,
      canary: weights.get(split.canaryTargetGroupArn) ?? 0,
    });
  }

  /**
   * Adds the rule "header matches → canary group" at the route's priority, or
   * keeps it when it is there. On a listener rule target the dark-canary rule
   * also carries the service rule's conditions (so it only catches this
   * service's requests) and must come before it.
   * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#http-header-conditions
   */
  public async setHeaderRoute(target: TrafficTarget, split: TrafficSplit, route: HeaderRoute): Promise<void> {
    validateSplit(split);
    validateRoute(route);
    const rules = await this.listenerRules(target.listenerArn);
    const wanted = [forwardTo(split.canaryTargetGroupArn)];

    const existing = rules.find((r) => isHeaderRule(r, route));
    if (existing?.RuleArn !== undefined) {
      if (existing.Priority !== String(route.priority)) {
        throw new TrafficConfigError(
          `the ${route.headerName} rule is at priority ${existing.Priority ?? '?'}, not ${route.priority}`,
        );
      }
      const forwards = (existing.Actions ?? []).filter((a) => a.Type === 'forward');
      const groups = forwards.length === 1 && forwards[0] !== undefined ? [...forwardWeights(forwards[0]).keys()] : [];
      if (groups.length === 1 && groups[0] === split.canaryTargetGroupArn) return;
      const ruleArn = existing.RuleArn;
      await callAws(
        'elasticloadbalancing',
        'ModifyRule',
        () => this.elb.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: wanted })),
        asConfigError('ModifyRule'),
      );
      return;
    }

    let scope: RuleCondition[] = [];
    if (target.ruleArn !== undefined) {
      const serviceRule = rules.find((r) => r.RuleArn === target.ruleArn);
      if (serviceRule === undefined) {
        throw new TrafficConfigError(`rule ${target.ruleArn} is not a rule of listener ${target.listenerArn}`);
      }
      if (Number(serviceRule.Priority) <= route.priority) {
        throw new TrafficConfigError(
          `the header rule's priority ${route.priority} must come before the service rule's ${serviceRule.Priority ?? '?'}`,
        );
      }
      scope = (serviceRule.Conditions ?? []).map(writableCondition);
    }
    const occupant = rules.find((r) => r.Priority === String(route.priority));
    if (occupant !== undefined) {
      throw new TrafficConfigError(`priority ${route.priority} is taken by rule ${occupant.RuleArn ?? '?'}`);
    }
    const conditions: RuleCondition[] = [
      ...scope,
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: route.headerName, Values: [route.headerValue] } },
    ];
    const outcome = await callAws(
      'elasticloadbalancing',
      'CreateRule',
      async () => {
        await this.elb.send(
          new CreateRuleCommand({
            ListenerArn: target.listenerArn,
            Priority: route.priority,
            Conditions: conditions,
            Actions: wanted,
            // Without the tag the role may not create the rule, nor later change or delete it.
            Tags: [serviceTag(target.service)],
          }),
        );
        return 'created' as const;
      },
      (code, error) =>
        code === 'PriorityInUseException' ? { value: 'priority-taken' as const } : asConfigError('CreateRule')(code, error),
    );
    if (outcome === 'priority-taken') {
      // A racing retry may have created this very rule since the listing.
      const now = await this.listenerRules(target.listenerArn);
      if (!now.some((r) => isHeaderRule(r, route) && r.Priority === String(route.priority))) {
        throw new TrafficConfigError(`priority ${route.priority} is taken by another rule on ${target.listenerArn}`);
      }
    }
  }

  /** Deletes the header rule(s) of the route; none there is success. */
  public async removeHeaderRoute(target: TrafficTarget, route: HeaderRoute): Promise<void> {
    const rules = await this.listenerRules(target.listenerArn);
    for (const rule of rules.filter((r) => isHeaderRule(r, route))) {
      const ruleArn = rule.RuleArn;
      if (ruleArn === undefined) continue;
      await callAws(
        'elasticloadbalancing',
        'DeleteRule',
        async () => {
          await this.elb.send(new DeleteRuleCommand({ RuleArn: ruleArn }));
        },
        (code) => (code === 'RuleNotFoundException' ? { value: undefined } : undefined),
      );
    }
  }

  /** The action list of the listener's default action or of the service rule. */
  private async actions(target: TrafficTarget): Promise<Action[]> {
    if (target.ruleArn === undefined) {
      const out = await callAws(
        'elasticloadbalancing',
        'DescribeListeners',
        () => this.elb.send(new DescribeListenersCommand({ ListenerArns: [target.listenerArn] })),
        asConfigError('DescribeListeners'),
      );
      return out.Listeners?.[0]?.DefaultActions ?? [];
    }
    const ruleArn = target.ruleArn;
    const out = await callAws(
      'elasticloadbalancing',
      'DescribeRules',
      () => this.elb.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })),
      asConfigError('DescribeRules'),
    );
    return out.Rules?.[0]?.Actions ?? [];
  }

  /**
   * The one forward action, refusing a list rollgate cannot own: no forward,
   * or a forward to target groups other than the two of the split (writing
   * both groups would silently drop them).
   */
  private forwardIndex(target: TrafficTarget, actions: readonly Action[], split: TrafficSplit): number {
    const where = target.ruleArn ?? target.listenerArn;
    const indexes = actions.flatMap((a, i) => (a.Type === 'forward' ? [i] : []));
    const [index] = indexes;
    if (index === undefined || indexes.length > 1) {
      throw new TrafficConfigError(`${where} must have exactly one forward action, has ${indexes.length}`);
    }
    const groups = [...forwardWeights(actions[index] ?? { Type: 'forward' }).keys()];
    if (groups.length > ALB_LIMITS.targetGroupsPerAction) {
      throw new TrafficConfigError(
        `${where} forwards to ${groups.length} target groups, beyond the ALB limit of ${ALB_LIMITS.targetGroupsPerAction}`,
      );
    }
    const foreign = groups.filter((g) => g !== split.stableTargetGroupArn && g !== split.canaryTargetGroupArn);
    if (foreign.length > 0) {
      throw new TrafficConfigError(`${where} also forwards to ${foreign.join(', ')}, which rollgate does not manage`);
    }
    return index;
  }

  /** Every rule of a listener, all pages. */
  private async listenerRules(listenerArn: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      const out = await callAws(
        'elasticloadbalancing',
        'DescribeRules',
        () => this.elb.send(new DescribeRulesCommand({ ListenerArn: listenerArn, Marker: marker })),
        asConfigError('DescribeRules'),
      );
      rules.push(...(out.Rules ?? []));
      marker = out.NextMarker;
    } while (marker !== undefined);
    return rules;
  }
}
