import { describe, expect, it } from 'vitest';
import { openSafetensors, writeSafetensors } from '../../../src/weights/safetensors.ts';
import { bytesSource } from '../../../src/weights/source.ts';
import { planReads, streamTensors } from '../../../src/weights/stream.ts';
import type { TensorEntry } from '../../../src/weights/tensor-entry.ts';
import { prng, recording, sequentialOnly } from '../../support/sources.ts';

/** A file with tensors a (40 f32), b (3 f16, odd size), big (1000 f32), c (10 f32) in that order. */
function sampleFile() {
  const rand = prng(1);
  const f32 = (n: number) => Float32Array.from({ length: n }, () => rand());
  return writeSafetensors({
    a: { dtype: 'F32', shape: [4, 10], data: f32(40) },
    b: { dtype: 'F16', shape: [3], data: Uint16Array.of(1, 2, 3) },
    big: { dtype: 'F32', shape: [1000], data: f32(1000) },
    c: { dtype: 'F32', shape: [10], data: f32(10) },
    empty: { dtype: 'F32', shape: [0], data: new Float32Array(0) },
  });
}

/** Streams and reassembles each tensor, checking chunk order, alignment and bounds. */
async function collect(source: Parameters<typeof streamTensors>[0], entries: TensorEntry[], opts: Parameters<typeof streamTensors>[3]) {
  const out = new Map<string, Uint8Array>();
  const next = new Map<string, number>();
  await streamTensors(source, entries, (e, chunk, off) => {
    expect(off).toBe(next.get(e.name) ?? 0);
    const size = e.end - e.begin;
    if (off + chunk.byteLength < size) expect(chunk.byteLength % 8).toBe(0);
    if (opts?.maxChunkBytes) expect(chunk.byteLength).toBeLessThanOrEqual(opts.maxChunkBytes);
    if (!out.has(e.name)) out.set(e.name, new Uint8Array(size));
    out.get(e.name)!.set(chunk, off);
    next.set(e.name, off + chunk.byteLength);
  }, opts);
  for (const e of entries) expect(next.get(e.name), e.name).toBe(e.end - e.begin);
  return out;
}

