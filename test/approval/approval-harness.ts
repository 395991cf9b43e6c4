/**
 * A release waiting for approval in Slack, for HTTP-level tests: the local
 * runtime (real ASL, real steps, DynamoDB Local) with the Slack notifier
 * posting to the local Slack Web API stand-in, and the approval endpoint on a
 * loopback server. Clicks are signed the way Slack signs them.
 */
import { afterEach } from 'vitest';
import type { ApprovalEndpointOptions } from '../../functions/approval/endpoint.js';
import type { PlanInput } from '../../functions/domain/plan.js';
import { ACTION_ABORT, ACTION_APPROVE, ACTION_OPEN_PAGE, ACTION_PROMOTE_NOW, ACTION_REJECT } from '../../functions/approval/message.js';
import { slackSignature } from '../../functions/approval/slack-signature.js';
import type { Approval } from '../../functions/domain/approval.js';
import type { Release } from '../../functions/domain/release.js';
import type { Callbacks } from '../../functions/ports.js';
import type { LocalExecution } from '../../local/engine/index.js';
import { startLocalSlackApprovals, type LocalApprovalServer, type LocalSlackApprovals } from '../../local/approval-server.js';
import type { LocalRuntime, LocalRuntimeOptions } from '../../local/runtime.js';
import { blockActionsBody, type StubMessage } from '../../local/slack-stub.js';
import { CHECKOUT, newRuntime, releaseInput, until } from '../flow/flow-fixture.js';

export const ALICE = 'U01ALICE';
export const BOB = 'U02BOB'; // approver through the release-managers user group
export const DANA = 'U03DANA'; // approver, and the author of the release
export const MALLORY = 'U09MALLORY'; // in the workspace, not an approver
export const RELEASE_MANAGERS = 'S0RELEASEMGR';
export const TEAM = 'T0LOCAL';

/** What the harness's release is started with: Dana, verified as her Slack user id. */
export const DANAS_TRIGGER = { source: 'test', commit: 'abc1234', buildId: 'build-v2', author: 'dana', startedBy: { kind: 'slack-user', id: DANA } };

export const APPROVAL_PLAN: PlanInput = {
  steps: [
    { type: 'traffic', weight: 10, bakeSeconds: 60 },
    { type: 'approval', approvers: { users: [ALICE, DANA], groups: [RELEASE_MANAGERS] }, timeoutSeconds: 3600 },
    { type: 'traffic', weight: 100, bakeSeconds: 60 },
  ],
};

export interface ApprovalHarness {
  readonly runtime: LocalRuntime;
  readonly approvals: LocalSlackApprovals;
  readonly server: LocalApprovalServer;
  readonly execution: LocalExecution;
  /** The posted approval message and its approval id. */
  readonly message: StubMessage;
  readonly approvalId: string;
  /** Moves the endpoint's clock (not the ledger's or the engine's). */
  shiftClock(ms: number): void;
  /** The endpoint's clock, in Unix seconds: what a fresh Slack request carries. */
  nowSeconds(): number;
  approval(): Promise<Approval>;
  release(): Promise<Release>;
}

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

/** What a test may change: the runtime (e.g. its configuration), the endpoint's options, the sweeper's interval. */
export interface HarnessOptions {
  readonly runtime?: Partial<LocalRuntimeOptions>;
  readonly endpoint?: Partial<Omit<ApprovalEndpointOptions, 'ledger' | 'callbacks' | 'slack' | 'secrets'>>;
  readonly sweepIntervalMs?: number;
  /** The release's trigger. @default author `dana`, started by Slack user {@link DANA} */
  readonly trigger?: Record<string, unknown>;
  /** The release's plan. @default {@link APPROVAL_PLAN} */
  readonly plan?: PlanInput;
  /** Wraps the engine's callbacks the endpoint resumes the flow with (e.g. to fail SendTaskSuccess once). */
  readonly callbacks?: (engine: Callbacks) => Callbacks;
}

