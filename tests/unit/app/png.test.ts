import { describe, expect, it } from 'vitest';
import {
  crc32,
  decodeRgbaPng,
  encodePng,
  insertTextChunks,
  parsePngChunks,
  readPngText,
  textChunk,
  zlibStored,
} from '../../../src/app/png';

function gradient(w: number, h: number): Uint8Array {
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      rgba.set([(x * 255) / (w - 1), (y * 255) / (h - 1), (x * y) & 255, 255 - ((x + y) & 7)], i);
    }
  return rgba;
}

/** Independent chunk walker: checks lengths and CRCs with its own CRC-32 (bitwise, no table). */
function walkChunks(png: Uint8Array): { type: string; data: Uint8Array }[] {
  const crc = (bytes: Uint8Array) => {
    let c = ~0;
    for (const b of bytes) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
  };
  expect([...png.subarray(0, 8)]).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
  const out = [];
  const dv = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let o = 8; o < png.length; ) {
    const len = dv.getUint32(o);
    const typeAndData = png.subarray(o + 4, o + 8 + len);
    expect(dv.getUint32(o + 8 + len)).toBe(crc(typeAndData));
    out.push({ type: String.fromCharCode(...typeAndData.subarray(0, 4)), data: typeAndData.subarray(4) });
    o += 12 + len;
  }
  return out;
}

const PARAMS = {
  class_id: '281',
  class_name: 'tabby, tabby cat',
  cfg_scale: '4',
  steps: '50',
  sampler: 'ddim',
  seed: '42',
  model: 'DiT-XL/2 256',
};

describe('png', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    // Split input gives the same CRC as the whole.
    const all = new TextEncoder().encode('IENDhello');
    expect(crc32(all.subarray(0, 4), all.subarray(4))).toBe(crc32(all));
  });

  it('encodes an RGBA image with text chunks that parse back with valid CRCs', async () => {
    const rgba = gradient(37, 19);
    const png = await encodePng({ width: 37, height: 19, rgba }, PARAMS);
    const chunks = walkChunks(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', ...Object.keys(PARAMS).map(() => 'tEXt'), 'IDAT', 'IEND']);
    const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset);
    expect([ihdr.getUint32(0), ihdr.getUint32(4), chunks[0].data[8], chunks[0].data[9]]).toEqual([37, 19, 8, 6]);
    // tEXt: keyword NUL text, Latin-1.
    const t = chunks[1].data;
    expect(String.fromCharCode(...t)).toBe('class_id\u0000281');
    expect(readPngText(png)).toEqual(PARAMS);
    expect(parsePngChunks(png).map((c) => c.type)).toEqual(chunks.map((c) => c.type));
    const decoded = await decodeRgbaPng(png);
    expect(decoded.width).toBe(37);
    expect(decoded.height).toBe(19);
    expect(Buffer.from(decoded.rgba).equals(Buffer.from(rgba))).toBe(true);
  });

  it('inserts text chunks after IHDR of an existing PNG (e.g. canvas.toBlob output)', async () => {
    const plain = await encodePng({ width: 4, height: 4, rgba: gradient(4, 4) });
    expect(readPngText(plain)).toEqual({});
    const withText = insertTextChunks(plain, PARAMS);
    const types = walkChunks(withText).map((c) => c.type);
    expect(types[0]).toBe('IHDR');
    expect(types.slice(1, 1 + 7)).toEqual(Array(7).fill('tEXt'));
    expect(types.at(-1)).toBe('IEND');
    expect(readPngText(withText)).toEqual(PARAMS);
    expect((await decodeRgbaPng(withText)).rgba).toEqual((await decodeRgbaPng(plain)).rgba);
  });

  it('uses iTXt for text outside Latin-1', async () => {
    const png = await encodePng({ width: 1, height: 1, rgba: new Uint8Array([1, 2, 3, 4]) }, { note: 'café ☕ 猫' });
    const types = walkChunks(png).map((c) => c.type);
    expect(types).toContain('iTXt');
    expect(readPngText(png)).toEqual({ note: 'café ☕ 猫' });
    expect(textChunk('k', 'café').type).toBe('tEXt');
  });

  it('rejects bad keywords, corrupted chunks and non-PNG data', async () => {
    expect(() => textChunk('', 'x')).toThrow();
    expect(() => textChunk(' lead', 'x')).toThrow();
    expect(() => textChunk('x'.repeat(80), 'x')).toThrow();
    const png = await encodePng({ width: 2, height: 2, rgba: gradient(2, 2) }, { a: 'b' });
    const bad = png.slice();
    bad[8 + 8 + 3] ^= 1; // a byte of IHDR data
    expect(() => parsePngChunks(bad)).toThrow(/CRC mismatch in PNG chunk IHDR/);
    expect(() => parsePngChunks(new Uint8Array([1, 2, 3]))).toThrow(/signature/);
    expect(() => parsePngChunks(png.subarray(0, png.length - 6))).toThrow(/truncated/);
  });

  it('writes valid stored zlib streams, including multi-block ones', async () => {
    for (const n of [0, 10, 65535, 70000]) {
      const data = new Uint8Array(n).map((_, i) => (i * 7) & 255);
      const z = zlibStored(data);
      const out = new Uint8Array(
        await new Response(new Blob([z as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'))).arrayBuffer(),
      );
      expect(out.length).toBe(n);
      expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    }
  });
});
