/** Behaviour every WeightsStore must have; run against each implementation. */
import { describe, expect, it } from 'vitest';
import type { CacheMeta, WeightsStore } from '../../src/weights/cache.ts';

const meta = (key: string, size: number, extra: Partial<CacheMeta> = {}): CacheMeta => ({ key, url: `https://h/${key}`, size, storedAt: '2024-01-01T00:00:00.000Z', ...extra });
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

export function describeStoreConformance(name: string, make: () => Promise<WeightsStore>) {
  describe(`${name}: WeightsStore behaviour`, () => {
    it('has no entry for an unknown key', async () => {
      const s = await make();
      expect(await s.open('https://h/a/resolve/main/x.bin')).toBeNull();
    });

    it('commits appended bytes into an entry that reads back', async () => {
      const s = await make();
      const key = 'https://h/a/resolve/refs%2Fpr%2F1/transformer/x.safetensors';
      const p = await s.openPartial(key, { size: 300, etag: 'e1' });
      expect(p.size).toBe(0);
      const all = bytes(300);
      await p.append(all.subarray(0, 100));
      await p.append(all.subarray(100));
      expect(p.size).toBe(300);
      expect(await p.read(50, 150)).toEqual(all.subarray(50, 150));
      const committed = await p.commit(meta(key, 300, { etag: 'e1', sha256: 'ab' }));
      expect(committed.source.size).toBe(300);
      const e = await s.open(key);
      expect(e!.meta).toEqual(meta(key, 300, { etag: 'e1', sha256: 'ab' }));
      expect(await e!.source.read(0, 300)).toEqual(all);
    });

    it('keeps a closed partial of the same version for resuming', async () => {
      const s = await make();
      const key = 'k-resume';
      const p = await s.openPartial(key, { size: 1000, etag: 'v1' });
      await p.append(bytes(400));
      await p.close();
      const again = await s.openPartial(key, { size: 1000, etag: 'v1' });
      expect(again.size).toBe(400);
      expect(await again.read(0, 400)).toEqual(bytes(400));
      await again.close();
      expect(await s.open(key)).toBeNull();
    });

    it('empties a partial of another remote version', async () => {
      const s = await make();
      const p = await s.openPartial('k-version', { size: 1000, etag: 'v1' });
      await p.append(bytes(400));
      await p.close();
      const other = await s.openPartial('k-version', { size: 1000, etag: 'v2' });
      expect(other.size).toBe(0);
      await other.close();
    });

    it('truncates and discards partials', async () => {
      const s = await make();
      const p = await s.openPartial('k-trunc', { size: 10 });
      await p.append(bytes(8));
      await p.truncate();
      expect(p.size).toBe(0);
      await p.append(bytes(3));
      expect(await p.read(0, 3)).toEqual(bytes(3));
      await p.discard();
      const q = await s.openPartial('k-trunc', { size: 10 });
      expect(q.size).toBe(0);
      await q.close();
    });

    it('deletes one entry, and clears all', async () => {
      const s = await make();
      for (const k of ['k1', 'k2']) {
        const p = await s.openPartial(k, { size: 4 });
        await p.append(bytes(4));
        await p.commit(meta(k, 4));
      }
      await s.delete('k1');
      expect(await s.open('k1')).toBeNull();
      expect(await s.open('k2')).not.toBeNull();
      await s.clear();
      expect(await s.open('k2')).toBeNull();
    });

    it('stores empty files', async () => {
      const s = await make();
      const p = await s.openPartial('k-empty', { size: 0 });
      await p.commit(meta('k-empty', 0));
      const e = await s.open('k-empty');
      expect(e!.source.size).toBe(0);
    });
  });
}
