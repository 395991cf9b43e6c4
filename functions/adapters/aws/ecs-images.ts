/**
 * ECS task definitions carrying a release's image. ECS cannot override a
 * container's image at RunTask or CreateTaskSet (ContainerOverride has no
 * `image`), so a release runs on a new revision of the task definition that
 * differs only in that image.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerOverride.html
 */
import {
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { IMAGE_DIGEST as DIGEST, IMAGE_TAG as TAG } from '../../domain/version.js';
import { FleetConfigError, InvalidInputError } from '../../errors.js';
import { callAws } from './errors.js';

/**
 * The image reference for a release: `repo:tag` for a tag, `repo@sha256:…`
 * for a digest. https://docs.docker.com/reference/cli/docker/image/tag/
 */
export function imageFor(repository: string, version: string, operation: string): string {
  if (DIGEST.test(version)) return `${repository}@${version}`;
  if (TAG.test(version)) return `${repository}:${version}`;
  throw new InvalidInputError(
    operation,
    'version',
    'must be an image tag (up to 128 of letters, digits, "_", ".", "-") or a digest "sha256:<64 hex>"',
  );
}

/** Describes a task definition (family, family:revision or ARN). */
export async function describeTaskDefinition(ecs: ECSClient, taskDefinition: string): Promise<TaskDefinition> {
  const out = await callAws('ecs', 'DescribeTaskDefinition', () =>
    ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })),
  );
  if (out.taskDefinition === undefined) {
    throw new FleetConfigError(`task definition ${taskDefinition} was described without a body`);
  }
  return out.taskDefinition;
}

/**
 * The ARN of a revision of `base` whose `containerName` runs `image`: `base`
 * itself when it already does, else a newly registered revision copying
 * every other field. Tags are not copied: rollgate holds ecs:TagResource only
 * as part of CreateTaskSet and RunTask (ECS_FLEET_IAM, ECS_MIGRATOR_IAM), and
 * what it runs is tagged there.
 */
export async function revisionWithImage(
  ecs: ECSClient,
  base: TaskDefinition,
  containerName: string,
  image: string,
): Promise<string> {
  const containers = base.containerDefinitions ?? [];
  const container = containers.find((c) => c.name === containerName);
  if (container === undefined) {
    throw new FleetConfigError(
      `task definition ${base.taskDefinitionArn ?? base.family ?? '?'} has no container named ${containerName}`,
    );
  }
  if (container.image === image && base.taskDefinitionArn !== undefined) return base.taskDefinitionArn;
  const out = await callAws('ecs', 'RegisterTaskDefinition', () =>
    ecs.send(
      new RegisterTaskDefinitionCommand({
        family: base.family,
        taskRoleArn: base.taskRoleArn,
        executionRoleArn: base.executionRoleArn,
        networkMode: base.networkMode,
        containerDefinitions: containers.map((c) => (c.name === containerName ? { ...c, image } : c)),
        volumes: base.volumes,
        placementConstraints: base.placementConstraints,
        requiresCompatibilities: base.requiresCompatibilities,
        cpu: base.cpu,
        memory: base.memory,
        pidMode: base.pidMode,
        ipcMode: base.ipcMode,
        proxyConfiguration: base.proxyConfiguration,
        ephemeralStorage: base.ephemeralStorage,
        runtimePlatform: base.runtimePlatform,
        enableFaultInjection: base.enableFaultInjection,
      }),
    ),
  );
  const arn = out.taskDefinition?.taskDefinitionArn;
  if (arn === undefined) throw new FleetConfigError(`registering a revision of ${base.family ?? '?'} returned no ARN`);
  return arn;
}
