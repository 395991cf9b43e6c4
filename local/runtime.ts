/**
 * The local runtime: the release state machine (statemachines/release.asl.json,
 * unchanged) on the local engine, every Lambda ARN mapped to the same step the
 * Lambda runs, the ledger on DynamoDB Local, and the simulated cloud behind the
 * ports. Out-of-band handlers are wired the way EventBridge wires them in AWS:
 * alarm events go to the alarm handler, an execution that ends FAILED,
 * TIMED_OUT or ABORTED reaches the reconciler.
 *
 * The configuration takes the Lambda functions' path: the runtime publishes
 * it into the ledger's CONFIG items at start (as `cdk deploy` does), and
 * every step and handler reads it through a {@link ConfigSource}, checking
 * the revision on each invocation (no cache lifetime locally, so a publish is
 * seen at once and tests need no waiting).
 */
import './node-compat.js';
import { fileURLToPath } from 'node:url';
import { parseConfig, type RollgateConfig, type RollgateConfigInput } from '../functions/config.js';
import { ledgerDocumentClient } from '../functions/ledger/client.js';
import { ConfigSource, liveConfig } from '../functions/ledger/config-source.js';
import { ConfigStore, type PublishResult } from '../functions/ledger/config-store.js';
import { DynamoDbLedger } from '../functions/ledger/dynamodb-ledger.js';
import type { FleetRef } from '../functions/domain/fleet.js';
import type { AlarmSource, Ledger, Notifier } from '../functions/ports.js';
import { alarmHandler, type AlarmOutcome } from '../functions/steps/alarm.js';
import { bake } from '../functions/steps/wait.js';
import { decide, type DecisionDeps } from '../functions/approval/decisions.js';
import { SlackApproverDirectory, type ApproverDirectory } from '../functions/approval/policy.js';
import type { SlackApi } from '../functions/adapters/slack/web-api.js';
import { SlackReleaseEvents } from '../functions/notifications/slack.js';
import { fourEyesFor } from '../functions/config.js';
import { NO_SLACK } from '../functions/control/no-slack.js';
import { abortRelease, promoteNow } from '../functions/steps/control.js';
import type { ReleaseInput } from '../functions/steps/preflight.js';
import { reconcile, type ReconcileOutcome } from '../functions/steps/reconcile.js';
import type { DefinedStep, StepDeps } from '../functions/steps/step.js';
import { TASK_FUNCTIONS } from '../infra/functions.js';
import {
  LocalStepFunctions,
  type ExecutionOverrides,
  type LambdaHandler,
  type LocalExecution,
  type StateEntry,
} from './engine/index.js';
import { LocalExecutions } from './engine/local-executions.js';
import { ledgerStreamArn, openOrCreateLedgerTable, localDynamoClient } from './ledger-table.js';
import { LocalReleaseEventBus, LocalStreamNotifier, LocalStreamsApi } from './notifications.js';
import { SAMPLE_CONFIG } from './sample-config.js';
import { SimulatedCloud, type SimulatedCloudOptions } from './sim/cloud.js';

export const RELEASE_ASL = fileURLToPath(new URL('../statemachines/release.asl.json', import.meta.url));

/** Every Task state's step, by the definitionSubstitutions name the ASL uses: from the one list the stack's functions come from (infra/functions.ts). */
export const STEP_FUNCTIONS: Readonly<Record<string, DefinedStep<unknown>>> = Object.fromEntries(TASK_FUNCTIONS.map((f) => [f.substitution, f.step]));

/** A fault to inject into a step: the Lambda service throttles the invocation. */
export interface StepFault {
  /** How many invocations of the step fail. */
  readonly times: number;
  /** Fail before the step runs, or after it ran (its response lost): the retry must be idempotent. */
  readonly when: 'before' | 'after';
}

/** An alarm that fires when a release reaches a given weight. */
export interface AlarmTrigger {
  readonly alarmName: string;
  /** Only releases of this version set it off (a bad build). */
  readonly version: string;
  readonly canaryPercent: number;
  /** @default 0 */
  readonly afterMs?: number;
}