/** Starts a release of checkout/prod (started by Dana) and waits until its approval is posted in Slack. */
export async function releaseAwaitingApproval(options: HarnessOptions = {}): Promise<ApprovalHarness> {
  let offset = 0;
  const now = () => new Date(Date.now() + offset);
  const approvals = await startLocalSlackApprovals({
    users: [
      { id: ALICE, name: 'alice', email: 'alice@example.com' },
      { id: BOB, name: 'bob', email: 'bob@example.com' },
      { id: DANA, name: 'dana.d', realName: 'Dana Diaz', email: 'dana@example.com' },
      { id: MALLORY, name: 'mallory', email: 'mallory@example.com' },
    ],
    userGroups: { [RELEASE_MANAGERS]: [BOB] },
    endpoint: { now, slackTeamId: TEAM, ...options.endpoint },
    sweepIntervalMs: options.sweepIntervalMs ?? 0,
  });
  open.push(() => approvals.close());
  const runtime = await newRuntime({ ...options.runtime, notifier: approvals.notifier });
  const callbacks = options.callbacks?.(runtime.engine.callbacks) ?? runtime.engine.callbacks;
  const server = await approvals.serve({ ledger: runtime.ledger, callbacks, config: runtime.deps.config });
  const execution = runtime.startRelease(releaseInput('v2', { plan: options.plan ?? APPROVAL_PLAN, trigger: options.trigger ?? DANAS_TRIGGER }));
  const message = await until(() => approvals.stub.messages[0]);
  const approvalId = approvalIdOf(message);
  // The message is recorded on the approval right after it is posted.
  await until(async () => ((await runtime.ledger.getApproval(approvalId))?.slackMessage === undefined ? undefined : true));
  return {
    runtime,
    approvals,
    server,
    execution,
    message,
    approvalId,
    shiftClock(ms) {
      offset += ms;
    },
    nowSeconds: () => Math.floor(now().getTime() / 1000),
    async approval() {
      const approval = await runtime.ledger.getApproval(approvalId);
      if (approval === undefined) throw new Error('approval gone');
      return approval;
    },
    async release() {
      const { items } = await runtime.ledger.listReleases(CHECKOUT);
      const release = items[0];
      if (release === undefined) throw new Error('no release');
      return release;
    },
  };
}

/** The approval id the message's Approve button carries. */
export function approvalIdOf(message: StubMessage): string {
  const actions = message.blocks.find((b): b is { type: string; elements: { action_id: string; value: string }[] } => (b as { type?: string }).type === 'actions');
  const value = actions?.elements.find((e) => e.action_id === ACTION_APPROVE)?.value;
  if (value === undefined) throw new Error('no Approve button in the message');
  return value;
}

export function hasButtons(message: { blocks: unknown[] }): boolean {
  return message.blocks.some((b) => (b as { type?: string }).type === 'actions');
}

export type ClickAction = 'approve' | 'reject' | 'promote' | 'abort' | 'open';

const ACTION_IDS: Readonly<Record<ClickAction, string>> = {
  approve: ACTION_APPROVE,
  reject: ACTION_REJECT,
  promote: ACTION_PROMOTE_NOW,
  abort: ACTION_ABORT,
  open: ACTION_OPEN_PAGE,
};

/** The body Slack posts for a button click (form-encoded `payload`). */
export function clickBody(h: ApprovalHarness, action: ClickAction, userId: string, approvalId = h.approvalId): string {
  return blockActionsBody(
    {
      teamId: TEAM,
      userId,
      channel: h.message.channel,
      messageTs: h.message.ts,
      messageText: h.message.text,
      actionId: ACTION_IDS[action],
      value: approvalId,
    },
    h.nowSeconds(),
  );
}

/** Posts a click to the endpoint, signed like Slack unless told otherwise. */
export async function click(
  h: ApprovalHarness,
  action: ClickAction,
  userId: string,
  options: { timestamp?: number; signature?: string; body?: string; signedBody?: string; signingSecret?: string } = {},
): Promise<{ status: number; outcome: string | null; text: string }> {
  const body = options.body ?? clickBody(h, action, userId);
  const timestamp = String(options.timestamp ?? h.nowSeconds());
  const signature =
    options.signature ??
    slackSignature({ signingSecret: options.signingSecret ?? h.approvals.secrets.signingSecret, timestamp, rawBody: options.signedBody ?? body });
  const response = await fetch(h.server.url('/slack/interactivity'), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': signature,
      'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    },
    body,
  });
  return { status: response.status, outcome: response.headers.get('x-rollgate-outcome'), text: await response.text() };
}

/** What must hold after a refused attempt: no decision, the release still waiting on this approval. */
export async function expectStillWaiting(h: ApprovalHarness): Promise<void> {
  const approval = await h.approval();
  if (approval.decision !== undefined) throw new Error(`approval was decided: ${JSON.stringify(approval.decision)}`);
  const release = await h.release();
  if (release.status !== 'AWAITING_APPROVAL' || release.waiting?.approvalId !== h.approvalId) {
    throw new Error(`release is ${release.status}, waiting on ${String(release.waiting?.approvalId)}`);
  }
  const status = h.execution.describe().status;
  if (status !== 'RUNNING') throw new Error(`execution is ${status}`);
}
