/**
 * Service configuration: for each onboarded service+environment, where its
 * fleet, target groups, listener (or rule), alarms, migration and default
 * plan are. One typed config, validated with zod at synth (infra/) and at cold
 * start (functions), so a mistake fails loudly with the path of the bad field.
 */
import * as z from 'zod';
import { MAX_POLLS } from './domain/history.js';
import { PlanSchema } from './domain/plan.js';
import { InvalidInputError, UnknownServiceError } from './errors.js';
import { NameSchema } from './domain/fields.js';
import { parseInput } from './validation.js';

const arn = (service: string, resource: string) =>
  z
    .string()
    .max(2048)
    .regex(
      new RegExp(`^arn:aws[a-z-]*:${service}:[a-z0-9-]+:\\d{12}:${resource}`),
      `must be an ${service} ${resource.replace(/[\\^$]/g, '').replace('/', '')} ARN`,
    );

const TargetGroupArn = arn('elasticloadbalancing', 'targetgroup/');

/**
 * IAM roles rollgate passes to another service (iam:PassRole) when it
 * registers a task definition revision or launches instances. Only the stack
 * reads them, to scope that permission; at most 10 per fleet or migration.
 */
const PassedRoleArns = z
  .array(z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, 'must be IAM role ARNs'))
  .max(10)
  .default([]);
const Ids = (prefix: string) =>
  z
    .array(z.string().regex(new RegExp(`^${prefix}-[0-9a-f]{8,17}$`), `must be ${prefix}-… ids`))
    .min(1)
    .max(16);

/** The UTF-8 size of a value as JSON, as Step Functions measures its state. */
function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Alarm names, all together (see `alarms`). */
export const MAX_ALARM_NAMES_BYTES = 4096;

/** A rollback's plan unless the service names one: straight to 100 % once the health gate passed (the version ran here before). */
export const DEFAULT_ROLLBACK_PLAN = { steps: [{ type: 'traffic' as const, weight: 100, bakeSeconds: 0 }] };

/**
 * Every poll of a loop writes nine history events; Step Functions ends an
 * execution at 25,000 (outside every Catch, lock held), so a loop may poll at
 * most {@link MAX_POLLS} times (functions/domain/history.ts).
 */
const POLLS_WHY = `a loop may poll at most ${String(MAX_POLLS)} times, or the release's execution history could outgrow Step Functions' 25,000 events`;

export const EcsFleetSchema = z.strictObject({
  kind: z.literal('ecs'),
  cluster: z.string().min(1),
  service: z.string().min(1),
  containerName: z.string().min(1).max(255),
  containerPort: z.number().int().min(1).max(65_535),
  imageRepository: z.string().regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+$/, 'must be an image repository URI without tag'),
  /** The task role and task execution role of the service's task definition, passed to ECS with each new revision. */
  taskRoleArns: PassedRoleArns,
});

export const AsgFleetSchema = z.strictObject({
  kind: z.literal('asg'),
  launchTemplateId: z.string().regex(/^lt-[0-9a-f]{8,17}$/, 'must be a launch template id (lt-…)'),
  groupNamePrefix: z.string().regex(/^[A-Za-z0-9-]{1,200}$/, 'must be 1-200 letters, digits or "-"'),
  subnetIds: Ids('subnet'),
  /** The role of the launch template's instance profile, if it has one, passed to EC2 with each new group. */
  instanceRoleArns: PassedRoleArns,
});

/** ECR repository names: https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html */
const EcrRepositoryName = z
  .string()
  .regex(/^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'must be an ECR repository name (not a URI)')
  .min(2)
  .max(256)
  .refine((name) => !name.includes('.dkr.ecr.'), 'must be an ECR repository name (not a URI)');

/** CodeBuild project names: https://docs.aws.amazon.com/codebuild/latest/APIReference/API_CreateProject.html */
const CodeBuildProjectName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$/, 'must be a CodeBuild project name');

/**
 * What releases a service without anyone starting it: the build trigger
 * starts an execution when an image is pushed to `ecrRepository` (the version
 * is the image digest) or when a build of `codeBuildProject` succeeds (the
 * version is the build's exported environment variable `versionVariable`).
 */