describe('streamTensors', () => {
  it('delivers every tensor byte-identical in bounded, element-aligned chunks', async () => {
    const file = sampleFile();
    const h = await openSafetensors(bytesSource(file));
    const src = recording(bytesSource(file));
    const got = await collect(src, [...h.tensors.values()], { maxChunkBytes: 100, maxGapBytes: 0 });
    for (const e of h.tensors.values()) expect(got.get(e.name), e.name).toEqual(file.slice(e.begin, e.end));
    for (const [b, e] of src.log.reads) expect(e - b).toBeLessThanOrEqual(96);
  });

  it('coalesces neighbours into one read and skips tensors not asked for', async () => {
    const file = sampleFile();
    const h = await openSafetensors(bytesSource(file));
    const t = (n: string) => h.tensors.get(n)!;
    const src = recording(bytesSource(file));
    const got = await collect(src, [t('a'), t('b'), t('c')], { maxGapBytes: 16 });
    // a and b are adjacent: one read; big (4000 bytes) lies between b and c, so c gets its own read.
    expect(src.log.reads).toEqual([[t('a').begin, t('b').end], [t('c').begin, t('c').end]]);
    expect(got.get('c')).toEqual(file.slice(t('c').begin, t('c').end));
  });

  it('reads through small gaps', async () => {
    const file = sampleFile();
    const h = await openSafetensors(bytesSource(file));
    const t = (n: string) => h.tensors.get(n)!;
    const src = recording(bytesSource(file));
    await collect(src, [t('a'), t('big')], { maxGapBytes: 64 });
    expect(src.log.reads).toEqual([[t('a').begin, t('big').end]]);
  });

  it('handles overlapping entries (tensors sharing a storage)', async () => {
    const file = Uint8Array.from({ length: 256 }, (_, i) => i);
    const e = (name: string, begin: number, end: number): TensorEntry => ({ name, dtype: 'U8', shape: [end - begin], begin, end });
    const entries = [e('whole', 0, 200), e('view', 50, 120), e('tail', 180, 256)];
    const got = await collect(bytesSource(file), entries, { maxChunkBytes: 64 });
    for (const x of entries) expect(got.get(x.name)).toEqual(file.slice(x.begin, x.end));
    const plan = planReads(entries, 64, 0);
    for (const r of plan) for (const p of r.pieces) expect(p.begin >= r.begin && p.end <= r.end).toBe(true);
  });

  it('walks a sequential-only source once, dropping skipped bytes', async () => {
    const file = sampleFile();
    const h = await openSafetensors(bytesSource(file));
    const t = (n: string) => h.tensors.get(n)!;
    for (const piece of [1, 7, 64, 5000]) {
      const src = recording(sequentialOnly(file, piece));
      const got = await collect(src, [t('a'), t('c')], { maxChunkBytes: 64, maxGapBytes: 0 });
      expect(got.get('a')).toEqual(file.slice(t('a').begin, t('a').end));
      expect(got.get('c')).toEqual(file.slice(t('c').begin, t('c').end));
      expect(src.log.streams).toEqual([t('a').begin]);
    }
  });

  it('restarts a sequential source for overlapping entries', async () => {
    const file = Uint8Array.from({ length: 256 }, (_, i) => i);
    const e = (name: string, begin: number, end: number): TensorEntry => ({ name, dtype: 'U8', shape: [end - begin], begin, end });
    const src = recording(sequentialOnly(file, 10));
    const got = await collect(src, [e('whole', 0, 200), e('view', 50, 120)], { maxChunkBytes: 64 });
    expect(got.get('view')).toEqual(file.slice(50, 120));
    expect(src.log.streams.length).toBeGreaterThan(1);
  });

  it('refuses entries outside the file before reading anything', async () => {
    const src = recording(bytesSource(new Uint8Array(10), 'small.bin'));
    await expect(streamTensors(src, [{ name: 'x', dtype: 'U8', shape: [20], begin: 0, end: 20 }], () => {})).rejects.toThrow(/small\.bin: tensor "x"/);
    expect(src.log.reads).toEqual([]);
  });

  it('stops when aborted', async () => {
    const file = sampleFile();
    const h = await openSafetensors(bytesSource(file));
    const ac = new AbortController();
    let chunks = 0;
    const run = streamTensors(bytesSource(file), [...h.tensors.values()], () => { if (++chunks === 2) ac.abort(); }, { maxChunkBytes: 64, maxGapBytes: 0, signal: ac.signal });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(chunks).toBeLessThan(10);
  });

  it('reads one chunk ahead while the consumer works, or none when told', async () => {
    const file = Uint8Array.from({ length: 1024 }, (_, i) => i & 255);
    const entries: TensorEntry[] = [{ name: 't', dtype: 'U8', shape: [1024], begin: 0, end: 1024 }];
    for (const [readAhead, want] of [[undefined, 2], [0, 1], [3, 4]] as const) {
      let active = 0;
      let most = 0;
      const inner = bytesSource(file);
      const slow = { ...inner, read: async (b: number, e: number) => {
        most = Math.max(most, ++active);
        await new Promise((r) => setTimeout(r, 2));
        active--;
        return inner.read(b, e);
      } };
      const got = await collect(slow, entries, { maxChunkBytes: 64, readAhead });
      expect(got.get('t')).toEqual(file);
      expect(most, `readAhead ${readAhead}`).toBe(want);
    }
  });

  it('reports a failed read-ahead, and a consumer error leaves no stray rejection', async () => {
    const file = new Uint8Array(256);
    const entries: TensorEntry[] = [{ name: 't', dtype: 'U8', shape: [256], begin: 0, end: 256 }];
    const inner = bytesSource(file);
    const failing = { ...inner, read: async (b: number, e: number) => { if (b >= 128) throw new Error('disk on fire'); return inner.read(b, e); } };
    await expect(streamTensors(failing, entries, () => {}, { maxChunkBytes: 64 })).rejects.toThrow('disk on fire');
    await expect(streamTensors(failing, entries, () => { throw new Error('consumer'); }, { maxChunkBytes: 64, readAhead: 3 })).rejects.toThrow('consumer');
  });
});