export interface LocalRuntimeOptions {
  readonly dynamodbEndpoint: string;
  /**
   * Where the ledger sends its requests, when not straight to DynamoDB Local:
   * e.g. a fault-injecting proxy in front of it (local/sim/faulty-dynamodb.ts).
   * The table is still created at `dynamodbEndpoint`. @default dynamodbEndpoint
   */
  readonly ledgerEndpoint?: string;
  /**
   * The AlarmSource the steps and the alarm handler read, made once the cloud
   * exists (e.g. one that fails like CloudWatch's API when it is down).
   * @default the simulated cloud's alarms
   */
  readonly alarms?: (cloud: SimulatedCloud) => AlarmSource;
  /** @default a fresh `rollgate-ledger-<random>` table */
  readonly tableName?: string;
  /** Published into the ledger at start, replacing what a kept ledger held. @default the sample configuration */
  readonly config?: RollgateConfigInput;
  readonly cloud?: SimulatedCloudOptions;
  /** Time compression, in ms by state name. */
  readonly overrides?: ExecutionOverrides;
  /** Faults by substitution name (e.g. `ShiftTrafficFunctionArn`). */
  readonly faults?: Readonly<Record<string, StepFault>>;
  /**
   * Alarms that go to ALARM on their own: once a release of `version` puts
   * `canaryPercent` on its new fleet, the alarm fires `afterMs` later and its
   * state change is delivered to the alarm handler.
   */
  readonly alarmAt?: readonly AlarmTrigger[];
  /** Versions taking traffic at onboarding, by `service/environment`. @default `v1` everywhere */
  readonly stableVersions?: Readonly<Record<string, string>>;
  /**
   * The approval channel, made once the ledger exists (e.g. the Slack notifier
   * talking to the local Slack stand-in). @default the simulated cloud, which records requests
   */
  readonly notifier?: (context: LocalNotifierContext) => Notifier;
  /**
   * The Slack Web API decisions update messages through and ask about user
   * groups and names (four-eyes), e.g. the local Slack stand-in. @default none:
   * any question to Slack fails, so a group approver or a name comparison is
   * refused (the policy fails closed), exactly as with Slack down.
   */
  readonly slack?: SlackApi;
  /**
   * Release notifications, as the Notifier function sends them on AWS: the
   * ledger's stream is read (local/notifications.ts), every event is kept in
   * {@link LocalRuntime.releaseEvents} and, with {@link slack}, posted to the
   * service's channel. Stopped by {@link LocalRuntime.close}. @default false
   */
  readonly notifications?: boolean;
}


/** What a {@link LocalRuntimeOptions.notifier} factory gets. */
export interface LocalNotifierContext {
  readonly ledger: Ledger;
  readonly config: RollgateConfig;
  readonly cloud: SimulatedCloud;
}

const functionArn = (substitution: string) =>
  `arn:aws:lambda:us-east-1:000000000000:function:rollgate-${substitution.replace(/FunctionArn$/, '').replace(/[A-Z]/g, (c, i: number) => (i === 0 ? c.toLowerCase() : `-${c.toLowerCase()}`))}`;

export class LocalRuntime {
  public readonly engine: LocalStepFunctions;
  public readonly stateMachineArn: string;
  /** Invocations per step (by substitution name), faults included. */
  public readonly invocations = new Map<string, number>();
  /** What the reconciler did after executions ended. */
  public readonly reconciled: ReconcileOutcome[] = [];
  /** Errors of out-of-band work the runtime started itself (reconciler runs, triggered alarms); tests assert there are none. */
  public readonly reconcileErrors: unknown[] = [];
  private readonly pendingReconciles = new Set<Promise<void>>();
  private running = 0;
  /**
   * The rollgate events published (`source: rollgate`), with
   * {@link LocalRuntimeOptions.notifications}; undefined without.
   */
  public readonly releaseEvents: LocalReleaseEventBus | undefined;
  /** Errors of the notifier (a sink down, a stream read that failed); each is retried, as on AWS. */
  public readonly notificationErrors: unknown[] = [];
  private streamNotifier: LocalStreamNotifier | undefined;

  /**
   * Step handlers running now. A callback task's handler is still running for
   * a moment after its wait is in the ledger (it reads the release back): a
   * test that takes the ledger down "while the release bakes" waits for 0.
   */
  public get stepsRunning(): number {
    return this.running;
  }

  /**
   * The steps' dependencies; `config` is a live view of the configuration
   * published last. Each invocation the runtime makes gets the snapshot it
   * read instead ({@link stepDeps}).
   */
  public readonly deps: StepDeps;
  /**
   * What deciding an approval needs: the same {@link decide} Slack, the
   * browser page and the control API go through (allow-list, four-eyes,
   * decided once, message updated), over this runtime's ledger and engine.
   */
  public readonly decisionDeps: DecisionDeps;