export const BuildTriggerSchema = z
  .strictObject({
    ecrRepository: EcrRepositoryName.optional(),
    codeBuildProject: CodeBuildProjectName.optional(),
    versionVariable: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name')
      .default('ROLLGATE_VERSION'),
  })
  .refine((t) => t.ecrRepository !== undefined || t.codeBuildProject !== undefined, {
    message: 'name an ecrRepository, a codeBuildProject or both',
  });

/** Slack channel ids: public (`C…`), private (`G…`) or direct (`D…`). */
const SlackChannelId = z.string().regex(/^[CGD][A-Z0-9]{8,}$/, 'must be a Slack channel id (C…, G… or D…)');

/**
 * Secrets Manager secret names: 1-512 of letters, digits and `/_+=.@-`.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html#SecretsManager-CreateSecret-request-Name
 */
const SecretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name (1-512 of A-Za-z0-9/_+=.@-)');

/**
 * The Slack app approvals go through. Its secrets live in two Secrets Manager
 * secrets (JSON strings, see functions/approval/secrets.ts), so each function
 * is granted only what it reads: the bot token, read by every approval
 * function, and the signing secret with the link-signing key, read by the
 * approval endpoint alone (the Approval step and the sweeper cannot forge a
 * click or mint a link). Both are read at cold start and cached.
 */
export const SlackConfigSchema = z
  .strictObject({
    /** The one secret of earlier versions, readable by every approval function: refused, naming its replacements (first, so an old configuration is told that first). */
    secretName: z
      .never({
        error: 'was split in two: botTokenSecretName ({"botToken"}, read by every approval function) and signingSecretName ({"signingSecret","linkSigningKey"}, read by the approval endpoint only)',
      })
      .optional(),
    /** Name (not ARN) of the bot-token secret (`{"botToken":"xoxb-…"}`), in the stack's account and region. */
    botTokenSecretName: SecretName,
    /** Name (not ARN) of the signing secret (`{"signingSecret":…,"linkSigningKey":…}`), in the stack's account and region. */
    signingSecretName: SecretName,
    /** Where approval requests go unless a service names its own channel. */
    channel: SlackChannelId,
    /** The workspace (`T…`) whose clicks are accepted; clicks from any other are refused. @default any workspace */
    teamId: z.string().regex(/^T[A-Z0-9]{8,}$/, 'must be a Slack team id (T…)').optional(),
    /**
     * The public URL of the approval endpoint when a custom domain is in front
     * of it: personal links point here and page POSTs must come from its origin.
     * @default the URL the endpoint is called on
     */
    publicBaseUrl: z
      .url({ protocol: /^https$/, message: 'must be an https URL' })
      .refine((url) => !url.includes('?') && !url.includes('#'), 'must have no query and no fragment')
      .optional(),
  })
  .refine((slack) => slack.botTokenSecretName !== slack.signingSecretName, {
    path: ['signingSecretName'],
    message: 'must name another secret than botTokenSecretName: every approval function reads the bot-token secret',
  });

/** How a service's releases are approved, where its plan has approval steps. */
export const ServiceApprovalsSchema = z.strictObject({
  /** The channel its approval requests go to. @default `slack.channel` */
  slackChannel: SlackChannelId.optional(),
  /** The release's author may not approve it (they may still reject it). @default true */
  fourEyes: z.boolean().default(true),
});

