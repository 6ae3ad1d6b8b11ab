/** The previous, plain-JS streaming SHA-256 of src/weights/sha256.ts, kept beside the wasm one it lost to (tests/bench/sha256-bench.ts).
 *
 * Incremental SHA-256 (FIPS 180-4). WebCrypto only hashes a whole buffer at once, and a
 * multi-GB download must be verified as it streams past, so this one takes bytes in pieces.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export class Sha256 {
  private readonly h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  private readonly w = new Uint32Array(64);
  /** Bytes of an incomplete block carried over to the next update. */
  private readonly tail = new Uint8Array(64);
  private tailLength = 0;
  private totalBytes = 0;
  private finished = false;

  update(bytes: Uint8Array): this {
    if (this.finished) throw new Error('Sha256: update after digest');
    this.totalBytes += bytes.byteLength;
    let i = 0;
    if (this.tailLength > 0) {
      const take = Math.min(64 - this.tailLength, bytes.byteLength);
      this.tail.set(bytes.subarray(0, take), this.tailLength);
      this.tailLength += take;
      i = take;
      if (this.tailLength < 64) return this;
      this.blocks(this.tail, 0, 1);
      this.tailLength = 0;
    }
    const whole = Math.floor((bytes.byteLength - i) / 64);
    if (whole > 0) this.blocks(bytes, i, whole);
    i += whole * 64;
    this.tail.set(bytes.subarray(i), 0);
    this.tailLength = bytes.byteLength - i;
    return this;
  }

  digest(): Uint8Array {
    if (!this.finished) {
      const bits = this.totalBytes * 8;
      const padLength = this.tailLength < 56 ? 64 - this.tailLength : 128 - this.tailLength;
      const pad = new Uint8Array(padLength);
      pad[0] = 0x80;
      const dv = new DataView(pad.buffer);
      dv.setUint32(padLength - 8, Math.floor(bits / 2 ** 32));
      dv.setUint32(padLength - 4, bits >>> 0);
      this.update(pad);
      this.finished = true;
    }
    const out = new Uint8Array(32);
    const dv = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) dv.setUint32(i * 4, this.h[i]);
    return out;
  }

  hex(): string {
    return Array.from(this.digest(), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  private blocks(bytes: Uint8Array, offset: number, count: number): void {
    const w = this.w;
    const h = this.h;
    for (let b = 0; b < count; b++, offset += 64) {
      for (let t = 0, p = offset; t < 16; t++, p += 4) w[t] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
      for (let t = 16; t < 64; t++) {
        const x = w[t - 15];
        const y = w[t - 2];
        const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
        const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      let a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
      for (let t = 0; t < 64; t++) {
        const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
        const ch = (e & f) ^ (~e & g);
        const t1 = (hh + S1 + ch + K[t] + w[t]) | 0;
        const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
        const maj = (a & bb) ^ (a & c) ^ (bb & c);
        const t2 = (S0 + maj) | 0;
        hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = bb; bb = a; a = (t1 + t2) | 0;
      }
      h[0] += a; h[1] += bb; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
    }
  }
}

/** A 64-hex-digit string: what an LFS ETag is when it is the file's sha256. */
export function isSha256Hex(s: string | undefined): s is string {
  return s !== undefined && /^[0-9a-f]{64}$/i.test(s);
}