  private constructor(
    private readonly configSource: ConfigSource,
    private readonly configStore: ConfigStore,
    public readonly ledger: Ledger,
    public readonly cloud: SimulatedCloud,
    private readonly options: LocalRuntimeOptions,
  ) {
    const handlers: Record<string, LambdaHandler> = {};
    const substitutions: Record<string, string> = {};
    for (const [name, step] of Object.entries(STEP_FUNCTIONS)) {
      substitutions[name] = functionArn(name);
      handlers[functionArn(name)] = (event) => this.invoke(name, step, event);
    }
    this.engine = new LocalStepFunctions({ handlers, ...(options.overrides === undefined ? {} : { overrides: options.overrides }) });
    this.stateMachineArn = this.engine.createStateMachine({ name: 'rollgate-release', definition: RELEASE_ASL, substitutions }).stateMachineArn;
    const config = liveConfig(configSource);
    this.deps = {
      config,
      ledger,
      fleets: { ecs: cloud.fleet, asg: cloud.fleet },
      router: cloud,
      alarms: options.alarms?.(cloud) ?? cloud,
      migrator: cloud,
      smoke: cloud,
      notifier: options.notifier?.({ ledger, config, cloud }) ?? cloud,
      callbacks: this.engine.callbacks,
      executions: new LocalExecutions(this.engine),
      now: () => new Date(),
    };
    const slack = options.slack ?? NO_SLACK;
    const directory: ApproverDirectory = new SlackApproverDirectory(slack);
    this.decisionDeps = {
      ledger,
      callbacks: this.engine.callbacks,
      slack,
      directory,
      now: () => new Date(),
      fourEyes: (approval) => fourEyesFor(config, approval),
      // Decisions are returned or thrown to the caller; the log has nothing to add locally.
      log: () => undefined,
    };
    this.releaseEvents = options.notifications === true ? new LocalReleaseEventBus() : undefined;
    for (const trigger of options.alarmAt ?? []) this.armAlarm(config, trigger);
    this.engine.onExecutionEnded((execution) => {
      // EventBridge: "Step Functions Execution Status Change" FAILED/TIMED_OUT/ABORTED → reconciler.
      if (execution.status === 'SUCCEEDED') return;
      const run = this.reconcile().then(
        () => undefined,
        (error: unknown) => {
          this.reconcileErrors.push(error);
        },
      );
      this.pendingReconciles.add(run);
      void run.finally(() => this.pendingReconciles.delete(run));
    });
  }

  /**
   * Opens the ledger table (creating it unless an earlier run left it, e.g. on
   * disk), onboards every configured service with a stable fleet (the one the
   * ledger names, when it names one), and wires the engine.
   */
  public static async create(options: LocalRuntimeOptions): Promise<LocalRuntime> {
    const config = parseConfig(options.config ?? SAMPLE_CONFIG);
    const client = localDynamoClient(options.dynamodbEndpoint);
    const tableName = options.tableName ?? `rollgate-ledger-${Math.random().toString(36).slice(2, 10)}`;
    const { created } = await openOrCreateLedgerTable(client, tableName, { stream: options.notifications === true });
    const ledgerClient = options.ledgerEndpoint === undefined ? client : localDynamoClient(options.ledgerEndpoint);
    const ledger = new DynamoDbLedger({ client: ledgerDocumentClient(ledgerClient), tableName });
    // Around a fault-injecting ledgerEndpoint: it simulates the ledger's outages, which a function's 30 s configuration cache mostly rides out on AWS.
    const configStore = new ConfigStore({ client: ledgerDocumentClient(client), tableName });
    await configStore.publish(config, 'rollgate-local');
    const configSource = new ConfigSource(configStore, { ttlMs: 0 });
    await configSource.get();
    const cloud = new SimulatedCloud(options.cloud);
    const runtime = new LocalRuntime(configSource, configStore, ledger, cloud, options);

    for (const service of config.services) {
      const key = `${service.service}/${service.environment}`;
      const [blue] = service.traffic.targetGroupArns;
      const fleet: FleetRef = {
        kind: service.fleet.kind === 'ecs' ? 'ecs-task-set' : 'auto-scaling-group',
        id: `${service.fleet.kind === 'ecs' ? 'ts' : 'asg'}-${service.service}-onboarded`,
        targetGroup: blue,
      };
      // A ledger kept from an earlier run knows what is stable: the simulated cloud starts from it.
      const kept = await ledger.getStable(service);
      if (kept !== undefined) {
        cloud.seedFleet(kept.fleet, kept.version, service.traffic);
        continue;
      }
      cloud.seedFleet(fleet, options.stableVersions?.[key] ?? 'v1', service.traffic);
      await ledger.setStable({ service: service.service, environment: service.environment, version: options.stableVersions?.[key] ?? 'v1', fleet });
    }
    if (runtime.releaseEvents !== undefined) {
      // The stream is served where the table lives, not through a fault-injecting ledgerEndpoint.
      const streamArn = await ledgerStreamArn(client, tableName);
      runtime.streamNotifier = new LocalStreamNotifier({
        api: new LocalStreamsApi(options.dynamodbEndpoint),
        streamArn,
        // A ledger kept from an earlier run had its changes notified then.
        from: created ? 'TRIM_HORIZON' : 'LATEST',
        // EventBridge first, as the Notifier function (functions/handlers/notify.ts).
        sinks: [runtime.releaseEvents.sink(), ...(options.slack === undefined ? [] : [new SlackReleaseEvents(options.slack, config)])],
        onError: (error) => runtime.notificationErrors.push(error),
      });
      await runtime.streamNotifier.start();
    }
    return runtime;
  }

