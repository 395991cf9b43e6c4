/**
 * What the build trigger does with a build event, as pure functions: which
 * onboarded services an ECR image push or a successful CodeBuild build
 * releases, with which version, and the execution each release runs as.
 *
 * The execution name is derived from the service, the environment and the
 * version (the image digest for a push), and the execution input from the
 * event's stable fields only, so a redelivered or repeated event asks Step
 * Functions for the same execution again, and that starts nothing new.
 * Event shapes: https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html
 * https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html#sample-build-notifications-ref
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { RollgateConfig } from '../config.js';
import type { ReleaseInput } from '../steps/preflight.js';
import { parseInput } from '../validation.js';

export const EcrImageActionSchema = z.object({
  source: z.literal('aws.ecr'),
  'detail-type': z.literal('ECR Image Action'),
  detail: z.object({
    result: z.string(),
    'action-type': z.string(),
    'repository-name': z.string(),
    'image-digest': z.string().regex(/^sha256:[a-f0-9]{64}$/, 'must be a sha256 image digest'),
    'image-tag': z.string().optional(),
  }),
});

export const CodeBuildStateChangeSchema = z.object({
  source: z.literal('aws.codebuild'),
  'detail-type': z.literal('CodeBuild Build State Change'),
  detail: z.object({
    'build-status': z.string(),
    'project-name': z.string(),
    'build-id': z.string(),
    'additional-information': z
      .object({
        initiator: z.string().optional(),
        'source-version': z.string().optional(),
        'exported-environment-variables': z.array(z.object({ name: z.string(), value: z.string() })).optional(),
      })
      .optional(),
  }),
});

const BuildEventSchema = z.discriminatedUnion('source', [EcrImageActionSchema, CodeBuildStateChangeSchema]);

/** A release the build trigger starts: the execution's name and input. */
export interface ReleaseStart {
  readonly executionName: string;
  readonly input: ReleaseInput;
}

/** Why an event starts nothing, for the log. */
export interface Skipped {
  readonly skipped: string;
}

/** Step Functions execution names: up to 80 characters; these are ASCII so CloudWatch Logs can carry them. */
const MAX_EXECUTION_NAME = 80;

/**
 * The execution name of a release of `version`: `<service>-<environment>-`
 * (shortened if need be) and 32 hex characters of SHA-256 over service,
 * environment and version. Deterministic, so the same build asks for the same
 * execution; distinct per environment, so one image can release to several.
 */
export function executionNameFor(service: string, environment: string, version: string): string {
  const hash = createHash('sha256').update(`${service}\n${environment}\n${version}`).digest('hex').slice(0, 32);
  const prefix = `${service}-${environment}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, MAX_EXECUTION_NAME - hash.length - 1);
  return `${prefix}-${hash}`;
}

/** The releases an ECR push or CodeBuild event starts, or why it starts none. */
export function releasesFor(config: RollgateConfig, raw: unknown): ReleaseStart[] | Skipped {
  const event = parseInput(BuildEventSchema, raw, 'build event');
  if (event.source === 'aws.ecr') {
    const { detail } = event;
    if (detail['action-type'] !== 'PUSH' || detail.result !== 'SUCCESS') {
      return { skipped: `ECR ${detail['action-type']} ${detail.result} of ${detail['repository-name']}` };
    }
    const services = config.services.filter((s) => s.buildTrigger?.ecrRepository === detail['repository-name']);
    if (services.length === 0) return { skipped: `${detail['repository-name']} is not an onboarded repository` };
    const version = detail['image-digest'];
    return services.map((s) => ({
      executionName: executionNameFor(s.service, s.environment, version),
      // No tag and no event id: a second push of the same digest must send the same input.
      input: { service: s.service, environment: s.environment, version, trigger: { source: 'ecr', buildId: `${detail['repository-name']}@${version}` } },
    }));
  }
  const { detail } = event;
  if (detail['build-status'] !== 'SUCCEEDED') return { skipped: `CodeBuild ${detail['project-name']} ${detail['build-status']}` };
  const services = config.services.filter((s) => s.buildTrigger?.codeBuildProject === detail['project-name']);
  if (services.length === 0) return { skipped: `${detail['project-name']} is not an onboarded CodeBuild project` };
  const info = detail['additional-information'];
  const exported = info?.['exported-environment-variables'] ?? [];
  const starts: ReleaseStart[] = [];
  const missing: string[] = [];
  for (const s of services) {
    const variable = s.buildTrigger?.versionVariable ?? 'ROLLGATE_VERSION';
    const version = exported.find((v) => v.name === variable)?.value;
    if (version === undefined || version === '') {
      missing.push(`${s.service}/${s.environment} needs the build to export ${variable}`);
      continue;
    }
    starts.push({
      executionName: executionNameFor(s.service, s.environment, version),
      input: {
        service: s.service,
        environment: s.environment,
        version,
        trigger: {
          source: 'codebuild',
          buildId: detail['build-id'],
          ...(info?.['source-version'] === undefined ? {} : { commit: info['source-version'].slice(0, 128) }),
          // The initiator is what CodeBuild says started the build (an IAM user, a role session, a
          // pipeline or webhook): the verified starter four-eyes compares, and the author shown.
          ...(info?.initiator === undefined || info.initiator === ''
            ? {}
            : { author: info.initiator.slice(0, 256), startedBy: { kind: 'codebuild-initiator' as const, id: info.initiator.slice(0, 512) } }),
        },
      },
    });
  }
  return starts.length === 0 ? { skipped: missing.join('; ') } : starts;
}
