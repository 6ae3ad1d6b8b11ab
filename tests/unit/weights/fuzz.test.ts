/**
 * Seeded fuzzing of both weights formats: mutated safetensors headers and mutated PyTorch zips and
 * pickles must each load or throw a WeightsError: never another error, never a read outside the
 * file, never a hang.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/weights/errors.ts';
import { openWeights } from '../../../src/weights/open-weights.ts';
import { writeSafetensors } from '../../../src/weights/safetensors.ts';
import { bytesSource } from '../../../src/weights/source.ts';
import { streamTensors } from '../../../src/weights/stream.ts';
import { fixture, unzipStored } from '../../support/torch-fixtures.ts';
import { prng, recording } from '../../support/sources.ts';
import { writeZip, type ZipInput } from '../../support/zip-writer.ts';

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0x10000, 0];

/** One random damage: bit flips (in `focus` when given), truncation, a huge 32-bit field, or a deleted/inserted run. */
function mutate(r: Rand, src: Uint8Array, focus?: [number, number]): Uint8Array {
  const [lo, hi] = focus ?? [0, src.length];
  const at = () => lo + int(r, Math.max(1, hi - lo));
  const b = src.slice();
  switch (int(r, 5)) {
    case 0: case 1: {
      for (let i = 1 + int(r, 6); i > 0; i--) { const p = at(); if (p < b.length) b[p] ^= 1 << int(r, 8); }
      return b;
    }
    case 2: return b.subarray(0, int(r, b.length));
    case 3: {
      const p = Math.min(at(), b.length - 4);
      if (p >= 0) new DataView(b.buffer).setUint32(p, pick(r, HUGE), true);
      return b;
    }
    default: {
      const p = at();
      const n = 1 + int(r, 16);
      if (r() < 0.5) return join(b.subarray(0, p), b.subarray(p + n));
      return join(b.subarray(0, p), Uint8Array.from({ length: n }, () => int(r, 256)), b.subarray(p));
    }
  }
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** Opens and fully streams `file`; returns 'ok' or the WeightsError code. Anything else fails the test. */
async function attempt(file: Uint8Array, what: string): Promise<string> {
  const src = recording(bytesSource(file, 'fuzz'));
  try {
    const w = await openWeights(src);
    for (const e of w.tensors.values()) {
      if (!(e.begin >= 0 && e.begin <= e.end && e.end <= file.length)) throw new Error(`${what}: tensor ${e.name} range [${e.begin}, ${e.end})`);
    }
    await streamTensors(src, w.tensors.values(), () => {}, { maxChunkBytes: 4096 });
    return 'ok';
  } catch (e) {
    if (!(e instanceof WeightsError)) throw new Error(`${what}: ${(e as Error)?.stack ?? e}`);
    return e.code;
  } finally {
    // Sources refuse such reads themselves; this checks no reader even asked.
    for (const [b, e] of src.log.reads) if (!(b >= 0 && e <= file.length)) throw new Error(`${what}: read [${b}, ${e})`);
  }
}

describe('fuzz', () => {
  let safetensors: Uint8Array;
  let headerEnd: number;
  const zips: Array<{ name: string; bytes: Uint8Array; entries: ZipInput[] }> = [];

  beforeAll(async () => {
    const r = prng(99);
    const f32 = (n: number) => Float32Array.from({ length: n }, () => r());
    safetensors = writeSafetensors({
      'blocks.0.attn.qkv.weight': { dtype: 'F32', shape: [8, 4], data: f32(32) },
      'blocks.0.attn.qkv.bias': { dtype: 'F16', shape: [8], data: new Uint16Array(8) },
      y_table: { dtype: 'I64', shape: [3], data: new BigInt64Array(3) },
      empty: { dtype: 'BF16', shape: [0, 2], data: new Uint16Array(0) },
    }, { format: 'pt' });
    headerEnd = 8 + new DataView(safetensors.buffer).getUint32(0, true);
    for (const name of ['bare.pt', 'train.pt', 'dtypes.pt']) {
      const bytes = fixture(name);
      zips.push({ name, bytes, entries: await unzipStored(bytes) });
    }
    zips.push({ name: 'bare.pt as ZIP64', bytes: writeZip(zips[0].entries, { zip64: true, align: 64 }), entries: zips[0].entries });
  });

  it('mutated safetensors headers load or throw a WeightsError', async () => {
    const r = prng(1);
    const codes = new Map<string, number>();
    const text = new TextDecoder().decode(safetensors.subarray(8, headerEnd));
    const numbers = [...text.matchAll(/\d+/g)];
    for (let i = 0; i < 3000; i++) {
      let m: Uint8Array;
      if (i % 3 === 0) {
        // Swap one number in the JSON for an extreme value, keeping the length field right.
        const n = pick(r, numbers);
        const json = text.slice(0, n.index) + pick(r, ['-1', '1e308', '9007199254740993', '4294967296', '0', '""', 'null', '[]', '{}', '1.5']) + text.slice(n.index! + n[0].length);
        const jb = new TextEncoder().encode(json);
        m = new Uint8Array(8 + jb.length + safetensors.length - headerEnd);
        new DataView(m.buffer).setUint32(0, jb.length, true);
        m.set(jb, 8);
        m.set(safetensors.subarray(headerEnd), 8 + jb.length);
      } else {
        m = mutate(r, safetensors, [0, headerEnd]);
      }
      const code = await attempt(m, `safetensors case ${i}`);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    // The mutations must reach both outcomes and several distinct refusals.
    expect(codes.get('ok')).toBeGreaterThan(0);
    expect(codes.size).toBeGreaterThanOrEqual(3);
  });

  it('mutated PyTorch zips load or throw a WeightsError', async () => {
    const r = prng(2);
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const z = zips[i % zips.length];
      // Half the damage goes to the directory at the end, where every offset and length lives.
      const focus: [number, number] | undefined = r() < 0.5 ? [Math.max(0, z.bytes.length - 1500), z.bytes.length] : undefined;
      const code = await attempt(mutate(r, z.bytes, focus), `${z.name} case ${i}`);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.get('ok')).toBeGreaterThan(0);
    expect(codes.get('bad-archive')).toBeGreaterThan(0);
  });

  it('mutated pickles in valid zips load or throw a WeightsError', async () => {
    const r = prng(3);
    const codes = new Map<string, number>();
    for (let i = 0; i < 1000; i++) {
      const z = zips[i % 3];
      const entries = z.entries.map((e) => (e.name.endsWith('/data.pkl') ? { ...e, data: mutate(r, e.data) } : e));
      const code = await attempt(writeZip(entries), `${z.name} pickle case ${i}`);
      codes.set(code, (codes.get(code) ?? 0) + 1);
    }
    expect(codes.get('ok')).toBeGreaterThan(0);
    expect(codes.get('bad-pickle')).toBeGreaterThan(0);
  });
});
