import { describe, expect, it } from 'vitest';
import { assertReleasableVersion, printable, versionProblem, type FleetKind } from '../../functions/domain/version.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('release versions by fleet kind', () => {
  it.each<[FleetKind, string]>([
    ['ecs', 'v1'],
    ['ecs', '1.5.0'],
    ['ecs', 'release_2024-12-01.3'],
    ['ecs', '_internal'],
    ['ecs', 'a'.repeat(128)],
    ['ecs', DIGEST],
    ['asg', '1'],
    ['asg', '42'],
    ['asg', '9999999999'],
  ])('accepts %s version %j', (kind, version) => {
    expect(versionProblem(kind, version)).toBeUndefined();
    expect(() => { assertReleasableVersion(kind, version, 'release input'); }).not.toThrow();
  });

  it.each<[FleetKind, string, string]>([
    ['ecs', '', 'empty'],
    ['ecs', 'v1\n', 'a trailing newline'],
    ['ecs', 'v1\nv2', 'an embedded newline'],
    ['ecs', 'v\t1', 'a tab'],
    ['ecs', '   ', 'only spaces'],
    ['ecs', ' v1', 'a leading space'],
    ['ecs', 'v1\u202e', 'a right-to-left override (U+202E)'],
    ['ecs', '\u202av1', 'a left-to-right embedding (U+202A)'],
    ['ecs', 'v1\u2066', 'a left-to-right isolate (U+2066)'],
    ['ecs', 'v1\u2069', 'a pop directional isolate (U+2069)'],
    ['ecs', 'v1\u0085', 'NEL (U+0085)'],
    ['ecs', 'v1\u200b', 'a zero-width space'],
    ['ecs', 'a'.repeat(129), '129 characters'],
    ['ecs', 'a'.repeat(256), '256 characters'],
    ['ecs', '../../latest', 'a path'],
    ['ecs', '.hidden', 'a leading dot'],
    ['ecs', '-v1', 'a leading dash'],
    ['ecs', 'repo:v1', 'a repository and tag'],
    ['ecs', '$Latest', '$Latest'],
    ['ecs', `sha256:${'0123456789ABCDEF'.repeat(4)}`, 'an uppercase digest'],
    ['ecs', `sha256:${'0'.repeat(63)}`, 'a short digest'],
    ['ecs', `sha512:${'0'.repeat(128)}`, 'a digest ECR does not report'],
    ['asg', '$Latest', '$Latest'],
    ['asg', '$Default', '$Default'],
    ['asg', '0', 'version 0'],
    ['asg', '07', 'a leading zero'],
    ['asg', '-1', 'a negative number'],
    ['asg', '1.5', 'a fraction'],
    ['asg', '12345678901', 'eleven digits'],
    ['asg', 'ami-0123456789abcdef0', 'an AMI id'],
    ['asg', 'v1', 'an image tag'],
    ['asg', '1\n', 'a trailing newline'],
    ['asg', '\u202e1', 'a bidi override'],
  ])('refuses %s version %j (%s), naming the field', (kind, version) => {
    expect(versionProblem(kind, version)).toMatch(kind === 'ecs' ? /^must be an image tag .* or an image digest/ : /^must be a launch-template version number/);
    let thrown: unknown;
    try {
      assertReleasableVersion(kind, version, 'release input');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'InvalidInputError', operation: 'release input', field: 'version' });
    expect((thrown as Error).message).toMatch(/^release input: version: must be/);
  });

  it('names a different field when asked (the onboard flag)', () => {
    expect(() => { assertReleasableVersion('asg', '$Latest', 'npm run onboard', '--version'); }).toThrow(/^npm run onboard: --version: must be a launch-template version number/);
  });
});

describe('printing a hostile value', () => {
  it.each<[string, string]>([
    ['v1', '"v1"'],
    ['v1\n', '"v1\\u{a}"'],
    ['a\u202eb', '"a\\u{202e}b"'],
    ['x\u0085', '"x\\u{85}"'],
    ['say "hi"', '"say \\u{22}hi\\u{22}"'],
    ['😀', '"\\u{1f600}"'],
  ])('escapes %j as %s', (value, shown) => {
    expect(printable(value)).toBe(shown);
  });

  it('cuts a long value and says how long it was', () => {
    expect(printable('a'.repeat(300))).toBe(`"${'a'.repeat(64)}" (300 characters, first 64 shown)`);
  });
});
