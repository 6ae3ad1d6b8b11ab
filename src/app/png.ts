/**
 * A small PNG writer/reader: RGBA8 encoding (zlib through `CompressionStream` where the platform has
 * it, else stored blocks), text chunks (tEXt, or iTXt for non-Latin-1 text) inserted after IHDR, and
 * a chunk parser that checks every CRC.
 */

export const PNG_SIGNATURE = new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]);

export interface PngChunk {
  type: string;
  data: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO 3309, as PNG uses it) of several byte arrays, as if concatenated. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const bytes of parts) {
    for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  const MOD = 65521;
  for (let i = 0; i < bytes.length; ) {
    const end = Math.min(i + 5552, bytes.length);
    for (; i < end; i++) {
      a += bytes[i];
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

function typeBytes(type: string): Uint8Array {
  if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`bad PNG chunk type ${JSON.stringify(type)}`);
  return new Uint8Array([...type].map((c) => c.charCodeAt(0)));
}

/** One serialized chunk: length, type, data, CRC over type+data. */
export function encodeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  const tb = typeBytes(type);
  view.setUint32(0, data.length);
  out.set(tb, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(tb, data));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Splits a PNG into its chunks. Throws on a bad signature, a truncated chunk or a CRC mismatch. */
export function parsePngChunks(png: Uint8Array): PngChunk[] {
  if (png.length < 8 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) throw new Error('not a PNG (bad signature)');
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks: PngChunk[] = [];
  let o = 8;
  while (o < png.length) {
    if (o + 12 > png.length) throw new Error(`truncated PNG chunk at byte ${o}`);
    const len = view.getUint32(o);
    if (o + 12 + len > png.length) throw new Error(`truncated PNG chunk at byte ${o}`);
    const tb = png.subarray(o + 4, o + 8);
    const type = String.fromCharCode(...tb);
    const data = png.subarray(o + 8, o + 8 + len);
    const crc = view.getUint32(o + 8 + len);
    if (crc !== crc32(tb, data)) throw new Error(`CRC mismatch in PNG chunk ${type}`);
    chunks.push({ type, data });
    o += 12 + len;
    if (type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR') throw new Error('PNG does not start with IHDR');
  if (chunks[chunks.length - 1].type !== 'IEND') throw new Error('PNG has no IEND');
  return chunks;
}

function isLatin1(s: string): boolean {
  // Latin-1 printable text; tEXt allows newlines too.
  return /^[\n\x20-\x7e\xa0-\xff]*$/.test(s);
}

/**
 * A text chunk: tEXt when keyword and text are Latin-1, iTXt (uncompressed UTF-8) otherwise.
 * Keywords are 1-79 printable Latin-1 characters without leading/trailing/double spaces.
 */
export function textChunk(keyword: string, text: string): PngChunk {
  if (!/^[\x21-\x7e\xa1-\xff](?:[\x20-\x7e\xa1-\xff]{0,77}[\x21-\x7e\xa1-\xff])?$/.test(keyword) || keyword.includes('  ')) {
    throw new Error(`bad PNG text keyword ${JSON.stringify(keyword)}`);
  }
  const kw = Uint8Array.from(keyword, (c) => c.charCodeAt(0));
  if (isLatin1(text)) {
    const body = Uint8Array.from(text, (c) => c.charCodeAt(0));
    return { type: 'tEXt', data: concat([kw, new Uint8Array([0]), body]) };
  }
  // iTXt: keyword \0 compression-flag(0) compression-method(0) language-tag \0 translated-keyword \0 text
  const body = new TextEncoder().encode(text);
  return { type: 'iTXt', data: concat([kw, new Uint8Array([0, 0, 0, 0, 0]), body]) };
}

/** Reads tEXt and uncompressed iTXt chunks into a keyword -> text map (first occurrence wins). */
export function readPngText(png: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { type, data } of parsePngChunks(png)) {
    if (type !== 'tEXt' && type !== 'iTXt') continue;
    const nul = data.indexOf(0);
    if (nul < 1) continue;
    const keyword = String.fromCharCode(...data.subarray(0, nul));
    if (keyword in out) continue;
    if (type === 'tEXt') {
      out[keyword] = Array.from(data.subarray(nul + 1), (b) => String.fromCharCode(b)).join('');
    } else {
      const compressed = data[nul + 1];
      if (compressed !== 0) continue;
      let o = nul + 3;
      o = data.indexOf(0, o) + 1; // language tag
      o = data.indexOf(0, o) + 1; // translated keyword
      if (o <= 0) continue;
      out[keyword] = new TextDecoder().decode(data.subarray(o));
    }
  }
  return out;
}

/** Returns a copy of `png` with text chunks for `entries` inserted right after IHDR. */
export function insertTextChunks(png: Uint8Array, entries: Record<string, string>): Uint8Array {
  const chunks = parsePngChunks(png);
  const text = Object.entries(entries).map(([k, v]) => textChunk(k, v));
  return assemble([chunks[0], ...text, ...chunks.slice(1)]);
}

function assemble(chunks: PngChunk[]): Uint8Array {
  return concat([PNG_SIGNATURE, ...chunks.map((c) => encodeChunk(c.type, c.data))]);
}

/** zlib stream with stored (uncompressed) deflate blocks. */
export function zlibStored(data: Uint8Array): Uint8Array {
  const blocks = Math.max(1, Math.ceil(data.length / 65535));
  const out = new Uint8Array(2 + data.length + blocks * 5 + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let o = 2;
  for (let b = 0; b < blocks; b++) {
    const start = b * 65535;
    const len = Math.min(65535, data.length - start);
    out[o++] = b === blocks - 1 ? 1 : 0;
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(data.subarray(start, start + len), o);
    o += len;
  }
  new DataView(out.buffer).setUint32(o, adler32(data));
  return out;
}

async function zlibDeflate(data: Uint8Array): Promise<Uint8Array> {
  if (typeof CompressionStream === 'function') {
    try {
      const stream = new Blob([data as BlobPart]).stream().pipeThrough(new CompressionStream('deflate'));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch {
      // fall through to stored blocks
    }
  }
  return zlibStored(data);
}

export interface RgbaImage {
  width: number;
  height: number;
  /** width*height*4 bytes, row-major, not premultiplied. */
  rgba: Uint8Array | Uint8ClampedArray;
}

/**
 * Encodes an RGBA8 image as PNG (with the "Sub" filter on every row), plus optional text chunks;
 * `alpha: false` writes 8-bit RGB (the alpha bytes are dropped).
 */
export async function encodePng(image: RgbaImage, text: Record<string, string> = {}, opts: { alpha?: boolean } = {}): Promise<Uint8Array> {
  const { width, height, rgba } = image;
  if (!(width > 0 && height > 0) || rgba.length !== width * height * 4) {
    throw new Error(`bad image: ${width}x${height} with ${rgba.length} bytes`);
  }
  const bpp = opts.alpha === false ? 3 : 4;
  const stride = width * bpp;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const dst = y * (stride + 1);
    raw[dst] = 1; // Sub
    for (let x = 0; x < stride; x++) {
      const px = Math.floor(x / bpp);
      const c = x % bpp;
      const cur = rgba[(y * width + px) * 4 + c];
      const left = px > 0 ? rgba[(y * width + px - 1) * 4 + c] : 0;
      raw[dst + 1 + x] = (cur - left) & 0xff;
    }
  }
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr[8] = 8; // bit depth
  ihdr[9] = bpp === 4 ? 6 : 2; // RGBA or RGB
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // no interlace
  const idat = await zlibDeflate(raw);
  return assemble([
    { type: 'IHDR', data: ihdr },
    ...Object.entries(text).map(([k, val]) => textChunk(k, val)),
    { type: 'IDAT', data: idat },
    { type: 'IEND', data: new Uint8Array(0) },
  ]);
}

/** Decodes the pixels of a PNG this module wrote (RGBA8 or RGB8, any filter, non-interlaced) as RGBA. For tests. */
export async function decodeRgbaPng(png: Uint8Array): Promise<RgbaImage> {
  const chunks = parsePngChunks(png);
  const ihdr = new DataView(chunks[0].data.buffer, chunks[0].data.byteOffset, 13);
  const width = ihdr.getUint32(0);
  const height = ihdr.getUint32(4);
  const colorType = chunks[0].data[9];
  if (chunks[0].data[8] !== 8 || (colorType !== 6 && colorType !== 2) || chunks[0].data[12] !== 0) throw new Error('only RGBA8 / RGB8 non-interlaced');
  const bpp = colorType === 6 ? 4 : 3;
  const idat = concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const stream = new Blob([idat as BlobPart]).stream().pipeThrough(new DecompressionStream('deflate'));
  const raw = new Uint8Array(await new Response(stream).arrayBuffer());
  const stride = width * bpp;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const r = raw[y * (stride + 1) + 1 + x];
      const a = x >= bpp ? pixels[y * stride + x - bpp] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= bpp && y > 0 ? pixels[(y - 1) * stride + x - bpp] : 0;
      let p = 0;
      if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) {
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[y * stride + x] = (r + p) & 0xff;
    }
  }
  if (bpp === 4) return { width, height, rgba: pixels };
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    out.set(pixels.subarray(i * 3, i * 3 + 3), i * 4);
    out[i * 4 + 3] = 255;
  }
  return { width, height, rgba: out };
}
