/**
 * The {@link Ledger} port on DynamoDB: one table layer (./table-layer.ts),
 * the stores built on it, one call each. The stores are small and each owns
 * its records (./items.ts says where they live); this class only composes
 * them, so every caller keeps one `ledger` and the port stays the one contract.
 */
import type { Approval, OpenApprovalMessage } from '../domain/approval.js';
import type { Lock, Release, ReleaseRef } from '../domain/release.js';
import type { ReleaseEvent } from '../domain/release-event.js';
import type { Stable } from '../domain/stable.js';
import type { Ledger, Page } from '../ports.js';
import { ApprovalMessageStore } from './approval-message-store.js';
import { ApprovalStore } from './approval-store.js';
import { EventStore } from './event-store.js';
import type {
  AppendEventInput,
  ClaimRetirementInput,
  ClearWaitInput,
  CreateApprovalInput,
  DecideInput,
  FinishInput,
  ListOpenApprovalMessagesInput,
  ListRecentInput,
  ListReleasesInput,
  MarkApprovalExpiredInput,
  MarkPromoteFullInput,
  ProgressInput,
  RecordApprovalMessageInput,
  RecordFleetInput,
  RecordWaitInput,
  RenewLeaseInput,
  ReplaceApprovalTokenInput,
  SetStableInput,
  StartReleaseInput,
  TransitionInput,
} from './inputs.js';
import { LockStore } from './lock-store.js';
import { ReleaseProgressStore } from './release-progress-store.js';
import { ReleaseStore } from './release-store.js';
import { StableStore } from './stable-store.js';
import { LedgerTable, type LedgerTableOptions } from './table-layer.js';

/** The release ledger on its DynamoDB table. Construct once per container; it is stateless. */
export class DynamoDbLedger implements Ledger {
  private readonly locks: LockStore;
  private readonly releases: ReleaseStore;
  private readonly progress: ReleaseProgressStore;
  private readonly events: EventStore;
  private readonly stable: StableStore;
  private readonly approvals: ApprovalStore;
  private readonly messages: ApprovalMessageStore;

  public constructor(options: LedgerTableOptions) {
    const table = new LedgerTable(options);
    this.locks = new LockStore(table);
    this.releases = new ReleaseStore(table, this.locks);
    this.progress = new ReleaseProgressStore(table);
    this.events = new EventStore(table);
    this.stable = new StableStore(table);
    this.approvals = new ApprovalStore(table);
    this.messages = new ApprovalMessageStore(table, this.approvals);
  }

  // Releases
  public startRelease(input: StartReleaseInput): Promise<Release> {
    return this.releases.startRelease(input);
  }
  public transition(input: TransitionInput): Promise<Release> {
    return this.releases.transition(input);
  }
  public finishRelease(input: FinishInput): Promise<Release> {
    return this.releases.finishRelease(input);
  }
  public getRelease(ref: ReleaseRef): Promise<Release | undefined> {
    return this.releases.getRelease(ref);
  }
  public getActiveRelease(ref: { service: string; environment: string }): Promise<Release | undefined> {
    return this.releases.getActiveRelease(ref);
  }
  public listReleases(input: ListReleasesInput): Promise<Page<Release>> {
    return this.releases.listReleases(input);
  }
  public listRecentReleases(input?: ListRecentInput): Promise<Page<Release>> {
    return this.releases.listRecentReleases(input);
  }

  // ReleaseLocks
  public getLock(ref: { service: string; environment: string }): Promise<Lock | undefined> {
    return this.locks.getLock(ref);
  }
  public renewLease(input: RenewLeaseInput): Promise<Lock> {
    return this.locks.renewLease(input);
  }
  public releaseLock(ref: ReleaseRef): Promise<void> {
    return this.locks.releaseLock(ref);
  }

  // ReleaseProgress
  public recordProgress(input: ProgressInput): Promise<Release> {
    return this.progress.recordProgress(input);
  }
  public claimRetirement(input: ClaimRetirementInput): Promise<Release> {
    return this.progress.claimRetirement(input);
  }
  public markPromoteFull(input: MarkPromoteFullInput): Promise<Release> {
    return this.progress.markPromoteFull(input);
  }
  public recordFleet(input: RecordFleetInput): Promise<Release> {
    return this.progress.recordFleet(input);
  }
  public recordWait(input: RecordWaitInput): Promise<Release> {
    return this.progress.recordWait(input);
  }
  public clearWait(input: ClearWaitInput): Promise<Release> {
    return this.progress.clearWait(input);
  }

  // AuditLog
  public appendEvent(input: AppendEventInput): Promise<{ stored: boolean; event: ReleaseEvent }> {
    return this.events.appendEvent(input);
  }
  public listEvents(input: { releaseId: string }): Promise<ReleaseEvent[]> {
    return this.events.listEvents(input);
  }

  // StableVersions
  public getStable(ref: { service: string; environment: string }): Promise<Stable | undefined> {
    return this.stable.getStable(ref);
  }
  public setStable(input: SetStableInput): Promise<Stable> {
    return this.stable.setStable(input);
  }
  public revertStable(ref: ReleaseRef): Promise<Stable | undefined> {
    return this.stable.revertStable(ref);
  }

  // Approvals
  public createApproval(input: CreateApprovalInput): Promise<Approval> {
    return this.approvals.createApproval(input);
  }
  public getApproval(approvalId: string): Promise<Approval | undefined> {
    return this.approvals.getApproval(approvalId);
  }
  public decideApproval(input: DecideInput): Promise<Approval> {
    return this.approvals.decideApproval(input);
  }
  public markApprovalDelivered(approvalId: string): Promise<Approval> {
    return this.approvals.markApprovalDelivered(approvalId);
  }
  public replaceApprovalToken(input: ReplaceApprovalTokenInput): Promise<Approval | undefined> {
    return this.approvals.replaceApprovalToken(input);
  }
  public markApprovalExpired(input: MarkApprovalExpiredInput): Promise<Approval> {
    return this.approvals.markApprovalExpired(input);
  }

  // ApprovalMessages
  public recordApprovalMessage(input: RecordApprovalMessageInput): Promise<Approval> {
    return this.messages.recordApprovalMessage(input);
  }
  public listOpenApprovalMessages(input?: ListOpenApprovalMessagesInput): Promise<OpenApprovalMessage[]> {
    return this.messages.listOpenApprovalMessages(input);
  }
  public closeApprovalMessage(approval: { approvalId: string; expiresAt: string }): Promise<void> {
    return this.messages.closeApprovalMessage(approval);
  }
}
