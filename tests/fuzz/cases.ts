/**
 * Seeded fuzz cases for the weights parsers, shared by the quick run in `npm test`
 * (tests/unit/weights/fuzz.test.ts) and the long run (`npm run fuzz`, tests/fuzz/main.ts).
 * Three kinds: safetensors files with damaged headers, PyTorch zips with damage anywhere (half of
 * it in the directory at the end), and valid zips around damaged pickles. Each case must load or
 * throw a WeightsError: never another error, never a read outside the file.
 */
import { WeightsError } from '../../src/weights/errors.ts';
import { openWeights } from '../../src/weights/open-weights.ts';
import { writeSafetensors } from '../../src/weights/safetensors.ts';
import { bytesSource } from '../../src/weights/source.ts';
import { streamTensors } from '../../src/weights/stream.ts';
import { prng, recording } from '../support/sources.ts';
import { fixture, unzipStored } from '../support/torch-fixtures.ts';
import { writeZip, type ZipInput } from '../support/zip-writer.ts';
import { dictBomb, memoBomb, standInAmplifier } from './hostile.ts';

export type Rand = () => number;
export type Kind = 'safetensors' | 'zip' | 'pickle';
export const KINDS: readonly Kind[] = ['safetensors', 'zip', 'pickle'];
/** The seed each kind's generator starts from (as the quick run always has). */
export const SEEDS: Record<Kind, number> = { safetensors: 1, zip: 2, pickle: 3 };

const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

const HUGE = [0xffffffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0x10000, 0];