  /** Resolves once every ledger change made before the call was notified (at once without notifications). */
  public async notificationsSettled(): Promise<void> {
    await this.streamNotifier?.idle();
  }

  /** Stops the notifier's polling (with {@link LocalRuntimeOptions.notifications}); the ledger and engine are left as they are. */
  public async close(): Promise<void> {
    await this.streamNotifier?.close();
  }

  /**
   * Publishes `config` into the ledger, as `cdk deploy` or `rollgate onboard`
   * would: the next invocation of every step and handler reads it; a release
   * under way goes on with the service configuration it froze.
   */
  public async publishConfig(config: RollgateConfigInput, actor = 'rollgate-local'): Promise<PublishResult> {
    const result = await this.configStore.publish(config, actor);
    await this.configSource.get();
    return result;
  }

  /** The steps' dependencies with the configuration of now, as a Lambda invocation reads it. */
  public async stepDeps(): Promise<StepDeps> {
    const { config, revision } = await this.configSource.get();
    return { ...this.deps, config, configRevision: revision };
  }

  /** Starts a release: one execution of the release state machine. */
  public startRelease(input: ReleaseInput, options: { name?: string; onState?: (entry: StateEntry) => void } = {}): LocalExecution {
    return this.engine.startExecution({ stateMachineArn: this.stateMachineArn, input, ...options });
  }

  /**
   * Delivers a "CloudWatch Alarm State Change" event to ALARM, as EventBridge would.
   * `reason` is CloudWatch's stateReason (local/sim/alarm-evaluator.ts writes one like CloudWatch's).
   */
  public async deliverAlarm(
    alarmName: string,
    eventId = `alarm-${alarmName}-${String(Date.now())}`,
    reason = 'Threshold Crossed (local simulation)',
  ): Promise<AlarmOutcome[]> {
    const time = new Date().toISOString();
    return alarmHandler.invoke(await this.stepDeps(), {
      version: '0',
      id: eventId,
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '000000000000',
      time,
      region: 'us-east-1',
      resources: [`arn:aws:cloudwatch:us-east-1:000000000000:alarm:${alarmName}`],
      detail: { alarmName, state: { value: 'ALARM', reason, timestamp: time } },
    });
  }

  /**
   * Decides an approval through the one decision path ({@link decide}): `by`
   * is a Slack user id, or an IAM principal ARN (`arn:…`) as the local control
   * server verified it. `resumed` is false when the approval only recorded an
   * endorsement (four-eyes with an unknown starter wants another approver).
   *
   * @throws NotAnApproverError / SelfApprovalError / AlreadyDecidedError / ApprovalExpiredError / ApprovalNoLongerWaitingError, as in Slack.
   */
  public async decide(approvalId: string, outcome: 'APPROVED' | 'REJECTED', by: string, comment?: string) {
    const approval = await decide(this.decisionDeps, {
      approvalId,
      outcome,
      via: 'local',
      ...(by.startsWith('arn:') ? { principalArn: by } : { userId: by }),
      ...(comment === undefined ? {} : { comment }),
    });
    return { approval, resumed: approval.deliveredAt !== undefined };
  }

