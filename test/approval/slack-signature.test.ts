import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackSignature } from '../../functions/approval/slack-signature.js';

// Slack's published example request ("Verifying requests from Slack"): a slash command.
const SLACK_EXAMPLE = {
  signingSecret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  rawBody:
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
  nowSeconds: 1531420618,
};

describe('verifySlackSignature', () => {
  it("accepts Slack's published example request", () => {
    expect(verifySlackSignature(SLACK_EXAMPLE)).toBe(true);
    expect(slackSignature(SLACK_EXAMPLE)).toBe(SLACK_EXAMPLE.signature);
  });

  it('accepts the raw body as bytes exactly as received', () => {
    expect(verifySlackSignature({ ...SLACK_EXAMPLE, rawBody: Buffer.from(SLACK_EXAMPLE.rawBody, 'utf8') })).toBe(true);
  });

  it('accepts timestamps up to five minutes either side of now', () => {
    expect(verifySlackSignature({ ...SLACK_EXAMPLE, nowSeconds: 1531420618 + 300 })).toBe(true);
    expect(verifySlackSignature({ ...SLACK_EXAMPLE, nowSeconds: 1531420618 - 300 })).toBe(true);
  });

  it.each([
    ['a stale timestamp (5 min 1 s old)', { nowSeconds: 1531420618 + 301 }],
    ['a future timestamp (5 min 1 s ahead)', { nowSeconds: 1531420618 - 301 }],
    ['a tampered body', { rawBody: SLACK_EXAMPLE.rawBody.replace('text=', 'text=deploy') }],
    ['another signing secret', { signingSecret: '8f742231b10e8888abcd99yyyzzz85a6' }],
    ['a forged signature', { signature: `v0=${'0'.repeat(64)}` }],
    ['a signature of another timestamp', { timestamp: '1531420619', nowSeconds: 1531420619 }],
    ['an upper-case signature', { signature: SLACK_EXAMPLE.signature.toUpperCase() }],
    ['a signature without v0=', { signature: SLACK_EXAMPLE.signature.slice(3) }],
    ['a v1 signature', { signature: SLACK_EXAMPLE.signature.replace('v0=', 'v1=') }],
    ['a truncated signature', { signature: SLACK_EXAMPLE.signature.slice(0, -1) }],
    ['no signature', { signature: undefined }],
    ['no timestamp', { timestamp: undefined }],
    ['a non-numeric timestamp', { timestamp: '1531420618.5' }],
    ['an empty signing secret', { signingSecret: '' }],
    ['a clock that is not a number', { nowSeconds: Number.NaN }],
  ])('refuses %s', (_name, change) => {
    expect(verifySlackSignature({ ...SLACK_EXAMPLE, ...change })).toBe(false);
  });
});
