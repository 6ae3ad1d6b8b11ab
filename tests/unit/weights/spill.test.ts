/**
 * spillToMemory: a store too small for a download keeps it in memory, every byte fetched once,
 * and leaves nothing behind in the store; a store with room is used as before.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hubRevisions } from '../../../src/model/hub-models.ts';
import type { PartialFile, WeightsStore } from '../../../src/weights/cache.ts';
import { WeightsError } from '../../../src/weights/errors.ts';
import { MemoryStore } from '../../../src/weights/memory-store.ts';
import { loadHubWeights, type HubModelOptions } from '../../../src/weights/remote-files.ts';
import { spillToMemory } from '../../../src/weights/spill.ts';
import { startHubServer, type HubServer } from '../../support/hub-server.ts';
import { prng } from '../../support/sources.ts';

const rand = prng(5);
const model = Uint8Array.from({ length: 300_000 }, () => Math.floor(rand() * 256));
const REPO = 'facebook/DiT-XL-2-256';
const T = 'transformer/diffusion_pytorch_model.safetensors';

let hub: HubServer;
beforeAll(async () => {
  hub = await startHubServer({ repos: { [REPO]: { 'refs/pr/1': { [T]: model } } } });
});
afterAll(() => hub.close());
beforeEach(() => { hub.requests.length = 0; });

const opts = (store: WeightsStore, extra: Partial<HubModelOptions> = {}): HubModelOptions => ({
  hub: hub.url, repo: REPO, revisions: hubRevisions(REPO), store, retryDelayMs: 1, attempts: 2, progressIntervalMs: 0, writeChunkBytes: 16384, ...extra,
});
/** Body bytes the server sent for the model file (probes are 1 byte, redirects none). */
const bodyBytes = () => hub.requests.filter((r) => r.file === T).reduce((n, r) => n + r.bytes, 0);
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b), 'bytes differ').toBe(0);

/** A MemoryStore that takes only part of the append that fills it (a short write, as OPFS does). */
function shortWriteStore(quotaBytes: number): MemoryStore {
  const store = new MemoryStore();
  const openPartial = store.openPartial.bind(store);
  store.openPartial = async (key, version) => {
    const p = await openPartial(key, version);
    const append = p.append.bind(p);
    return Object.assign(p, {
      append: async (bytes: Uint8Array) => {
        const room = quotaBytes - p.size;
        if (bytes.byteLength <= room) return append(bytes);
        await append(bytes.subarray(0, room));
        throw new DOMException('short write', 'QuotaExceededError');
      },
    } satisfies Partial<PartialFile>);
  };
  return store;
}

describe('spillToMemory', () => {
  it('a download that outgrows the store goes on in memory: every byte fetched once, the store left empty, the quota error reported', async () => {
    for (const store of [new MemoryStore({ quotaBytes: 100_000 }), shortWriteStore(100_000)]) {
      hub.requests.length = 0;
      const got = await loadHubWeights(opts(store), 'transformer');
      expect(got.cacheError).toMatchObject({ code: 'quota' });
      expect(got.fromCache).toBe(false);
      same(await got.source.read(0, got.source.size), model);
      same(await got.source.read(123_456, 200_001), model.slice(123_456, 200_001));
      // One pass over the file (plus the 1-byte probes): nothing was downloaded twice.
      expect(bodyBytes()).toBeLessThanOrEqual(model.length + 4);
      expect(store.partials.size + store.entries.size).toBe(0);
    }
  });

  it('a store that is full from the start (no room for the partial) keeps it all in memory', async () => {
    const store = new MemoryStore();
    const full: WeightsStore = { ...store, name: 'full', open: (k) => store.open(k), delete: (k) => store.delete(k), clear: () => store.clear(),
      openPartial: async () => { throw new WeightsError('quota', 'no space left'); } };
    const reasons: WeightsError[] = [];
    const spilling = spillToMemory(full, (why) => reasons.push(why));
    const part = await spilling.openPartial('k', { size: 6 });
    await part.append(new Uint8Array([1, 2, 3]));
    await part.append(new Uint8Array([4, 5, 6]));
    expect(await part.read(2, 5)).toEqual(new Uint8Array([3, 4, 5]));
    const entry = await part.commit({ key: 'k', url: 'u', size: 6, etag: 'e', storedAt: 'now' });
    expect(await entry.source.read(0, 6)).toEqual(new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(entry.source.etag).toBe('e');
    expect(reasons.map((r) => r.code)).toEqual(['quota']);
  });

  it('a store with room is used as before: the download is cached, no error', async () => {
    const store = new MemoryStore();
    const got = await loadHubWeights(opts(store), 'transformer');
    expect(got.cacheError).toBeUndefined();
    expect(store.entries.size).toBe(1);
    same(await got.source.read(0, got.source.size), model);
  });

  it('other store errors are not swallowed', async () => {
    const store = new MemoryStore();
    const broken: WeightsStore = { name: 'broken', open: (k) => store.open(k), delete: (k) => store.delete(k), clear: () => store.clear(),
      openPartial: async (k, v) => Object.assign(await store.openPartial(k, v), { append: async () => { throw new Error('disk on fire'); } }) };
    await expect(loadHubWeights(opts(broken), 'transformer')).rejects.toThrow('disk on fire');
  });
});