export const ServiceConfigSchema = z.strictObject({
  service: NameSchema,
  environment: NameSchema,
  fleet: z.discriminatedUnion('kind', [EcsFleetSchema, AsgFleetSchema]),
  traffic: z.strictObject({
    listenerArn: arn('elasticloadbalancing', 'listener/'),
    ruleArn: arn('elasticloadbalancing', 'listener-rule/').optional(),
    /** The two target groups the fleets alternate between (blue/green). */
    targetGroupArns: z
      .tuple([TargetGroupArn, TargetGroupArn])
      .refine(([a, b]) => a !== b, { message: 'must be two different target groups' }),
    stickiness: z.strictObject({ enabled: z.boolean(), durationSeconds: z.number().int().min(1).max(604_800) }).optional(),
    /** Base URL of the service behind the listener; dark-canary smoke checks are sent here. */
    publicUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).optional(),
  }),
  /**
   * CloudWatch alarm names (metric or composite) that roll a release back.
   * Those firing when an expedited release starts travel in its state, which
   * Step Functions caps at 256 KiB (States.DataLimitExceeded, which no Catch
   * catches): hence the cap on their total size.
   */
  alarms: z
    .array(z.string().min(1).max(255))
    .min(1, 'onboard at least one alarm')
    .max(100)
    .refine((names) => jsonBytes(names) <= MAX_ALARM_NAMES_BYTES, `must be at most ${String(MAX_ALARM_NAMES_BYTES)} bytes of names in all (as JSON)`),
  migration: z
    .strictObject({
      cluster: z.string().min(1),
      taskDefinition: z.string().min(1),
      containerName: z.string().min(1),
      imageRepository: EcsFleetSchema.shape.imageRepository,
      subnetIds: Ids('subnet'),
      securityGroupIds: Ids('sg'),
      command: z.array(z.string()).optional(),
      /** The task role and task execution role of the migration task definition, passed to ECS at RunTask. */
      taskRoleArns: PassedRoleArns,
      /**
       * A migration still running this long after it started is stopped
       * (ECS StopTask) and the release fails. It is polled every
       * `healthGate.intervalSeconds`, at most 240 times.
       * @default 1800, or 240 × `healthGate.intervalSeconds` when that is shorter (see {@link migrationTimeoutSeconds})
       */
      timeoutSeconds: z.number().int().min(1).max(6 * 3600).optional(),
    })
    .optional(),
  /** Starts releases from builds; leave it out to start releases by hand only. */
  buildTrigger: BuildTriggerSchema.optional(),
  /** The plan a release follows unless its trigger overrides it. */
  plan: PlanSchema,
  /**
   * The expedited plan of a rollback to an earlier version (`rollback --to`,
   * trigger source `rollback`): a version that already ran here, released
   * fast because the current one is hurting. It replaces `plan` and its
   * approvals as a whole: the platform team names it here, so no approval is
   * weakened by whoever asks for the rollback.
   * @default one step to 100 % after the health gate, no bake
   */
  rollbackPlan: PlanSchema.default(DEFAULT_ROLLBACK_PLAN),
  /** How long the new fleet has to get healthy, polled every `intervalSeconds` (at most 240 polls). */
  healthGate: z
    .strictObject({
      timeoutSeconds: z.number().int().min(1).max(3600).default(600),
      intervalSeconds: z.number().int().min(1).max(300).default(15),
    })
    .refine((gate) => gate.timeoutSeconds <= MAX_POLLS * gate.intervalSeconds, {
      path: ['intervalSeconds'],
      message: `must be at least timeoutSeconds / ${String(MAX_POLLS)}: ${POLLS_WHY}`,
    })
    .default({ timeoutSeconds: 600, intervalSeconds: 15 }),
  /** How long the old fleet is kept after promotion before it is retired. */
  terminationWaitSeconds: z.number().int().min(0).max(86_400).default(300),
  approvals: ServiceApprovalsSchema.default({ fourEyes: true }),
}).superRefine((service, ctx) => {
  const interval = service.healthGate.intervalSeconds;
  if (service.migration?.timeoutSeconds !== undefined && service.migration.timeoutSeconds > MAX_POLLS * interval) {
    ctx.addIssue({
      code: 'custom',
      path: ['migration', 'timeoutSeconds'],
      message: `must be at most ${String(MAX_POLLS)} × healthGate.intervalSeconds (${String(MAX_POLLS * interval)} s), the interval the migration is polled at: ${POLLS_WHY}`,
    });
  }
  // An image push carries a digest; only an ECS fleet runs images by digest.
  if (service.buildTrigger?.ecrRepository !== undefined && service.fleet.kind !== 'ecs') {
    ctx.addIssue({
      code: 'custom',
      path: ['buildTrigger', 'ecrRepository'],
      message: 'releases images, so it needs an ECS fleet; an Auto Scaling group service is released by a build (codeBuildProject)',
    });
  }
});

