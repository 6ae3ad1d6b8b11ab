import { describe, expect, it } from 'vitest';
import { WeightsError } from '../../../src/weights/errors.ts';
import { MAX_HEADER_BYTES, openSafetensors, parseHeader, SafetensorsFile, toInt32, writeSafetensors } from '../../../src/weights/safetensors.ts';
import { bytesSource } from '../../../src/weights/source.ts';
import { recording } from '../../support/sources.ts';

/** A safetensors file from a header object given as-is, followed by `dataBytes` bytes. */
function fileWithHeader(header: unknown, dataBytes: number): Uint8Array {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.byteLength + dataBytes);
  new DataView(out.buffer).setUint32(0, json.byteLength, true);
  out.set(json, 8);
  return out;
}

const ok = { a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 16] }, b: { dtype: 'F16', shape: [3], data_offsets: [16, 22] } };

async function refusal(file: Uint8Array) {
  try {
    await openSafetensors(bytesSource(file, 'test.safetensors'));
  } catch (e) {
    expect(e).toBeInstanceOf(WeightsError);
    expect((e as Error).message).toMatch(/^test\.safetensors: /);
    return (e as WeightsError).code;
  }
  throw new Error('expected a refusal');
}

describe('safetensors header validation', () => {
  it('accepts a good header and reports absolute ranges', async () => {
    const h = await openSafetensors(bytesSource(fileWithHeader({ ...ok, __metadata__: { format: 'pt' } }, 22)));
    const json = JSON.stringify({ ...ok, __metadata__: { format: 'pt' } });
    expect(h.format).toBe('safetensors');
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.tensors.get('a')).toEqual({ name: 'a', dtype: 'F32', shape: [2, 2], begin: 8 + json.length, end: 8 + json.length + 16 });
    expect(h.tensors.get('b')!.end - h.tensors.get('b')!.begin).toBe(6);
  });

  it.each([
    ['not JSON', '{"a": ', 'bad-header'],
    ['not an object', '[1,2]', 'bad-header'],
    ['null', 'null', 'bad-header'],
    ['invalid UTF-8', Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d), 'bad-header'],
    ['entry not an object', { a: 3 }, 'bad-header'],
    ['unknown dtype', { a: { dtype: 'F8', shape: [1], data_offsets: [0, 1] } }, 'bad-header'],
    ['prototype key as dtype', { a: { dtype: 'constructor', shape: [1], data_offsets: [0, 1] } }, 'bad-header'],
    ['negative dim', { a: { dtype: 'U8', shape: [-1], data_offsets: [0, 1] } }, 'bad-header'],
    ['fractional dim', { a: { dtype: 'U8', shape: [1.5], data_offsets: [0, 1] } }, 'bad-header'],
    ['shape not a list', { a: { dtype: 'U8', shape: 4, data_offsets: [0, 4] } }, 'bad-header'],
    ['huge dims', { a: { dtype: 'U8', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 1] } }, 'bad-header'],
    ['one offset', { a: { dtype: 'U8', shape: [1], data_offsets: [0] } }, 'bad-header'],
    ['reversed offsets', { a: { dtype: 'U8', shape: [1], data_offsets: [2, 1] } }, 'bad-header'],
    ['size mismatch', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 'bad-header'],
    ['past the end', { a: { dtype: 'U8', shape: [100], data_offsets: [0, 100] } }, 'truncated'],
    ['overlap', { a: { dtype: 'U8', shape: [4], data_offsets: [0, 4] }, b: { dtype: 'U8', shape: [4], data_offsets: [2, 6] } }, 'bad-header'],
    ['metadata not strings', { __metadata__: { n: 1 } }, 'bad-header'],
    ['metadata not an object', { __metadata__: 'x' }, 'bad-header'],
  ])('refuses %s', async (_what, header, code) => {
    expect(await refusal(fileWithHeader(header, 32))).toBe(code);
  });

  it('allows empty tensors at the same offset', async () => {
    const h = await openSafetensors(bytesSource(fileWithHeader({ a: { dtype: 'F32', shape: [0], data_offsets: [0, 0] }, b: { dtype: 'F32', shape: [0, 3], data_offsets: [0, 0] } }, 0)));
    expect(h.tensors.size).toBe(2);
  });

  it('refuses files shorter than 8 bytes, headers past the end, and headers over the limit', async () => {
    expect(await refusal(new Uint8Array(5))).toBe('truncated');
    const f = fileWithHeader(ok, 22);
    expect(await refusal(f.subarray(0, 20))).toBe('truncated');
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(0, MAX_HEADER_BYTES + 1, true);
    expect(await refusal(huge)).toBe('bad-header');
    new DataView(huge.buffer).setUint32(4, 0xffffffff, true);
    expect(await refusal(huge)).toBe('bad-header');
  });

  it('reads only the length and the header, never tensor data', async () => {
    const file = writeSafetensors({ w: { dtype: 'F32', shape: [1000], data: new Float32Array(1000) } });
    const src = recording(bytesSource(file));
    const h = await openSafetensors(src);
    const dataStart = h.header.dataStart;
    expect(src.log.reads).toEqual([[0, 8], [8, dataStart]]);
  });

  it('agrees with SafetensorsFile on a written file', async () => {
    const file = writeSafetensors({
      x: { dtype: 'F32', shape: [3], data: new Float32Array([1, 2, 3]) },
      y: { dtype: 'I64', shape: [1], data: new BigInt64Array([5n]) },
    }, { k: 'v' });
    const h = await openSafetensors(bytesSource(file));
    const f = SafetensorsFile.fromBytes(file);
    expect(h.tensors).toEqual(f.header.tensors);
    expect(parseHeader(file, file.byteLength).metadata).toEqual({ k: 'v' });
  });
});

describe('integer tensors as int32 (labels)', () => {
  const file = (dtype: 'I64' | 'F32', data: BigInt64Array | Float32Array) =>
    SafetensorsFile.fromBytes(writeSafetensors({ y: { dtype, shape: [data.length], data } }));

  it('reads I64 labels that fit', () => {
    expect([...toInt32(file('I64', BigInt64Array.from([3n, 0n, 999n, 1000n])).raw('y'))]).toEqual([3, 0, 999, 1000]);
  });

  it('refuses an I64 label of 2^40 instead of wrapping it to 0', () => {
    expect(() => toInt32(file('I64', BigInt64Array.from([3n, 2n ** 40n])).raw('y'))).toThrow(/value 1099511627776 at index 1 does not fit in 32 bits/);
  });

  it('refuses float labels that are not 32-bit integers', () => {
    expect(() => toInt32(file('F32', Float32Array.from([1, 2.5])).raw('y'))).toThrow(/32-bit integer values, got 2.5 at index 1/);
    expect(() => toInt32(file('F32', Float32Array.from([2 ** 40])).raw('y'))).toThrow(/32-bit integer values/);
  });
});
