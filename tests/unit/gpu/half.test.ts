import { describe, expect, it } from 'vitest';
import { f32ToF16Bits, packHalves } from '../../../src/gpu/half.ts';
import { f16ToF32 } from '../../../src/weights/safetensors.ts';

describe('float32 → half', () => {
  it('round-trips every finite half exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00) continue; // inf / NaN checked below
      expect(f32ToF16Bits(f16ToF32(h))).toBe(h === 0x8000 ? 0x8000 : h);
    }
  });

  it('rounds to nearest, ties to even, and saturates to infinity', () => {
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even (1.0)
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(f32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(f32ToF16Bits(65520)).toBe(0x7c00);
    expect(f32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(f32ToF16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(f32ToF16Bits(2 ** -25)).toBe(0); // ties to even at the bottom of the subnormals
    expect(f32ToF16Bits(3 * 2 ** -25)).toBe(2);
  });

  it('packs pairs low half first', () => {
    expect(Array.from(packHalves(Float32Array.of(1, -2)))).toEqual([(0xc000 << 16 | 0x3c00) >>> 0]);
  });
});
