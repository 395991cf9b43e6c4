import { describe, expect, it } from 'vitest';
import { comparableName, isStarter, normalizeName, starterOf, type StartedBy } from '../../functions/domain/identity.js';

describe('normalizeName', () => {
  it.each([
    ['Dana', 'dana'],
    ['  da\u200Bna\u200D ', 'dana'],
    ['\u202Edana\u202C', 'dana'],
    ['\u2066dana\u2069', 'dana'],
    ['\uFEFFdana', 'dana'],
    ['\uFF24\uFF41\uFF4E\uFF41', 'dana'], // full-width, folded by NFKC
    ['d\u0430na', 'd\u0430na'], // Cyrillic а stays Cyrillic: it never equals "dana"
  ])('%j → %j', (raw, normalized) => {
    expect(normalizeName(raw)).toBe(normalized);
  });
});

describe('comparableName', () => {
  it.each([
    ['dana', 'dana'],
    ['Dana@Example.com', 'dana@example.com'],
    ['\uFF44\uFF41\uFF4E\uFF41', 'dana'],
    ['da\u200Bna', undefined],
    ['\u202Eanad', undefined],
    ['d\u0430na', undefined],
    ['dana smith', undefined],
    ['', undefined],
  ])('%j → %j', (raw, expected) => {
    expect(comparableName(raw)).toBe(expected);
  });
});

describe('starterOf', () => {
  it.each<[StartedBy | undefined, ReturnType<typeof starterOf>]>([
    [undefined, undefined],
    [{ kind: 'slack-user', id: 'U03DANA' }, { kind: 'slack-user', id: 'U03DANA' }],
    [{ kind: 'slack-user', id: 'dana' }, undefined],
    [{ kind: 'iam-principal', id: 'arn:aws:iam::123456789012:user/team/dana' }, { kind: 'name', name: 'dana' }],
    [{ kind: 'iam-principal', id: 'arn:aws:sts::123456789012:assumed-role/Deployer/Dana@Example.com' }, { kind: 'name', name: 'dana@example.com' }],
    [{ kind: 'iam-principal', id: 'arn:aws-us-gov:sts::123456789012:federated-user/dana' }, { kind: 'name', name: 'dana' }],
    [{ kind: 'iam-principal', id: 'arn:aws:iam::123456789012:role/Deployer' }, undefined],
    [{ kind: 'iam-principal', id: 'arn:aws:iam::123456789012:root' }, undefined],
    [{ kind: 'iam-principal', id: 'dana' }, undefined],
    [{ kind: 'codebuild-initiator', id: 'dana' }, { kind: 'name', name: 'dana' }],
    [{ kind: 'codebuild-initiator', id: 'Deployer/dana' }, { kind: 'name', name: 'dana' }],
    [{ kind: 'codebuild-initiator', id: 'codepipeline/checkout' }, undefined],
    [{ kind: 'codebuild-initiator', id: 'GitHub-Hookshot/abc123' }, undefined],
    [{ kind: 'codebuild-initiator', id: 'CodeBuild-Jenkins-Plugin' }, undefined],
    [{ kind: 'codebuild-initiator', id: 'd\u0430na' }, undefined],
  ])('%j → %j', (startedBy, expected) => {
    expect(starterOf(startedBy)).toEqual(expected);
  });
});

describe('isStarter', () => {
  const dana = ['U03DANA', 'dana.d', 'Dana Diaz', 'dana@example.com'];
  it.each([
    [{ kind: 'slack-user', id: 'U03DANA' } as const, 'U03DANA', true],
    [{ kind: 'slack-user', id: 'U03DANA' } as const, 'U01ALICE', false],
    [{ kind: 'name', name: 'dana' } as const, 'U03DANA', true], // the local part of her email
    [{ kind: 'name', name: 'dana@example.com' } as const, 'U03DANA', true],
    [{ kind: 'name', name: 'dana.d' } as const, 'U03DANA', true],
    [{ kind: 'name', name: 'alice' } as const, 'U03DANA', false],
  ])('%j is %s: %s', (starter, userId, expected) => {
    expect(isStarter(starter, userId, dana)).toBe(expected);
  });

  it('matches a Slack profile name whatever invisibles or widths it carries', () => {
    expect(isStarter({ kind: 'name', name: 'dana' }, 'U03DANA', ['\u200B\uFF44ana\u202C'])).toBe(true);
  });
});
