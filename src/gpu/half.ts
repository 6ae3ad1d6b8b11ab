/** float32 → IEEE half conversion (round to nearest even), for f16 weight storage. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32ToF16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-1 mantissa into place, rounding to nearest even.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rest > mid || (rest === mid && half & 1) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  // Rounding may carry into the exponent, which is still the right encoding (up to inf).
  return sign | (half + (rest > 0x1000 || (rest === 0x1000 && half & 1) ? 1 : 0));
}

/** Packs pairs of values into u32 words (element 2i in the low half), as unpack2x16float reads them. */
export function packHalves(data: Float32Array): Uint32Array {
  if (data.length % 2) throw new Error('packHalves needs an even number of values');
  const out = new Uint32Array(data.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = (f32ToF16Bits(data[2 * i]) | (f32ToF16Bits(data[2 * i + 1]) << 16)) >>> 0;
  return out;
}
