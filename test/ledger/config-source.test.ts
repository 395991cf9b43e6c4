import { describe, expect, it } from 'vitest';
import type { ConfigHead, ConfigSnapshot } from '../../functions/ledger/config-store.js';
import { ConfigStore } from '../../functions/ledger/config-store.js';
import { ConfigSource, liveConfig, type ConfigReader } from '../../functions/ledger/config-source.js';
import { configOf, numberedService } from './config-fixture.js';
import { documentClient, newLedger } from './ledger-fixture.js';

/** A reader that counts its reads and answers what the test stored. */
class CountingReader implements ConfigReader {
  public heads = 0;
  public loads = 0;
  public constructor(
    public snapshot: ConfigSnapshot,
    public publishing = false,
  ) {}

  public head(): Promise<ConfigHead> {
    this.heads++;
    return Promise.resolve({ revision: this.snapshot.revision, publishing: this.publishing });
  }

  public load(): Promise<ConfigSnapshot> {
    this.loads++;
    return Promise.resolve(this.snapshot);
  }
}

function setUp(ttlMs = 30_000) {
  let t = 1_000_000;
  const reader = new CountingReader({ revision: 1, config: configOf(1) });
  const source = new ConfigSource(reader, { ttlMs, now: () => t });
  return { reader, source, advance: (ms: number) => (t += ms) };
}

describe('ConfigSource', () => {
  it('loads once, then answers from memory within the TTL without reading', async () => {
    const { reader, source, advance } = setUp();
    expect(await source.get()).toEqual({ revision: 1, config: configOf(1) });
    advance(29_999);
    await source.get();
    expect({ heads: reader.heads, loads: reader.loads }).toEqual({ heads: 0, loads: 1 });
  });

  it('after the TTL checks the revision and, unchanged, does not reload', async () => {
    const { reader, source, advance } = setUp();
    await source.get();
    advance(30_000);
    expect((await source.get()).revision).toBe(1);
    expect({ heads: reader.heads, loads: reader.loads }).toEqual({ heads: 1, loads: 1 });
    // The check starts a new TTL.
    advance(10_000);
    await source.get();
    expect(reader.heads).toBe(1);
  });

  it('after the TTL reloads when the revision moved', async () => {
    const { reader, source, advance } = setUp();
    await source.get();
    reader.snapshot = { revision: 2, config: configOf(2) };
    advance(30_000);
    expect(await source.get()).toEqual({ revision: 2, config: configOf(2) });
    expect({ heads: reader.heads, loads: reader.loads }).toEqual({ heads: 1, loads: 2 });
    expect(source.current().revision).toBe(2);
  });

  it('keeps the whole earlier revision while a publish in several transactions is under way', async () => {
    const { reader, source, advance } = setUp();
    await source.get();
    reader.snapshot = { revision: 2, config: configOf(2) };
    reader.publishing = true;
    advance(30_000);
    expect((await source.get()).revision).toBe(1);
    expect(reader.loads).toBe(1);
  });

  it('shares one check among concurrent callers', async () => {
    const { reader, source } = setUp();
    await Promise.all([source.get(), source.get(), source.get()]);
    expect(reader.loads).toBe(1);
  });

  it('refuses current() before the first load, by name', () => {
    const { source } = setUp();
    expect(() => source.current()).toThrow(expect.objectContaining({ name: 'ConfigNotReadyError' }));
  });

  it('gives a live view that follows each reload', async () => {
    const { reader, source, advance } = setUp();
    const live = liveConfig(source);
    await source.get();
    expect(live.services).toHaveLength(1);
    reader.snapshot = { revision: 2, config: configOf(3) };
    advance(30_000);
    await source.get();
    expect(live.services).toHaveLength(3);
    expect(live.slack).toEqual(configOf(3).slack);
  });

  it('sees a publish to the ledger after the TTL (DynamoDB Local)', async () => {
    const { tableName } = await newLedger();
    const store = new ConfigStore({ client: documentClient, tableName });
    await store.publish(configOf(1), 'first');
    let t = 0;
    const source = new ConfigSource(store, { now: () => t });
    expect((await source.get()).config.services).toHaveLength(1);
    await store.putService(numberedService(1), 'onboard');
    expect((await source.get()).revision).toBe(1);
    t += 30_000;
    expect(await source.get()).toEqual({ revision: 2, config: configOf(2) });
  });
});
