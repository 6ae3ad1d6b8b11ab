import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/weights/errors.ts';
import { MemoryStore } from '../../../src/weights/memory-store.ts';
import { entryId, isQuotaError, storageError } from '../../../src/weights/cache.ts';
import { defaultCacheDir, NodeStore } from '../../../src/weights/node-store.ts';
import { describeStoreConformance } from '../../support/store-conformance.ts';

const root = mkdtempSync(join(tmpdir(), 'dit-cache-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(root, `s${n++}`);

describeStoreConformance('MemoryStore', async () => new MemoryStore());
describeStoreConformance('NodeStore', async () => new NodeStore(freshDir()));

async function committed(store: NodeStore, key: string, size: number) {
  const p = await store.openPartial(key, { size });
  await p.append(new Uint8Array(size).fill(7));
  await p.commit({ key, url: key, size, storedAt: 'now' });
}

describe('NodeStore on disk', () => {
  it('lives under $XDG_CACHE_HOME/dit-studio or ~/.cache/dit-studio', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, '/home/u')).toBe('/x/cache/dit-studio');
    expect(defaultCacheDir({}, '/home/u')).toBe('/home/u/.cache/dit-studio');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/u')).toBe('/home/u/.cache/dit-studio');
  });

  it("names files readably and uniquely (by the key's sha256, as before: existing caches keep their names)", async () => {
    const key = 'https://huggingface.co/facebook/DiT-XL-2-256/resolve/refs%2Fpr%2F1/transformer/diffusion_pytorch_model.safetensors';
    const a = await entryId(key);
    expect(a).toBe(`refs_2Fpr_2F1_transformer_diffusion_pytorch_model.safetensors-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
    expect(await entryId('https://h/a/resolve/main/x')).not.toBe(await entryId('https://h/b/resolve/main/x'));
  });

  it('drops an entry whose data is shorter than its record', async () => {
    const dir = freshDir();
    const s = new NodeStore(dir);
    await committed(s, 'key-a', 100);
    const data = readdirSync(join(dir, 'files')).find((f) => f.endsWith('.data'))!;
    truncateSync(join(dir, 'files', data), 60);
    expect(await s.open('key-a')).toBeNull();
    expect(readdirSync(join(dir, 'files'))).toEqual([]);
  });

  it.each([
    ['garbage', 'not json{'],
    ['a record for another key', JSON.stringify({ key: 'other', url: 'u', size: 100, storedAt: 'x' })],
    ['a record with a bad size', JSON.stringify({ key: 'key-b', url: 'u', size: -1, storedAt: 'x' })],
  ])('drops an entry whose record is %s', async (_what, text) => {
    const dir = freshDir();
    const s = new NodeStore(dir);
    await committed(s, 'key-b', 100);
    const json = readdirSync(join(dir, 'files')).find((f) => f.endsWith('.json'))!;
    writeFileSync(join(dir, 'files', json), text);
    expect(await s.open('key-b')).toBeNull();
  });

  it('never uses data without a record (a crash between rename and record)', async () => {
    const dir = freshDir();
    const s = new NodeStore(dir);
    await committed(s, 'key-c', 10);
    const json = readdirSync(join(dir, 'files')).find((f) => f.endsWith('.json'))!;
    rmSync(join(dir, 'files', json));
    expect(await s.open('key-c')).toBeNull();
  });

  it('empties a partial longer than the remote file', async () => {
    const s = new NodeStore(freshDir());
    const p = await s.openPartial('key-d', { size: 100 });
    await p.append(new Uint8Array(50));
    await p.close();
    const q = await s.openPartial('key-d', { size: 100 });
    expect(q.size).toBe(50);
    await q.close();
  });
});

describe('quota errors', () => {
  it('recognises full disks and browser quota errors', () => {
    expect(isQuotaError(Object.assign(new Error('x'), { code: 'ENOSPC' }))).toBe(true);
    expect(isQuotaError(Object.assign(new Error('x'), { code: 'EDQUOT' }))).toBe(true);
    expect(isQuotaError(new DOMException('x', 'QuotaExceededError'))).toBe(true);
    expect(isQuotaError(new Error('x'))).toBe(false);
  });

  it('turns them into WeightsError("quota") saying the model can still be streamed', () => {
    const e = storageError(Object.assign(new Error('no space'), { code: 'ENOSPC' }), 'model.safetensors') as WeightsError;
    expect(e).toBeInstanceOf(WeightsError);
    expect(e.code).toBe('quota');
    expect(e.message).toMatch(/model\.safetensors.*streamed without caching/);
    const other = new Error('EIO');
    expect(storageError(other, 'x')).toBe(other);
  });

  it('MemoryStore enforces its quota', async () => {
    const s = new MemoryStore({ quotaBytes: 10 });
    const p = await s.openPartial('k', { size: 20 });
    await p.append(new Uint8Array(8));
    await expect(p.append(new Uint8Array(8))).rejects.toMatchObject({ code: 'quota' });
  });
});
