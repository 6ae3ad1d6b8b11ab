/**
 * Hostile weights files, each built to make a naive reader allocate far more than the file's size
 * (the probes of issue 16): a pickle of EMPTY_DICT opcodes, memo growth, deep nesting, a stand-in
 * called over and over on one big argument, JSON headers of nested or tiny values, and a zip with
 * too many entries. Used by tests/unit/weights/memory-budget.test.ts (through heap-probe.ts) and
 * by the fuzz long mode.
 */
import { writeSafetensors } from '../../src/weights/safetensors.ts';

const PROTO2 = [0x80, 0x02];
const STOP = 0x2e;

/** `prefix`, then `op` repeated to fill `bytes`, then `suffix`. */
function repeated(bytes: number, prefix: number[], op: number[], suffix: number[]): Uint8Array {
  const out = new Uint8Array(bytes);
  out.set(prefix);
  const body = bytes - prefix.length - suffix.length;
  for (let i = 0; i + op.length <= body; i += op.length) out.set(op, prefix.length + i);
  out.set(suffix, bytes - suffix.length);
  return out;
}

/** A pickle of EMPTY_DICT opcodes: one byte asks for a ~200-byte dict. */
export const dictBomb = (bytes: number) => repeated(bytes, PROTO2, [0x7d], [STOP]);

/** EMPTY_DICT, APPEND, again and again: every dict kept alive in one list, none on the stack. */
export const keptDictBomb = (bytes: number) => repeated(bytes, [...PROTO2, 0x5d], [0x7d, 0x61], [STOP]);

/** One value memoized again and again under new keys (MEMOIZE): one byte, one memo entry. */
export const memoBomb = (bytes: number) => repeated(bytes, [...PROTO2, 0x4e], [0x94], [STOP]);

/** MARKs nested ever deeper: each one starts a new stack. */
export const markNesting = (bytes: number) => repeated(bytes, PROTO2, [0x28], [0x4e, STOP]);

/** Lists nested `depth` deep: `depth` EMPTY_LISTs on the stack, then APPENDs fold them. */
export function listNesting(depth: number): Uint8Array {
  const b = new Uint8Array(2 + 2 * depth);
  b.set(PROTO2);
  b.fill(0x5d, 2, 2 + depth);
  b.fill(0x61, 2 + depth, 1 + 2 * depth);
  b[1 + 2 * depth] = STOP;
  return b;
}

/**
 * A list of `pairs` (k, v) pairs, memoized, then OrderedDict(list) called `calls` times on it:
 * each call is 4 bytes of pickle and builds a `pairs`-entry dict.
 */
export function standInAmplifier(pairs: number, calls: number): Uint8Array {
  const out: number[] = [...PROTO2, 0x5d, 0x28]; // EMPTY_LIST, MARK
  for (let i = 0; i < pairs; i++) out.push(0x4a, i & 0xff, (i >> 8) & 0xff, (i >> 16) & 0xff, 0, 0x4e, 0x86); // (BININT i, None) as TUPLE2
  out.push(0x65, 0x85, 0x71, 0); // APPENDS, TUPLE1 (the args), BINPUT 0
  const global = [...new TextEncoder().encode('ccollections\nOrderedDict\n')];
  out.push(...global, 0x71, 1, 0x30, 0x30); // GLOBAL, BINPUT 1, POP both
  out.push(0x5d); // a list to drop the results into
  for (let i = 0; i < calls; i++) out.push(0x68, 1, 0x68, 0, 0x52, 0x61); // GET global, GET args, REDUCE, APPEND
  out.push(STOP);
  return Uint8Array.from(out);
}

/** A torch.save-style zip around `pickle` (no storages). */
export const torchZip = (pickle: Uint8Array) => storedZip([{ name: 'archive/data.pkl', data: pickle }]);

/**
 * A zip of stored entries, written straight into one buffer (the tests' writeZip builds an array
 * of numbers: too slow and too big for these sizes). ZIP64 end records when `zip64`.
 */
