/** Loads tests/fixtures/weights (real torch.save files) and reads tensors back as plain numbers. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { toFloat32 } from '../../src/weights/safetensors.ts';
import { bytesSource, type ByteSource } from '../../src/weights/source.ts';
import { streamTensors } from '../../src/weights/stream.ts';
import type { DType, TensorEntry } from '../../src/weights/tensor-entry.ts';
import { locateStoredData, readZipDirectory } from '../../src/weights/zip.ts';
import type { ZipInput } from './zip-writer.ts';

export const fixtureDir = fileURLToPath(new URL('../fixtures/weights/', import.meta.url));

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(fixtureDir + name));
}

export interface ExpectedTensor { dtype: DType; shape: number[]; values: number[] }
export type Expected = Record<string, Record<string, ExpectedTensor>>;
export const expected: Record<string, Record<string, ExpectedTensor | Record<string, ExpectedTensor>>> =
  JSON.parse(readFileSync(fixtureDir + 'torch-fixtures.json', 'utf8'));

/** A tensor's elements as JS numbers (exact for every dtype the fixtures use). */
export function values(dtype: DType, bytes: Uint8Array): number[] {
  const b = bytes.slice();
  switch (dtype) {
    case 'F32': return [...new Float32Array(b.buffer)];
    case 'F64': return [...new Float64Array(b.buffer)];
    case 'F16': case 'BF16': return [...toFloat32({ dtype, shape: [], bytes: b })];
    case 'I64': return [...new BigInt64Array(b.buffer)].map(Number);
    case 'I32': return [...new Int32Array(b.buffer)];
    case 'I16': return [...new Int16Array(b.buffer)];
    case 'I8': return [...new Int8Array(b.buffer)];
    case 'U8': case 'BOOL': return [...b];
  }
}

/** Streams every entry and returns its bytes by name. */
export async function readAll(source: ByteSource, entries: Iterable<TensorEntry>): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  await streamTensors(source, entries, (e, chunk, off) => {
    if (!out.has(e.name)) out.set(e.name, new Uint8Array(e.end - e.begin));
    out.get(e.name)!.set(chunk, off);
  }, { maxChunkBytes: 64 });
  return out;
}

/** The entries of a zip whose entries are all stored, for re-packing. */
export async function unzipStored(bytes: Uint8Array): Promise<ZipInput[]> {
  const src = bytesSource(bytes);
  const dir = await readZipDirectory(src);
  const at = await locateStoredData(src, dir, dir.entries);
  return dir.entries.map((e) => ({ name: e.name, data: bytes.slice(at.get(e)!.begin, at.get(e)!.end) }));
}
