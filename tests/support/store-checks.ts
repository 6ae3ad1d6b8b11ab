/**
 * What every WeightsStore must do, as plain async checks with no test framework, so the same
 * checks run under Vitest (NodeStore, MemoryStore) and in a browser worker (OpfsStore, IdbStore).
 * Each check gets a factory for a fresh, empty store and throws on failure.
 */
import type { CacheMeta, WeightsStore } from '../../src/weights/cache.ts';

type Check = (make: () => Promise<WeightsStore>) => Promise<void>;

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`store check failed: ${what}`);
}

function sameBytes(a: Uint8Array, b: Uint8Array, what: string): void {
  check(a.byteLength === b.byteLength && a.every((x, i) => x === b[i]), `${what}: bytes differ`);
}

const meta = (key: string, size: number, extra: Partial<CacheMeta> = {}): CacheMeta => ({ key, url: `https://h/${key}`, size, storedAt: '2024-01-01T00:00:00.000Z', ...extra });
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

export const storeChecks: Record<string, Check> = {
  'has no entry for an unknown key': async (make) => {
    const s = await make();
    check((await s.open('https://h/a/resolve/main/x.bin')) === null, 'unknown key opens as null');
  },

  'commits appended bytes into an entry that reads back': async (make) => {
    const s = await make();
    const key = 'https://h/a/resolve/refs%2Fpr%2F1/transformer/x.safetensors';
    const p = await s.openPartial(key, { size: 300, etag: 'e1' });
    check(p.size === 0, 'new partial is empty');
    const all = bytes(300);
    await p.append(all.subarray(0, 100));
    await p.append(all.subarray(100));
    check(p.size === 300, 'partial size after appends');
    sameBytes(await p.read(50, 150), all.subarray(50, 150), 'partial read');
    const committed = await p.commit(meta(key, 300, { etag: 'e1', sha256: 'ab' }));
    check(committed.source.size === 300, 'committed size');
    const e = await s.open(key);
    check(e !== null, 'committed entry opens');
    const want = meta(key, 300, { etag: 'e1', sha256: 'ab' });
    const fields: Array<keyof CacheMeta> = ['key', 'url', 'size', 'etag', 'sha256', 'storedAt'];
    for (const f of fields) check(e!.meta[f] === want[f], `meta.${f} round-trips`);
    sameBytes(await e!.source.read(0, 300), all, 'entry read');
    sameBytes(await e!.source.read(299, 300), all.subarray(299), 'entry read at the end');
  },

  'keeps a closed partial of the same version for resuming': async (make) => {
    const s = await make();
    const p = await s.openPartial('k-resume', { size: 1000, etag: 'v1' });
    await p.append(bytes(400));
    await p.close();
    const again = await s.openPartial('k-resume', { size: 1000, etag: 'v1' });
    check(again.size === 400, 'resumed partial keeps its bytes');
    sameBytes(await again.read(0, 400), bytes(400), 'resumed partial read');
    await again.append(bytes(10, 5));
    sameBytes(await again.read(400, 410), bytes(10, 5), 'append after resume');
    await again.close();
    check((await s.open('k-resume')) === null, 'a partial is not an entry');
  },

  'empties a partial of another remote version': async (make) => {
    const s = await make();
    const p = await s.openPartial('k-version', { size: 1000, etag: 'v1' });
    await p.append(bytes(400));
    await p.close();
    const other = await s.openPartial('k-version', { size: 1000, etag: 'v2' });
    check(other.size === 0, 'other version starts empty');
    await other.close();
  },

  'truncates and discards partials': async (make) => {
    const s = await make();
    const p = await s.openPartial('k-trunc', { size: 10 });
    await p.append(bytes(8));
    await p.truncate();
    check(p.size === 0, 'truncated');
    await p.append(bytes(3));
    sameBytes(await p.read(0, 3), bytes(3), 'append after truncate');
    await p.discard();
    const q = await s.openPartial('k-trunc', { size: 10 });
    check(q.size === 0, 'discarded partial is gone');
    await q.close();
  },

  'replaces an entry when the same key is committed again': async (make) => {
    const s = await make();
    for (const seed of [1, 2]) {
      const p = await s.openPartial('k-again', { size: 16, etag: `v${seed}` });
      await p.append(bytes(16, seed));
      await p.commit(meta('k-again', 16, { etag: `v${seed}` }));
    }
    const e = await s.open('k-again');
    check(e?.meta.etag === 'v2', 'newest record');
    sameBytes(await e!.source.read(0, 16), bytes(16, 2), 'newest bytes');
  },

  'deletes one entry, and clears all': async (make) => {
    const s = await make();
    for (const k of ['k1', 'k2']) {
      const p = await s.openPartial(k, { size: 4 });
      await p.append(bytes(4));
      await p.commit(meta(k, 4));
    }
    await s.delete('k1');
    check((await s.open('k1')) === null, 'deleted');
    check((await s.open('k2')) !== null, 'other entry kept');
    await s.clear();
    check((await s.open('k2')) === null, 'cleared');
  },

  'stores empty files': async (make) => {
    const s = await make();
    const p = await s.openPartial('k-empty', { size: 0 });
    await p.commit(meta('k-empty', 0));
    const e = await s.open('k-empty');
    check(e?.source.size === 0, 'empty entry');
  },
};
