/**
 * safetensors: an 8-byte little-endian header length n, n bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}`, then the raw data.
 * Offsets in the JSON are relative to the end of the header.
 */
import { formatBytes, MemoryBudget } from './budget.ts';
import { WeightsError, inFile } from './errors.ts';
import { chargeJson } from './json-budget.ts';
import type { ByteSource } from './source.ts';
import { DTYPE_BYTES, elementCount, isDType, type DType, type TensorEntry, type WeightsIndex } from './tensor-entry.ts';

export { DTYPE_BYTES, type DType, type TensorEntry, type WeightsIndex } from './tensor-entry.ts';

export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Absolute offset of the data section (8 + header length). */
  dataStart: number;
}

/**
 * Largest JSON header accepted: over 100 times DiT-XL/2's (about 60 KB: 540 tensors at about 105
 * bytes each). The format's own limit (100 MB) would let a header ask for gigabytes of heap.
 */
export const MAX_HEADER_BYTES = 8 * 1024 * 1024;
/** Heap the parsed header may take, estimated before JSON.parse (real headers: about 11 bytes per byte). */
export const HEADER_MEMORY_BUDGET = 64 * 1024 * 1024;
/** A header nests 3 levels (file, tensor, shape); 8 leaves room for extra fields some writers add. */
const MAX_HEADER_DEPTH = 8;

/** Length of the JSON header, from the first 8 bytes. */
export function headerLength(first8: Uint8Array, fileSize: number): number {
  if (first8.byteLength < 8 || fileSize < 8) throw new WeightsError('truncated', 'safetensors file is shorter than its 8-byte header length');
  const dv = new DataView(first8.buffer, first8.byteOffset, 8);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > MAX_HEADER_BYTES) throw new WeightsError('bad-header', `safetensors header length ${n} exceeds the ${formatBytes(MAX_HEADER_BYTES)} limit (DiT-XL/2's is about 60 KB), so the file is damaged or hostile`);
  if (8 + n > fileSize) throw new WeightsError('truncated', `safetensors header (${n} bytes) runs past the end of the file (${fileSize} bytes)`);
  return n;
}

/**
 * Parses and validates the header (the first 8 + n bytes of the file): dtypes, shapes, byte counts,
 * offsets inside the file and non-overlapping, string-only metadata. Nothing is trusted unchecked,
 * so a hostile header can only make this throw a WeightsError.
 */