export function storedZip(entries: Array<{ name: string; data: Uint8Array }>, zip64 = false): Uint8Array {
  const enc = new TextEncoder();
  const names = entries.map((e) => enc.encode(e.name));
  const dataBytes = entries.reduce((n, e, i) => n + 30 + names[i].byteLength + e.data.byteLength + 46 + names[i].byteLength, 0);
  const out = new Uint8Array(dataBytes + 56 + 20 + 22);
  const dv = new DataView(out.buffer);
  let p = 0;
  const u16 = (v: number) => { dv.setUint16(p, v, true); p += 2; };
  const u32 = (v: number) => { dv.setUint32(p, v, true); p += 4; };
  const u64 = (v: number) => { u32(v % 2 ** 32); u32(Math.floor(v / 2 ** 32)); };
  const offsets: number[] = [];
  entries.forEach((e, i) => {
    offsets.push(p);
    u32(0x04034b50); u16(20); u16(0); u16(0); u16(0); u16(0); u32(0); u32(e.data.byteLength); u32(e.data.byteLength);
    u16(names[i].byteLength); u16(0);
    out.set(names[i], p); p += names[i].byteLength;
    out.set(e.data, p); p += e.data.byteLength;
  });
  const cdOffset = p;
  entries.forEach((e, i) => {
    u32(0x02014b50); u16(20); u16(20); u16(0); u16(0); u16(0); u16(0); u32(0); u32(e.data.byteLength); u32(e.data.byteLength);
    u16(names[i].byteLength); u16(0); u16(0); u16(0); u16(0); u32(0); u32(offsets[i]);
    out.set(names[i], p); p += names[i].byteLength;
  });
  const cdSize = p - cdOffset;
  if (zip64) {
    const rec = p;
    u32(0x06064b50); u64(44); u16(45); u16(45); u32(0); u32(0); u64(entries.length); u64(entries.length); u64(cdSize); u64(cdOffset);
    u32(0x07064b50); u32(0); u64(rec); u32(1);
  }
  const count = zip64 ? 0xffff : entries.length;
  u32(0x06054b50); u16(0); u16(0); u16(count); u16(count); u32(zip64 ? 0xffffffff : cdSize); u32(zip64 ? 0xffffffff : cdOffset); u16(0);
  return out.subarray(0, p);
}

/** A safetensors file whose header is `json`, padded to 8 bytes, with no data. */
export function safetensorsWithHeader(json: string | Uint8Array): Uint8Array {
  const text = typeof json === 'string' ? new TextEncoder().encode(json) : json;
  const padded = (text.byteLength + 7) & ~7;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setUint32(0, padded, true);
  out.set(text, 8);
  return out;
}

/** A header of arrays nested `depth` deep. */
export function deepJson(depth: number): Uint8Array {
  const b = new Uint8Array(2 * depth);
  b.fill(0x5b, 0, depth);
  b.fill(0x5d, depth);
  return b;
}

/** A header `{"0":{},"1":{},…}` of about `bytes` bytes: a few bytes per object. */
export function wideJson(bytes: number): Uint8Array {
  const parts: string[] = [];
  let n = 2;
  for (let i = 0; n < bytes; i++) {
    const p = `"${i.toString(36)}":{}`;
    parts.push(p);
    n += p.length + 1;
  }
  return new TextEncoder().encode(`{${parts.join(',')}}`);
}

/** A header of `count` valid empty tensors (shape [0]): the index itself is the load. */
export function manyTensorsJson(count: number): Uint8Array {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(`"${i.toString(36)}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`);
  return new TextEncoder().encode(`{${parts.join(',')}}`);
}

/** A zip (ZIP64, as only ZIP64 can count past 65535) with `count` empty entries. */
export function manyEntriesZip(count: number): Uint8Array {
  const entries = Array.from({ length: count }, (_, i) => ({ name: `a/${i.toString(36)}`, data: new Uint8Array(0) }));
  return storedZip(entries, true);
}

/** A small valid safetensors file, for contrast. */
export const smallSafetensors = () => writeSafetensors({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });

/** Every hostile file the memory test and the fuzz run try, by name. Sizes keep each under a second. */
export const HOSTILE: Record<string, () => Uint8Array> = {
  /** The probe: a 32 MiB .bin whose data.pkl is EMPTY_DICT opcodes. */
  'dict bomb, 32 MiB pickle': () => torchZip(dictBomb(32 * 1024 * 1024)),
  /** The same under the pickle size cap: the memory budget must stop it. */
  'dict bomb, 2 MiB pickle': () => torchZip(dictBomb(2 * 1024 * 1024 - 1024)),
  'dict bomb, dicts kept in a list': () => torchZip(keptDictBomb(2 * 1024 * 1024 - 1024)),
  'memo growth': () => torchZip(memoBomb(2 * 1024 * 1024 - 1024)),
  'MARK nesting': () => torchZip(markNesting(2 * 1024 * 1024 - 1024)),
  'list nesting': () => torchZip(listNesting(1_000_000)),
  'stand-in amplifier': () => torchZip(standInAmplifier(20_000, 200_000)),
  'deep JSON header': () => safetensorsWithHeader(deepJson(4 * 1024 * 1024)),
  'wide JSON header': () => safetensorsWithHeader(wideJson(8 * 1024 * 1024 - 64)),
  'many-tensor JSON header': () => safetensorsWithHeader(manyTensorsJson(130_000)),
  'zip with too many entries': () => manyEntriesZip(110_000),
};