export const RollgateConfigSchema = z
  .strictObject({
    /** The JSON Schema an editor checks the file against (schema/services.schema.json): accepted and dropped. */
    $schema: z.string().optional(),
    services: z.array(ServiceConfigSchema).min(1, 'onboard at least one service'),
    /** The Slack app of approvals; required once any plan has an approval step. */
    slack: SlackConfigSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const seen = new Set<string>();
    config.services.forEach((s, index) => {
      const key = `${s.service}/${s.environment}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['services', index], message: `${key} is onboarded twice` });
      seen.add(key);
    });
    if (config.slack === undefined) {
      const asking = config.services.find((s) => [...s.plan.steps, ...s.rollbackPlan.steps].some((step) => step.type === 'approval'));
      if (asking !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['slack'],
          message: `is required: the plan of ${asking.service}/${asking.environment} has an approval step, and approvers are asked in Slack`,
        });
      }
    }
  })
  .transform(withoutSchemaKey);

/** The configuration without the editor's `$schema` key, which nothing reads (and which must not reach the bundles). */
function withoutSchemaKey<T extends { $schema?: string | undefined }>(config: T): Omit<T, '$schema'> {
  const copy = { ...config };
  delete copy.$schema;
  return copy;
}

export type ServiceConfig = z.output<typeof ServiceConfigSchema>;
export type ServiceConfigInput = z.input<typeof ServiceConfigSchema>;
export type RollgateConfig = z.output<typeof RollgateConfigSchema>;
export type RollgateConfigInput = z.input<typeof RollgateConfigSchema>;
export type SlackConfig = z.output<typeof SlackConfigSchema>;
export type SlackConfigInput = z.input<typeof SlackConfigSchema>;

/** The migration timeout when none is configured, unless the poll interval makes 240 polls shorter. */
export const DEFAULT_MIGRATION_TIMEOUT_SECONDS = 1800;

/** How long a service's migration may run before it is stopped: `migration.timeoutSeconds`, else the default. */
export function migrationTimeoutSeconds(service: Pick<ServiceConfig, 'healthGate'> & { readonly migration?: { readonly timeoutSeconds?: number | undefined } | undefined }): number {
  return service.migration?.timeoutSeconds ?? Math.min(DEFAULT_MIGRATION_TIMEOUT_SECONDS, MAX_POLLS * service.healthGate.intervalSeconds);
}

/** Validates a whole configuration; the error names the bad field's path. */
export function parseConfig(raw: unknown): RollgateConfig {
  return parseInput(RollgateConfigSchema, raw, 'config');
}

/** The configuration of one service+environment, or {@link UnknownServiceError}. */
export function findService(config: RollgateConfig, service: string, environment: string): ServiceConfig {
  const found = config.services.find((s) => s.service === service && s.environment === environment);
  if (found === undefined) {
    throw new UnknownServiceError(
      service,
      environment,
      config.services.map((s) => `${s.service}/${s.environment}`),
    );
  }
  return found;
}

/**
 * The Slack configuration, for the functions that cannot work without it
 * (the approval step, the approval endpoint and the sweeper): called at cold
 * start, so a configuration without `slack` fails there, naming the field.
 */
export function requireSlack(config: RollgateConfig): SlackConfig {
  if (config.slack === undefined) {
    throw new InvalidInputError('config', 'slack', 'is not configured: approvals need { botTokenSecretName, signingSecretName, channel } of the Slack app');
  }
  return config.slack;
}

/** A service+environment, as approvals and approval requests carry it. */
export interface ServiceRef {
  readonly service: string;
  readonly environment: string;
}

/** The channel a service's approval requests go to: its own `approvals.slackChannel`, else `slack.channel`. */
export function approvalChannel(config: RollgateConfig, ref: ServiceRef): string {
  const slack = requireSlack(config);
  return findService(config, ref.service, ref.environment).approvals.slackChannel ?? slack.channel;
}

/**
 * Whether four-eyes holds for approvals of `ref`: the service's
 * `approvals.fourEyes`; true for a service no longer onboarded, since a
 * mistake here must refuse an approval rather than allow one.
 */
export function fourEyesFor(config: RollgateConfig, ref: ServiceRef): boolean {
  const found = config.services.find((s) => s.service === ref.service && s.environment === ref.environment);
  return found?.approvals.fourEyes ?? true;
}
