import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/config.js';
import { InvalidInputError } from '../../functions/errors.js';
import { executionNameFor, releasesFor } from '../../functions/handlers/build-events.js';
import { SAMPLE_CONFIG } from '../../local/sample-config.js';
import { codeBuildStateChange, ecrImagePush } from './aws-events.js';

const config = parseConfig(SAMPLE_CONFIG);
const DIGEST = `sha256:${'ab12'.repeat(16)}`;

function push(repository: string, digest = DIGEST) {
  const event = ecrImagePush();
  event.detail['repository-name'] = repository;
  event.detail['image-digest'] = digest;
  return event;
}

function build(project: string, exported: { name: string; value: string }[]) {
  const event = codeBuildStateChange();
  event.detail['project-name'] = project;
  (event.detail['additional-information'] as Record<string, unknown>)['exported-environment-variables'] = exported;
  return event;
}

describe('build trigger: which releases a build event starts', () => {
  it('releases the pushed digest to every service onboarded with that repository', () => {
    expect(releasesFor(config, push('checkout'))).toEqual([
      {
        executionName: executionNameFor('checkout', 'prod', DIGEST),
        input: { service: 'checkout', environment: 'prod', version: DIGEST, trigger: { source: 'ecr', buildId: `checkout@${DIGEST}` } },
      },
    ]);
  });

  it('gives the same push, retagged or redelivered, the same execution name and input', () => {
    const again = push('checkout');
    again.id = 'redelivered';
    again.detail['image-tag'] = 'v2';
    expect(releasesFor(config, again)).toEqual(releasesFor(config, push('checkout')));
  });

  it("skips AWS's documented push as published (not an onboarded repository) and pushes that failed", () => {
    const documented = ecrImagePush();
    documented.detail['image-digest'] = DIGEST;
    expect(releasesFor(config, documented)).toEqual({ skipped: 'my-repository-name is not an onboarded repository' });
    const failed = push('checkout');
    failed.detail.result = 'FAILURE';
    expect(releasesFor(config, failed)).toEqual({ skipped: 'ECR PUSH FAILURE of checkout' });
  });

  it('refuses a push whose digest is not a full sha256 digest, naming the field', () => {
    expect(() => releasesFor(config, push('checkout', 'sha256:7f5b'))).toThrow(InvalidInputError);
    expect(() => releasesFor(config, push('checkout', 'sha256:7f5b'))).toThrow(/detail\.image-digest/);
  });

  it('releases the version a successful build of an onboarded project exports, with its commit and initiator', () => {
    expect(releasesFor(config, build('search-ami-build', [{ name: 'ROLLGATE_VERSION', value: '42' }]))).toEqual([
      {
        executionName: executionNameFor('search', 'prod', '42'),
        input: {
          service: 'search',
          environment: 'prod',
          version: '42',
          trigger: {
            source: 'codebuild',
            buildId: 'arn:aws:codebuild:us-west-2:123456789012:build/my-sample-project:8745a7a9-c340-456a-9166-edf953571bEX',
            commit: 'my-source-version',
            author: 'MyCodeBuildDemoUser',
            // The verified starter four-eyes compares (an IAM user here).
            startedBy: { kind: 'codebuild-initiator', id: 'MyCodeBuildDemoUser' },
          },
        },
      },
    ]);
  });

  it('says which variable a build must export when it exports none', () => {
    expect(releasesFor(config, build('search-ami-build', []))).toEqual({ skipped: 'search/prod needs the build to export ROLLGATE_VERSION' });
  });

  it("skips AWS's documented build event as published and builds that did not succeed", () => {
    expect(releasesFor(config, codeBuildStateChange())).toEqual({ skipped: 'my-sample-project is not an onboarded CodeBuild project' });
    const failed = build('search-ami-build', [{ name: 'ROLLGATE_VERSION', value: '42' }]);
    failed.detail['build-status'] = 'FAILED';
    expect(releasesFor(config, failed)).toEqual({ skipped: 'CodeBuild search-ami-build FAILED' });
  });

  it('names executions deterministically, per environment, within 80 characters of [A-Za-z0-9_-]', () => {
    expect(executionNameFor('checkout', 'prod', DIGEST)).toBe(executionNameFor('checkout', 'prod', DIGEST));
    expect(executionNameFor('checkout', 'prod', DIGEST)).not.toBe(executionNameFor('checkout', 'staging', DIGEST));
    const long = executionNameFor('s'.repeat(63), 'e.nv'.repeat(15), DIGEST);
    expect(long.length).toBeLessThanOrEqual(80);
    expect(long).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
