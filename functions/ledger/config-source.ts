/**
 * How a function reads the service configuration: from the ledger items
 * (config-store.ts), with a short cache. Within `ttlMs` of the last check it
 * answers from memory; after it, one GetItem of `GLOBAL` tells whether the
 * revision moved, and only then is everything read again. A function thus
 * sees a publish within `ttlMs`, and pays one small read per `ttlMs` while
 * nothing changes, whatever the number of services.
 *
 * What a release runs on is not this: preflight freezes its service's
 * configuration in the release (functions/steps/step.ts `serviceOf`), so a
 * change mid-release cannot mix old and new.
 */
import type { RollgateConfig } from '../config.js';
import { ConfigNotReadyError } from '../errors.js';
import type { ConfigHead, ConfigSnapshot } from './config-store.js';

/** What the source reads through ({@link ConfigStore}'s read side). */
export interface ConfigReader {
  head(): Promise<ConfigHead | undefined>;
  load(): Promise<ConfigSnapshot>;
}

export interface ConfigSourceOptions {
  /** How long an answer is served from memory before the revision is checked again. @default 30 s */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The cache's default lifetime: a publish reaches every function within it. */
export const CONFIG_CACHE_TTL_MS = 30_000;

export class ConfigSource {
  private snapshot: ConfigSnapshot | undefined;
  private checkedAt = 0;
  private pending: Promise<ConfigSnapshot> | undefined;
  private readonly ttlMs: number;
  private readonly now: () => number;

  public constructor(
    private readonly reader: ConfigReader,
    options: ConfigSourceOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? CONFIG_CACHE_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** The configuration now: from memory within the TTL, else after a revision check (and a reload if it moved). */
  public get(): Promise<ConfigSnapshot> {
    if (this.snapshot !== undefined && this.now() - this.checkedAt < this.ttlMs) return Promise.resolve(this.snapshot);
    // One check at a time: concurrent callers (the local runtime runs many releases) share it.
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /**
   * The snapshot the last {@link get} answered, for what looks a service up
   * synchronously during an invocation that called `get` first.
   *
   * @throws ConfigNotReadyError nothing was read yet.
   */
  public current(): ConfigSnapshot {
    if (this.snapshot === undefined) throw new ConfigNotReadyError('read before the first load (call get() first)');
    return this.snapshot;
  }

  private async refresh(): Promise<ConfigSnapshot> {
    const checked = this.now();
    const cached = this.snapshot;
    if (cached !== undefined) {
      const head = await this.reader.head();
      // A publish in several transactions is not whole yet: keep the whole earlier revision meanwhile.
      if (head === undefined || head.revision === cached.revision || head.publishing) {
        this.checkedAt = checked;
        return cached;
      }
    }
    const loaded = await this.reader.load();
    this.snapshot = loaded;
    this.checkedAt = checked;
    return loaded;
  }
}

/**
 * A live view of `source`'s latest snapshot as a {@link RollgateConfig},
 * for collaborators built once at cold start that look a service up on each
 * call (the Slack notifier's channel, four-eyes): they keep their type and
 * see each publish, as long as the invocation called `source.get()` first.
 */
export function liveConfig(source: ConfigSource): RollgateConfig {
  return {
    get services() {
      return source.current().config.services;
    },
    get slack() {
      return source.current().config.slack;
    },
  };
}
