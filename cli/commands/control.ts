/** The commands that act on releases: promote, abort, rollback, approve, reject, lock, whoami. */
import { time, fields } from '../format/text.js';
import { done, required, type Context, type Outcome, type Target } from './context.js';
import { activeRelease, isConflict, startedRelease } from './releases.js';
import { ApprovalAnswer, LockAnswer, PageAnswer, read, ReleaseAnswer, StartAnswer, StatusAnswer, WhoAmIAnswer } from './responses.js';

const params = (t: Target) => ({ service: t.service, environment: t.environment });

/**
 * `rollgate promote`: skips the rest of the active release's current bake;
 * with `--full`, every remaining plan step too (the pending approval
 * approved), under the approval policy of each approval it passes.
 */
export async function promote(ctx: Context, o: Target & { readonly full?: boolean; readonly reason?: string }): Promise<Outcome> {
  const active = await activeRelease(ctx, o, 'promote');
  const answer = await (await ctx.client()).call('promoteRelease', {
    params: { ...params(o), releaseId: active.releaseId },
    body: { ...(o.full === true ? { full: true } : {}), ...(o.reason === undefined ? {} : { reason: o.reason }) },
  });
  const r = read('promoteRelease', ReleaseAnswer, answer).release;
  const how = o.full === true ? 'promoted release fully (remaining steps skipped)' : 'promoted release';
  return done(answer, `${how} ${r.releaseId} of ${r.service}/${r.environment} (${r.version}): ${r.status}`);
}

/** `rollgate abort`: aborts the active release (traffic back to stable, new fleet removed). */
export async function abort(ctx: Context, o: Target & { readonly reason?: string }): Promise<Outcome> {
  const reason = required(o.reason, '--reason', 'say why the release is aborted (it goes in the audit log)');
  const active = await activeRelease(ctx, o, 'abort');
  const answer = await (await ctx.client()).call('abortRelease', { params: { ...params(o), releaseId: active.releaseId }, body: { reason } });
  const r = read('abortRelease', ReleaseAnswer, answer).release;
  return done(answer, `aborting release ${r.releaseId} of ${r.service}/${r.environment} (${r.version}): ${r.status}`);
}

/**
 * `rollgate rollback`: with `--to`, releases that version with the
 * expedited rollback plan. Without it: while a release is active, or the
 * last one succeeded and its old fleet may still be warm (the termination
 * wait), flips traffic back to that fleet (rollbackRelease); when the API
 * answers 409 (the old fleet is gone), releases the previous version instead
 * (rollbackToVersion without `to`: the API picks the version before).
 */
export async function rollback(ctx: Context, o: Target & { readonly to?: string; readonly reason?: string }): Promise<Outcome> {
  const reason = required(o.reason, '--reason', 'say why you roll back (it goes in the audit log)');
  const client = await ctx.client();
  const toVersion = async (): Promise<Outcome> => {
    const answer = await client.call('rollbackToVersion', { params: params(o), body: { ...(o.to === undefined ? {} : { to: o.to }), reason } });
    const r = await startedRelease(ctx, o, 'rollbackToVersion', answer);
    const { from, to } = read('rollbackToVersion', StartAnswer, answer);
    return done(
      { ...(answer as object), release: r ?? null },
      `rolling back ${o.service}/${o.environment} from ${from ?? '?'} to ${to ?? '?'}: ${r === undefined ? 'its release is not in the ledger yet' : `release ${r.releaseId} (${r.status})`}\nfollow it: rollgate watch ${o.service} --env ${o.environment}`,
    );
  };
  if (o.to !== undefined) return toVersion();
  const status = read('getStatus', StatusAnswer, await client.call('getStatus', { params: params(o) }));
  let warm = status.activeRelease;
  if (warm === undefined) {
    const last = read('listReleases', PageAnswer, await client.call('listReleases', { params: params(o), query: { limit: 1 } })).items[0];
    if (last?.status === 'SUCCEEDED') warm = last;
  }
  if (warm === undefined) return toVersion();
  try {
    const answer = await client.call('rollbackRelease', { params: { ...params(o), releaseId: warm.releaseId }, body: { reason } });
    const r = read('rollbackRelease', ReleaseAnswer, answer).release;
    return done(answer, `traffic back on the previous fleet of ${r.service}/${r.environment}: release ${r.releaseId} (${r.version}) is ${r.status}`);
  } catch (error) {
    if (isConflict(error) && status.activeRelease === undefined) return toVersion();
    throw error;
  }
}

/** `rollgate approve` / `rollgate reject`: decides an approval, under its policy and four-eyes. */
export async function decide(ctx: Context, outcome: 'approve' | 'reject', o: { readonly approvalId: string; readonly comment?: string }): Promise<Outcome> {
  const answer = await (await ctx.client()).call(outcome, { params: { approvalId: o.approvalId }, body: o.comment === undefined ? {} : { comment: o.comment } });
  const a = read(outcome, ApprovalAnswer, answer).approval;
  const what = a.decision === undefined ? `${outcome === 'approve' ? 'approval' : 'rejection'} recorded, more approvers needed` : `${a.decision.outcome.toLowerCase()} by ${a.decision.by}`;
  const release = a.releaseId === undefined ? '' : ` (release ${a.releaseId}${a.service === undefined ? '' : ` of ${a.service}/${a.environment ?? ''}`})`;
  return done(answer, `approval ${a.approvalId}${release}: ${what}`);
}

/** `rollgate lock`: who holds the lock; with `--take-over`, frees a lock whose holder is dead. */
export async function lock(ctx: Context, o: Target & { readonly takeOver?: boolean; readonly reason?: string }): Promise<Outcome> {
  if (o.takeOver === true) {
    const reason = required(o.reason, '--reason', 'say why you take the lock over (it goes in the audit log)');
    const client = await ctx.client();
    const answer = await client.call('takeOverLock', { params: params(o), body: { reason } });
    read('takeOverLock', LockAnswer, answer);
    return done(answer, `lock of ${o.service}/${o.environment} freed`);
  }
  const answer = await (await ctx.client()).call('getLock', { params: params(o) });
  const l = read('getLock', LockAnswer, answer).lock;
  if (l === undefined) return done(answer, `${o.service}/${o.environment}: lock free`);
  return done(
    answer,
    `${o.service}/${o.environment}: locked\n${fields([
      ['release', l.releaseId],
      ['since', time(l.acquiredAt)],
      ['lease until', time(l.leaseExpiresAt)],
    ])}`,
  );
}

/** `rollgate whoami`: the identity the API verified for the caller. */
export async function whoami(ctx: Context): Promise<Outcome> {
  const client = await ctx.client();
  const answer = await client.call('whoAmI');
  const me = read('whoAmI', WhoAmIAnswer, answer);
  return done(answer, `${me.principalArn}\nendpoint: ${client.endpoint}`);
}
