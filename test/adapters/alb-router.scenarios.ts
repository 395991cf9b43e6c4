import {
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { expect } from 'vitest';
import { AlbRouter } from '../../functions/adapters/aws/alb-router.js';
import type { HeaderRoute, TrafficSplit, TrafficTarget } from '../../functions/ports.js';
import { scenarios, sentActions, type AwsMocks } from './harness.js';
import { LISTENER, RULE, TG_BLUE, TG_GREEN, awsError } from './fixtures.js';

const SPLIT: TrafficSplit = { stableTargetGroupArn: TG_BLUE, canaryTargetGroupArn: TG_GREEN };
const ON_LISTENER: TrafficTarget = { service: 'api', listenerArn: LISTENER, stickiness: { enabled: true, durationSeconds: 300 } };
const ON_RULE: TrafficTarget = { service: 'api', listenerArn: LISTENER, ruleArn: RULE };
/** A listener target without stickiness. */
const BARE: TrafficTarget = { service: 'api', listenerArn: LISTENER };
const ROUTE: HeaderRoute = { headerName: 'X-Canary', headerValue: 'on', priority: 5 };
const DARK_RULE = `${RULE.slice(0, -16)}4444444444444444`;

const OIDC: Action = {
  Type: 'authenticate-oidc',
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp.example',
    AuthorizationEndpoint: 'https://idp.example/auth',
    TokenEndpoint: 'https://idp.example/token',
    UserInfoEndpoint: 'https://idp.example/userinfo',
    ClientId: 'rollgate',
  },
};

function forward(blue: number, green: number, order?: number): Action {
  return {
    Type: 'forward',
    ...(order === undefined ? {} : { Order: order }),
    ForwardConfig: {
      TargetGroups: [
        { TargetGroupArn: TG_BLUE, Weight: blue },
        { TargetGroupArn: TG_GREEN, Weight: green },
      ],
      TargetGroupStickinessConfig: { Enabled: false },
    },
  };
}

function listener(actions: Action[]) {
  return { Listeners: [{ ListenerArn: LISTENER, DefaultActions: actions }] };
}

function headerRule(targetGroup: string, priority = '5'): Rule {
  return {
    RuleArn: DARK_RULE,
    Priority: priority,
    IsDefault: false,
    Conditions: [
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'x-canary', Values: ['on'] } },
    ],
    Actions: [{ Type: 'forward', TargetGroupArn: targetGroup, ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroup, Weight: 1 }] } }],
  };
}

const SERVICE_RULE: Rule = {
  RuleArn: RULE,
  Priority: '10',
  IsDefault: false,
  Conditions: [{ Field: 'host-header', Values: ['api.example'], HostHeaderConfig: { Values: ['api.example'] } }],
  Actions: [forward(999, 0)],
};
const DEFAULT_RULE: Rule = { RuleArn: `${RULE}-default`, Priority: 'default', IsDefault: true, Conditions: [], Actions: [forward(1, 0)] };

function router(aws: AwsMocks): AlbRouter {
  return new AlbRouter(aws.clients.elb);
}