  public async promoteNow(ref: { service: string; environment: string; releaseId: string }, by: string) {
    return promoteNow.invoke(await this.stepDeps(), { ...refOnly(ref), by });
  }

  public async abort(ref: { service: string; environment: string; releaseId: string }, by: string, reason?: string) {
    return abortRelease.invoke(await this.stepDeps(), { ...refOnly(ref), by, ...(reason === undefined ? {} : { reason }) });
  }

  /** Runs the reconciler now (it also runs whenever an execution ends other than SUCCEEDED). */
  public async reconcile(): Promise<ReconcileOutcome[]> {
    const outcomes = await reconcile.invoke(await this.stepDeps(), { source: 'local' });
    this.reconciled.push(...outcomes);
    return outcomes;
  }

  /** Waits for reconciler runs triggered by ended executions. */
  public async settled(): Promise<void> {
    await Promise.all([...this.pendingReconciles]);
  }

  /** Fires `trigger` once, when a release of its service puts `canaryPercent` on the new fleet. */
  private armAlarm(config: RollgateConfig, trigger: AlarmTrigger): void {
    const services = config.services.filter((s) => s.alarms.includes(trigger.alarmName));
    let fired = false;
    this.cloud.onWeightsChanged((weights) => {
      if (fired) return;
      const service = services.find((s) => s.traffic.targetGroupArns.some((tg) => weights.get(tg) === trigger.canaryPercent));
      if (service === undefined) return;
      const check = this.ledger.getActiveRelease(service).then((release) => {
        if (fired || release?.version !== trigger.version || release.canaryTargetGroup === undefined) return;
        if (weights.get(release.canaryTargetGroup) !== trigger.canaryPercent) return;
        fired = true;
        const fire = async () => {
          this.cloud.alarmsFiring.add(trigger.alarmName);
          await this.deliverAlarm(trigger.alarmName);
        };
        setTimeout(() => {
          void fire().catch((error: unknown) => this.reconcileErrors.push(error));
        }, trigger.afterMs ?? 0);
      });
      void check.catch((error: unknown) => this.reconcileErrors.push(error));
    });
  }

  /**
   * The Bake handler's event with the wait the local engine really keeps. A
   * `taskTimeoutOverrides.Bake` makes the engine time the bake out after that
   * many milliseconds instead of the plan's `cursor.waitSeconds` (2 s in the
   * demo for a plan's 300 s); the handler records `waiting.timeoutAt` from
   * the cursor, and that is what getRelease answers and `rollgate watch` and
   * the demo count bake time left from. Given the compressed wait, every
   * reader agrees with the engine, instead of showing 4m58s left on a bake
   * that ends in 2 s. The cursor counts whole seconds (its schema's and
   * TimeoutSecondsPath's unit): the wait is rounded down, so the recorded end
   * is never after the engine's, but a sub-second override is given as 1 s.
   * Only the handler's copy changes; the engine times from the state's input.
   */
  private bakeAsTheEngineTimesIt(event: unknown): unknown {
    const overrideMs = this.options.overrides?.taskTimeoutOverrides?.Bake;
    if (overrideMs === undefined || typeof event !== 'object' || event === null) return event;
    const { cursor } = event as { cursor?: unknown };
    if (typeof cursor !== 'object' || cursor === null || typeof (cursor as { waitSeconds?: unknown }).waitSeconds !== 'number') return event;
    return { ...event, cursor: { ...cursor, waitSeconds: Math.max(1, Math.floor(overrideMs / 1000)) } };
  }

  private async invoke(name: string, step: DefinedStep<unknown>, event: unknown): Promise<unknown> {
    const count = (this.invocations.get(name) ?? 0) + 1;
    this.invocations.set(name, count);
    const fault = this.options.faults?.[name];
    const throttle = () => Object.assign(new Error(`Rate exceeded (injected into ${name}, invocation ${String(count)})`), { name: 'Lambda.TooManyRequestsException' });
    if (fault?.when === 'before' && count <= fault.times) throw throttle();
    this.running += 1;
    try {
      const result = await step.invoke(await this.stepDeps(), step === bake ? this.bakeAsTheEngineTimesIt(event) : event);
      if (fault?.when === 'after' && count <= fault.times) throw throttle();
      return result;
    } finally {
      this.running -= 1;
    }
  }
}

function refOnly(ref: { service: string; environment: string; releaseId: string }) {
  return { service: ref.service, environment: ref.environment, releaseId: ref.releaseId };
}