/** One random damage: bit flips (in `focus` when given), truncation, a huge 32-bit field, or a deleted/inserted run. */
export function mutate(r: Rand, src: Uint8Array, focus?: [number, number]): Uint8Array {
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

/** Pickle opcodes with argument bytes of the right length (random values), for splicing into pickles. */
const OPS: Array<[number, number]> = [
  [0x28, 0], [0x29, 0], [0x74, 0], [0x85, 0], [0x86, 0], [0x87, 0], [0x5d, 0], [0x6c, 0], [0x7d, 0], [0x64, 0],
  [0x8f, 0], [0x91, 0], [0x61, 0], [0x65, 0], [0x73, 0], [0x75, 0], [0x90, 0], [0x4e, 0], [0x88, 0], [0x89, 0],
  [0x4a, 4], [0x4b, 1], [0x4d, 2], [0x8a, 1], [0x47, 8], [0x8c, 1], [0x43, 1], [0x71, 1], [0x72, 4], [0x94, 0],
  [0x68, 1], [0x6a, 4], [0x30, 0], [0x31, 0], [0x32, 0], [0x93, 0], [0x51, 0], [0x52, 0], [0x81, 0], [0x92, 0], [0x62, 0],
];

/** Splices a run of 1-8 opcodes (with arguments) into a pickle, or repeats one 1-4000 times (a small bomb). */
export function spliceOps(r: Rand, src: Uint8Array): Uint8Array {
  const p = int(r, src.length);
  const op = () => { const [code, args] = pick(r, OPS); return [code, ...Array.from({ length: args }, () => int(r, 256))]; };
  let run: number[];
  if (r() < 0.8) {
    run = [];
    for (let n = 1 + int(r, 8); n > 0; n--) run.push(...op());
  } else {
    const one = op();
    run = Array.from({ length: 1 + int(r, 4000) }, () => one).flat();
  }
  return join(src.subarray(0, p), Uint8Array.from(run), src.subarray(p));
}

export function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

export interface Corpus {
  safetensors: Uint8Array;
  /** Where the safetensors JSON header ends. */
  headerEnd: number;
  /** The header's numbers, to swap for extreme values. */
  numbers: RegExpMatchArray[];
  headerText: string;
  /** Real torch.save files (and one re-packed with ZIP64). */
  zips: Array<{ name: string; bytes: Uint8Array; entries: ZipInput[] }>;
  /** Pickles to damage: the real ones, and small bombs. */
  pickles: Array<{ name: string; entries: ZipInput[] }>;
}

export async function buildCorpus(): Promise<Corpus> {
  const r = prng(99);
  const f32 = (n: number) => Float32Array.from({ length: n }, () => r());
  const safetensors = writeSafetensors({
    'blocks.0.attn.qkv.weight': { dtype: 'F32', shape: [8, 4], data: f32(32) },
    'blocks.0.attn.qkv.bias': { dtype: 'F16', shape: [8], data: new Uint16Array(8) },
    y_table: { dtype: 'I64', shape: [3], data: new BigInt64Array(3) },
    empty: { dtype: 'BF16', shape: [0, 2], data: new Uint16Array(0) },
  }, { format: 'pt' });
  const headerEnd = 8 + new DataView(safetensors.buffer).getUint32(0, true);
  const headerText = new TextDecoder().decode(safetensors.subarray(8, headerEnd));
  const zips: Corpus['zips'] = [];
  for (const name of ['bare.pt', 'train.pt', 'dtypes.pt']) {
    const bytes = fixture(name);
    zips.push({ name, bytes, entries: await unzipStored(bytes) });
  }
  zips.push({ name: 'bare.pt as ZIP64', bytes: writeZip(zips[0].entries, { zip64: true, align: 64 }), entries: zips[0].entries });
  const bombs: Array<[string, Uint8Array]> = [['dict bomb', dictBomb(4096)], ['memo bomb', memoBomb(4096)], ['stand-in amplifier', standInAmplifier(64, 64)]];
  const pickles: Corpus['pickles'] = [
    ...zips.slice(0, 3).map((z) => ({ name: z.name, entries: z.entries })),
    ...bombs.map(([name, data]) => ({ name, entries: [{ name: 'archive/data.pkl', data }] })),
  ];
  return { safetensors, headerEnd, numbers: [...headerText.matchAll(/\d+/g)], headerText, zips, pickles };
}

/** Case `i` of a kind, drawn from `r` (the cases of one kind form one seeded sequence). */
export function makeCase(kind: Kind, c: Corpus, r: Rand, i: number): { bytes: Uint8Array; what: string } {
  if (kind === 'safetensors') {
    if (i % 3 === 0) {
      // Swap one number in the JSON for an extreme value, keeping the length field right.
      const n = pick(r, c.numbers);
      const json = c.headerText.slice(0, n.index) + pick(r, ['-1', '1e308', '9007199254740993', '4294967296', '0', '""', 'null', '[]', '{}', '1.5']) + c.headerText.slice(n.index! + n[0].length);
      const jb = new TextEncoder().encode(json);
      const m = new Uint8Array(8 + jb.length + c.safetensors.length - c.headerEnd);
      new DataView(m.buffer).setUint32(0, jb.length, true);
      m.set(jb, 8);
      m.set(c.safetensors.subarray(c.headerEnd), 8 + jb.length);
      return { bytes: m, what: `safetensors case ${i}` };
    }
    return { bytes: mutate(r, c.safetensors, [0, c.headerEnd]), what: `safetensors case ${i}` };
  }
  if (kind === 'zip') {
    const z = c.zips[i % c.zips.length];
    // Half the damage goes to the directory at the end, where every offset and length lives.
    const focus: [number, number] | undefined = r() < 0.5 ? [Math.max(0, z.bytes.length - 1500), z.bytes.length] : undefined;
    return { bytes: mutate(r, z.bytes, focus), what: `${z.name} case ${i}` };
  }
  const p = c.pickles[i % c.pickles.length];
  const damage = (data: Uint8Array) => (r() < 0.3 ? spliceOps(r, data) : mutate(r, data));
  const entries = p.entries.map((e) => (e.name.endsWith('/data.pkl') ? { ...e, data: damage(e.data) } : e));
  return { bytes: writeZip(entries), what: `${p.name} pickle case ${i}` };
}

/** Opens and fully streams `file`; returns 'ok' or the WeightsError's code, and throws an Error for anything else. */
export async function attempt(file: Uint8Array, what: string): Promise<string> {
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