export const albRouterScenarios = scenarios('AlbRouter', {
  'setWeights writes both target groups at ALB weights on the default action, keeps the OIDC action, then reads back':
    async (aws) => {
      aws.elb
        .on(DescribeListenersCommand)
        .resolvesOnce(listener([OIDC, forward(900, 0, 2)]))
        .resolves(listener([OIDC, forward(810, 90, 2)]));
      aws.elb.on(ModifyListenerCommand).resolves({});
      await router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 90, canary: 10 });

      expect(sentActions(aws)).toEqual([
        'elasticloadbalancing:DescribeListeners',
        'elasticloadbalancing:ModifyListener',
        'elasticloadbalancing:DescribeListeners',
      ]);
      expect(aws.elb.commandCalls(DescribeListenersCommand)[0]?.args[0].input).toEqual({ ListenerArns: [LISTENER] });
      expect(aws.elb.commandCalls(ModifyListenerCommand)[0]?.args[0].input).toEqual({
        ListenerArn: LISTENER,
        DefaultActions: [
          {
            ...OIDC,
            AuthenticateOidcConfig: { ...OIDC.AuthenticateOidcConfig, UseExistingClientSecret: true },
          },
          {
            Type: 'forward',
            Order: 2,
            ForwardConfig: {
              TargetGroups: [
                { TargetGroupArn: TG_BLUE, Weight: 810 },
                { TargetGroupArn: TG_GREEN, Weight: 90 },
              ],
              TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
            },
          },
        ],
      });
    },

  'setWeights on a listener rule uses ModifyRule and keeps the stickiness it has when none is configured': async (aws) => {
    const sticky = (blue: number, green: number): Action => ({
      ...forward(blue, green),
      ForwardConfig: { ...forward(blue, green).ForwardConfig, TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 } },
    });
    aws.elb
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [{ ...SERVICE_RULE, Actions: [sticky(900, 0)] }] })
      .resolves({ Rules: [{ ...SERVICE_RULE, Actions: [sticky(450, 450)] }] });
    aws.elb.on(ModifyRuleCommand).resolves({});
    await router(aws).setWeights(ON_RULE, SPLIT, { stable: 50, canary: 50 });
    expect(sentActions(aws)).toEqual([
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:ModifyRule',
      'elasticloadbalancing:DescribeRules',
    ]);
    expect(aws.elb.commandCalls(DescribeRulesCommand)[0]?.args[0].input).toEqual({ RuleArns: [RULE] });
    expect(aws.elb.commandCalls(ModifyRuleCommand)[0]?.args[0].input).toEqual({ RuleArn: RULE, Actions: [sticky(450, 450)] });
  },

  'setWeights repeated sends the same full forward action again': async (aws) => {
    aws.elb.on(DescribeListenersCommand).resolves(listener([forward(0, 900)]));
    aws.elb.on(ModifyListenerCommand).resolves({});
    await router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 0, canary: 100 });
    await router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 0, canary: 100 });
    const [first, second] = aws.elb.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input);
    expect(second).toEqual(first);
    expect(first?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: TG_BLUE, Weight: 0 },
      { TargetGroupArn: TG_GREEN, Weight: 900 },
    ]);
  },

  'setWeights that does not read back fails with WeightsNotAppliedError': async (aws) => {
    aws.elb.on(DescribeListenersCommand).resolves(listener([forward(900, 0)]));
    aws.elb.on(ModifyListenerCommand).resolves({});
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 75, canary: 25 })).rejects.toMatchObject({
      name: 'WeightsNotAppliedError',
      expected: { stable: 75, canary: 25 },
      actual: { stable: 100, canary: 0 },
    });
  },

  'setWeights refuses weights that are not whole percents adding to 100, before any call': async (aws) => {
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 101, canary: -1 })).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('whole percent from 0 to 100') as unknown,
    });
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 60, canary: 30 })).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('must be 100') as unknown,
    });
    expect(sentActions(aws)).toEqual([]);
  },

  'setWeights refuses an action that forwards to a target group rollgate does not manage': async (aws) => {
    const other = TG_BLUE.replace('api-blue', 'other');
    aws.elb.on(DescribeListenersCommand).resolves(
      listener([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_BLUE, Weight: 1 }, { TargetGroupArn: other, Weight: 1 }] } }]),
    );
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 90, canary: 10 })).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('which rollgate does not manage') as unknown,
    });
    expect(aws.elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  },

  'setWeights refuses more target groups than the ALB allows per action': async (aws) => {
    const groups = [1, 2, 3, 4, 5, 6].map((n) => ({ TargetGroupArn: `${TG_BLUE}${n}`, Weight: 1 }));
    aws.elb.on(DescribeListenersCommand).resolves(listener([{ Type: 'forward', ForwardConfig: { TargetGroups: groups } }]));
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 90, canary: 10 })).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('beyond the ALB limit of 5') as unknown,
    });
  },

  'setWeights refuses a listener without exactly one forward action': async (aws) => {
    aws.elb.on(DescribeListenersCommand).resolves(listener([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503' } }]));
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 90, canary: 10 })).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('exactly one forward action') as unknown,
    });
  },

  'setWeights refuses stickiness beyond 7 days and identical stable and canary groups': async (aws) => {
    await expect(
      router(aws).setWeights({ ...BARE, stickiness: { enabled: true, durationSeconds: 604_801 } }, SPLIT, {
        stable: 90,
        canary: 10,
      }),
    ).rejects.toMatchObject({ name: 'TrafficConfigError', message: expect.stringContaining('604800') as unknown });
    await expect(
      router(aws).setWeights(ON_LISTENER, { stableTargetGroupArn: TG_BLUE, canaryTargetGroupArn: TG_BLUE }, { stable: 90, canary: 10 }),
    ).rejects.toMatchObject({ name: 'TrafficConfigError', message: expect.stringContaining('must differ') as unknown });
    expect(sentActions(aws)).toEqual([]);
  },

  'setWeights refused by the load balancer fails with TrafficConfigError carrying the ELB code': async (aws) => {
    aws.elb.on(DescribeListenersCommand).resolves(listener([forward(900, 0)]));
    aws.elb.on(ModifyListenerCommand).rejects(awsError('TooManyTargetGroupsException', 'too many'));
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 90, canary: 10 })).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: 'ModifyListener refused: TooManyTargetGroupsException: too many',
    });
  },

  'setWeights on a missing listener fails with TrafficConfigError; throttling stays retryable': async (aws) => {
    aws.elb
      .on(DescribeListenersCommand)
      .rejectsOnce(awsError('ListenerNotFoundException'))
      .rejects(awsError('Throttling', 'Rate exceeded'));
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 90, canary: 10 })).rejects.toMatchObject({
      name: 'TrafficConfigError',
    });
    await expect(router(aws).setWeights(ON_LISTENER, SPLIT, { stable: 90, canary: 10 })).rejects.toMatchObject({
      name: 'CloudProviderUnavailableError',
      code: 'Throttling',
    });
  },

  'getWeights reads percent back from any ALB weights': async (aws) => {
    aws.elb
      .on(DescribeListenersCommand)
      .resolvesOnce(listener([forward(1, 1)]))
      .resolvesOnce(listener([{ Type: 'forward', TargetGroupArn: TG_BLUE, ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_BLUE, Weight: 1 }] } }]))
      .resolves(listener([forward(0, 0)]));
    await expect(router(aws).getWeights(ON_LISTENER, SPLIT)).resolves.toEqual({ stable: 50, canary: 50 });
    await expect(router(aws).getWeights(ON_LISTENER, SPLIT)).resolves.toEqual({ stable: 100, canary: 0 });
    await expect(router(aws).getWeights(ON_LISTENER, SPLIT)).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('both target groups have weight 0') as unknown,
    });
  },

  'setHeaderRoute creates the header rule to the canary group after reading every page of rules': async (aws) => {
    aws.elb
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [SERVICE_RULE], NextMarker: 'page-2' })
      .resolves({ Rules: [DEFAULT_RULE] });
    aws.elb.on(CreateRuleCommand).resolves({ Rules: [headerRule(TG_GREEN)] });
    await router(aws).setHeaderRoute(BARE, SPLIT, ROUTE);
    expect(sentActions(aws)).toEqual([
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:CreateRule',
    ]);
    expect(aws.elb.commandCalls(DescribeRulesCommand).map((c) => c.args[0].input)).toEqual([
      { ListenerArn: LISTENER, Marker: undefined },
      { ListenerArn: LISTENER, Marker: 'page-2' },
    ]);
    expect(aws.elb.commandCalls(CreateRuleCommand)[0]?.args[0].input).toEqual({
      ListenerArn: LISTENER,
      Priority: 5,
      Conditions: [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['on'] } }],
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_GREEN, Weight: 1 }] } }],
      // The role may create, change and delete only rules tagged rollgate:service (ALB_ROUTER_IAM).
      Tags: [{ Key: 'rollgate:service', Value: 'api' }],
    });
  },

  "setHeaderRoute on a listener rule target carries the service rule's conditions and must come before it": async (aws) => {
    aws.elb.on(DescribeRulesCommand).resolves({ Rules: [SERVICE_RULE, DEFAULT_RULE] });
    aws.elb.on(CreateRuleCommand).resolves({});
    await router(aws).setHeaderRoute(ON_RULE, SPLIT, ROUTE);
    expect(aws.elb.commandCalls(CreateRuleCommand)[0]?.args[0].input.Conditions).toEqual([
      { Field: 'host-header', HostHeaderConfig: { Values: ['api.example'] } },
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['on'] } },
    ]);
    await expect(router(aws).setHeaderRoute(ON_RULE, SPLIT, { ...ROUTE, priority: 10 })).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining("must come before the service rule's 10") as unknown,
    });
  },

  'setHeaderRoute keeps a header rule that already forwards to the canary, and repoints one that does not': async (aws) => {
    aws.elb
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [headerRule(TG_GREEN), DEFAULT_RULE] })
      .resolves({ Rules: [headerRule(TG_BLUE), DEFAULT_RULE] });
    aws.elb.on(ModifyRuleCommand).resolves({});
    await router(aws).setHeaderRoute(BARE, SPLIT, ROUTE);
    expect(sentActions(aws)).toEqual(['elasticloadbalancing:DescribeRules']);
    await router(aws).setHeaderRoute(BARE, SPLIT, ROUTE);
    expect(aws.elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
    expect(aws.elb.commandCalls(ModifyRuleCommand)[0]?.args[0].input).toEqual({
      RuleArn: DARK_RULE,
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG_GREEN, Weight: 1 }] } }],
    });
  },

  'setHeaderRoute refuses a priority taken by another rule, or a header rule at another priority': async (aws) => {
    aws.elb
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [{ ...SERVICE_RULE, Priority: '5' }] })
      .resolves({ Rules: [headerRule(TG_GREEN, '7')] });
    await expect(router(aws).setHeaderRoute(BARE, SPLIT, ROUTE)).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('priority 5 is taken') as unknown,
    });
    await expect(router(aws).setHeaderRoute(BARE, SPLIT, ROUTE)).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('is at priority 7, not 5') as unknown,
    });
    expect(aws.elb.commandCalls(CreateRuleCommand)).toHaveLength(0);
  },

  'setHeaderRoute refuses priorities outside 1..50000 and headers beyond ALB sizes, before any call': async (aws) => {
    for (const route of [
      { ...ROUTE, priority: 0 },
      { ...ROUTE, priority: 50_001 },
      { ...ROUTE, headerName: 'x'.repeat(41) },
      { ...ROUTE, headerValue: 'v'.repeat(129) },
    ]) {
      await expect(router(aws).setHeaderRoute(BARE, SPLIT, route)).rejects.toMatchObject({
        name: 'TrafficConfigError',
      });
    }
    expect(sentActions(aws)).toEqual([]);
  },

  'setHeaderRoute racing a retry that created the same rule takes PriorityInUse as done': async (aws) => {
    aws.elb
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [DEFAULT_RULE] })
      .resolves({ Rules: [headerRule(TG_GREEN), DEFAULT_RULE] });
    aws.elb.on(CreateRuleCommand).rejects(awsError('PriorityInUseException'));
    await expect(router(aws).setHeaderRoute(BARE, SPLIT, ROUTE)).resolves.toBeUndefined();
    expect(sentActions(aws)).toEqual([
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:CreateRule',
      'elasticloadbalancing:DescribeRules',
    ]);
  },

  'setHeaderRoute losing its priority to another rule in a race fails with TrafficConfigError': async (aws) => {
    aws.elb.on(DescribeRulesCommand).resolvesOnce({ Rules: [DEFAULT_RULE] }).resolves({ Rules: [{ ...SERVICE_RULE, Priority: '5' }] });
    aws.elb.on(CreateRuleCommand).rejects(awsError('PriorityInUseException'));
    await expect(router(aws).setHeaderRoute(BARE, SPLIT, ROUTE)).rejects.toMatchObject({
      name: 'TrafficConfigError',
      message: expect.stringContaining('taken by another rule') as unknown,
    });
  },

  'removeHeaderRoute deletes the rule matching the header, and nothing when there is none': async (aws) => {
    aws.elb
      .on(DescribeRulesCommand)
      .resolvesOnce({ Rules: [SERVICE_RULE, headerRule(TG_GREEN), DEFAULT_RULE] })
      .resolves({ Rules: [SERVICE_RULE, DEFAULT_RULE] });
    aws.elb.on(DeleteRuleCommand).resolves({});
    await router(aws).removeHeaderRoute(BARE, ROUTE);
    await router(aws).removeHeaderRoute(BARE, ROUTE);
    expect(sentActions(aws)).toEqual([
      'elasticloadbalancing:DescribeRules',
      'elasticloadbalancing:DeleteRule',
      'elasticloadbalancing:DescribeRules',
    ]);
    expect(aws.elb.commandCalls(DeleteRuleCommand)[0]?.args[0].input).toEqual({ RuleArn: DARK_RULE });
  },

  'removeHeaderRoute of a rule deleted meanwhile succeeds': async (aws) => {
    aws.elb.on(DescribeRulesCommand).resolves({ Rules: [headerRule(TG_GREEN)] });
    aws.elb.on(DeleteRuleCommand).rejects(awsError('RuleNotFoundException'));
    await expect(router(aws).removeHeaderRoute(BARE, ROUTE)).resolves.toBeUndefined();
  },
});