export function parseHeader(headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const n = headerLength(headerBytes.subarray(0, 8), fileSize);
  if (headerBytes.byteLength < 8 + n) throw new WeightsError('truncated', 'safetensors header is incomplete');
  const fail = (msg: string): never => { throw new WeightsError('bad-header', `safetensors header: ${msg}`); };
  const budget = new MemoryBudget(HEADER_MEMORY_BUDGET, 'real headers need about 11 bytes per byte (DiT-XL/2\'s, about 60 KB, about 0.7 MiB)', fail);
  chargeJson(headerBytes.subarray(8, 8 + n), budget, MAX_HEADER_DEPTH, fail);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new WeightsError('bad-header', `safetensors header is not valid JSON: ${(e as Error).message}`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new WeightsError('bad-header', 'safetensors header is not a JSON object');
  const dataStart = 8 + n;
  const dataSize = fileSize - dataStart;
  const tensors = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw);
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!e || typeof e !== 'object' || Array.isArray(e)) throw new WeightsError('bad-header', `tensor "${name}": entry is not an object`);
    if (!isDType(e.dtype)) throw new WeightsError('bad-header', `tensor "${name}": unsupported dtype ${JSON.stringify(e.dtype)}`);
    const dtype = e.dtype;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new WeightsError('bad-header', `tensor "${name}": bad shape ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    const off = e.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((d) => Number.isSafeInteger(d) && d >= 0) || off[0] > off[1]) {
      throw new WeightsError('bad-header', `tensor "${name}": bad data_offsets ${JSON.stringify(off)}`);
    }
    // Past 2^53 the product is inexact, but then it also exceeds any real byte count.
    if (elementCount(shape) * DTYPE_BYTES[dtype] !== off[1] - off[0]) {
      throw new WeightsError('bad-header', `tensor "${name}": ${off[1] - off[0]} bytes do not hold shape [${shape}] of ${dtype}`);
    }
    if (off[1] > dataSize) throw new WeightsError('truncated', `tensor "${name}": data ends at ${off[1]} but the file holds ${dataSize} data bytes`);
    tensors.set(name, { name, dtype, shape: [...shape], begin: dataStart + off[0], end: dataStart + off[1] });
  }
  const sorted = [...tensors.values()].filter((t) => t.end > t.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end) throw new WeightsError('bad-header', `tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`);
  }
  return { tensors, metadata, dataStart };
}

function parseMetadata(raw: unknown): Record<string, string> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new WeightsError('bad-header', 'safetensors __metadata__ is not an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new WeightsError('bad-header', `safetensors __metadata__ value "${k}" is not a string`);
    out[k] = v;
  }
  return out;
}

export interface OpenedSafetensors extends WeightsIndex {
  format: 'safetensors';
  header: SafetensorsHeader;
}

/**
 * Reads and validates the header of a safetensors source (two reads: the 8-byte length, then the
 * header, whose length is checked against the file size and MAX_HEADER_BYTES before it is read).
 * No tensor data is touched.
 */
export async function openSafetensors(source: ByteSource, signal?: AbortSignal): Promise<OpenedSafetensors> {
  try {
    if (source.size < 8) throw new WeightsError('truncated', `the file is ${source.size} bytes, shorter than the 8-byte header length`);
    const first8 = await source.read(0, 8, signal);
    const n = headerLength(first8, source.size);
    const headerBytes = new Uint8Array(8 + n);
    headerBytes.set(first8, 0);
    headerBytes.set(await source.read(8, 8 + n, signal), 8);
    const header = parseHeader(headerBytes, source.size);
    return { format: 'safetensors', header, tensors: header.tensors, metadata: header.metadata };
  } catch (e) {
    throw inFile(e, source.name);
  }
}

export interface HostTensor {
  dtype: DType;
  shape: number[];
  /** Raw little-endian bytes. */
  bytes: Uint8Array;
}

/** A whole safetensors file held in memory (fixtures, inputs, outputs: not multi-GB weights). */
export class SafetensorsFile {
  readonly header: SafetensorsHeader;
  constructor(private readonly file: Uint8Array) {
    this.header = parseHeader(file, file.byteLength);
  }
  static fromBytes(bytes: Uint8Array | ArrayBuffer): SafetensorsFile {
    return new SafetensorsFile(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  }
  names(): string[] { return [...this.header.tensors.keys()]; }
  has(name: string): boolean { return this.header.tensors.has(name); }
  entry(name: string): TensorEntry {
    const e = this.header.tensors.get(name);
    if (!e) throw new WeightsError('missing-tensor', `tensor "${name}" is missing`);
    return e;
  }
  raw(name: string): HostTensor {
    const e = this.entry(name);
    return { dtype: e.dtype, shape: e.shape, bytes: this.file.subarray(e.begin, e.end) };
  }
  /** Any float dtype, converted to float32. */
  float32(name: string): Float32Array { return toFloat32(this.raw(name)); }
}

function aligned(bytes: Uint8Array, align: number): Uint8Array {
  // A copy, not bytes.slice(): a Node Buffer's slice() is a view at the same (unaligned) offset.
  return bytes.byteOffset % align === 0 ? bytes : new Uint8Array(bytes);
}

export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Converts F32/F16/BF16/F64 and integer tensors to float32 values. */
export function toFloat32(t: HostTensor): Float32Array {
  const b = t.bytes;
  switch (t.dtype) {
    case 'F32': return new Float32Array(aligned(b, 4).buffer, aligned(b, 4).byteOffset, b.byteLength / 4).slice();
    case 'F64': { const a = aligned(b, 8); return Float32Array.from(new Float64Array(a.buffer, a.byteOffset, b.byteLength / 8)); }
    case 'F16': {
      const a = aligned(b, 2); const u = new Uint16Array(a.buffer, a.byteOffset, b.byteLength / 2);
      const out = new Float32Array(u.length); for (let i = 0; i < u.length; i++) out[i] = f16ToF32(u[i]); return out;
    }
    case 'BF16': {
      const a = aligned(b, 2); const u = new Uint16Array(a.buffer, a.byteOffset, b.byteLength / 2);
      const bits = new Uint32Array(u.length); for (let i = 0; i < u.length; i++) bits[i] = u[i] << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I64': { const a = aligned(b, 8); return Float32Array.from(new BigInt64Array(a.buffer, a.byteOffset, b.byteLength / 8), (v) => Number(v)); }
    case 'I32': { const a = aligned(b, 4); return Float32Array.from(new Int32Array(a.buffer, a.byteOffset, b.byteLength / 4)); }
    default: throw new WeightsError('bad-dtype', `cannot convert ${t.dtype} to float32`);
  }
}

/** Integer tensors (labels) as int32 values; accepts I64, I32 and integral floats. */
/** Integer values as int32, refusing any that int32 cannot hold (an I64 label of 2^40 must not wrap to 0). */
export function toInt32(t: HostTensor): Int32Array {
  if (t.dtype === 'I64') {
    const a = aligned(t.bytes, 8);
    const wide = new BigInt64Array(a.buffer, a.byteOffset, t.bytes.byteLength / 8);
    const bad = wide.findIndex((v) => v < -(2n ** 31n) || v >= 2n ** 31n);
    if (bad >= 0) throw new WeightsError('bad-dtype', `value ${wide[bad]} at index ${bad} does not fit in 32 bits`);
    return Int32Array.from(wide, (v) => Number(v));
  }
  if (t.dtype === 'I32') { const a = aligned(t.bytes, 4); return new Int32Array(a.buffer, a.byteOffset, t.bytes.byteLength / 4).slice(); }
  const f = toFloat32(t);
  const bad = f.findIndex((v) => !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31);
  if (bad >= 0) throw new WeightsError('bad-dtype', `expected 32-bit integer values, got ${f[bad]} at index ${bad}`);
  return Int32Array.from(f);
}

export interface TensorToWrite {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint16Array | Uint8Array;
}

/** Serialises tensors (in the given order) into a safetensors file. */
export function writeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count * DTYPE_BYTES[t.dtype] !== bytes.byteLength) throw new Error(`writeSafetensors: "${name}" has ${bytes.byteLength} bytes for shape [${t.shape}] ${t.dtype}`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.byteLength] };
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.byteLength + offset);
  new DataView(out.buffer).setUint32(0, jsonBytes.byteLength, true);
  out.set(jsonBytes, 8);
  let p = 8 + jsonBytes.byteLength;
  for (const part of parts) { out.set(part, p); p += part.byteLength; }
  return out;
}
