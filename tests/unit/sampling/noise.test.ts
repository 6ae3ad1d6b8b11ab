import { describe, expect, it } from 'vitest';
import { cosSinOfTurn, gaussian, initialLatent, logOfUnitInterval, philox4x32_10, seededStepNoise } from '../../../src/sampling/noise.ts';

const hex = (words: Uint32Array) => [...words].map((w) => w.toString(16).padStart(8, '0')).join(' ');
const words = (text: string) => text.split(' ').map((h) => parseInt(h, 16));

describe('philox4x32_10', () => {
  // Random123 tests/kat_vectors, "philox4x32 10" lines: counter, key, expected output.
  it.each([
    ['00000000 00000000 00000000 00000000', '00000000 00000000', '6627e8d5 e169c58d bc57ac4c 9b00dbd8'],
    ['ffffffff ffffffff ffffffff ffffffff', 'ffffffff ffffffff', '408f276d 41c83b0e a20bc7c6 6d5451fd'],
    ['243f6a88 85a308d3 13198a2e 03707344', 'a4093822 299f31d0', 'd16cfe09 94fdcceb 5001e420 24126ea1'],
  ])('known answer: counter %s key %s', (counter, key, expected) => {
    expect(hex(philox4x32_10(words(counter), words(key)))).toBe(expected);
  });
});

describe('deterministic ln / cos / sin', () => {
  it('agree with Math.log/cos/sin to float64 accuracy', () => {
    let worstLog = 0, worstTrig = 0;
    for (let i = 0; i < 20000; i++) {
      // Spread over the whole range, including the ends and the powers of two.
      const v = i < 64 ? 2 ** (i % 33) + (i >= 33 ? 1 : 0) : 1 + Math.floor(((i * 2654435761) % 4294967296));
      const want = Math.log(v / 2 ** 32);
      worstLog = Math.max(worstLog, Math.abs(logOfUnitInterval(v) - want) / Math.max(1, Math.abs(want)));
      const y = (i * 2246822519) % 4294967296;
      const [c, s] = cosSinOfTurn(y);
      const angle = (2 * Math.PI * y) / 2 ** 32;
      worstTrig = Math.max(worstTrig, Math.abs(c - Math.cos(angle)), Math.abs(s - Math.sin(angle)));
    }
    expect(logOfUnitInterval(2 ** 32)).toBe(0);
    expect(logOfUnitInterval(1)).toBeCloseTo(-32 * Math.LN2, 14);
    expect(worstLog).toBeLessThan(4e-16);
    expect(worstTrig).toBeLessThan(1e-15); // the reference angle itself carries ~1 ulp of 2*pi
  });
});

describe('gaussian', () => {
  it('is a pure function of (seed, stream, index)', () => {
    const a = gaussian(7, 1000, 3);
    expect(gaussian(7, 1000, 3)).toEqual(a);
    expect(gaussian(7, 10, 3, 495)).toEqual(a.subarray(495, 505)); // offset not a multiple of 4
    expect(gaussian(7, 3, 3)).toEqual(a.subarray(0, 3));
  });

  it('differs between seeds and between streams', () => {
    const base = gaussian(1, 256, 0);
    for (const other of [gaussian(2, 256, 0), gaussian(1, 256, 1), gaussian(2 ** 32 + 1, 256, 0)]) {
      let same = 0;
      for (let i = 0; i < 256; i++) if (other[i] === base[i]) same++;
      expect(same).toBe(0);
    }
  });

  it('has zero mean, unit variance and a normal shape on 1e5 samples', () => {
    const n = 100_000;
    const x = gaussian(12345, n, 0);
    let sum = 0, sumSq = 0, sum3 = 0, sum4 = 0;
    for (const v of x) { sum += v; sumSq += v * v; sum3 += v ** 3; sum4 += v ** 4; }
    const mean = sum / n, variance = sumSq / n - mean * mean;
    // Standard errors: mean 1/sqrt(n) = 0.0032, variance sqrt(2/n) = 0.0045, skew sqrt(6/n), kurtosis sqrt(24/n).
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
    expect(Math.abs(sum3 / n)).toBeLessThan(0.04);
    expect(Math.abs(sum4 / n - 3)).toBeLessThan(0.08);
    // Normal CDF at a few points vs empirical frequencies (Phi values to 4 digits).
    for (const [q, phi] of [[-2, 0.0228], [-1, 0.1587], [0, 0.5], [0.5, 0.6915], [1.5, 0.9332]] as const) {
      const frac = x.filter((v) => v <= q).length / n;
      expect(Math.abs(frac - phi)).toBeLessThan(0.006);
    }
    // Neighbouring values (the Box-Muller pair) are uncorrelated.
    let lag1 = 0;
    for (let i = 0; i + 1 < n; i++) lag1 += x[i] * x[i + 1];
    expect(Math.abs(lag1 / n)).toBeLessThan(0.015);
  });

  it('golden values (a change here changes every seeded image)', () => {
    expect([...gaussian(42, 8, 0)]).toEqual(GOLDEN_SEED42_STREAM0);
    expect([...gaussian(2 ** 40 + 3, 6, 17, 1_000_001)]).toEqual(GOLDEN_BIG);
  });

  it('rejects bad arguments', () => {
    expect(() => gaussian(-1, 4)).toThrow(/seed/);
    expect(() => gaussian(1.5, 4)).toThrow(/seed/);
    expect(() => gaussian(1, 4, 2 ** 32)).toThrow(/stream/);
    expect(() => gaussian(1, -4)).toThrow(/count/);
  });
});

describe('seeded sampling noise', () => {
  it('draws z from stream 0 and step k from stream k + 1, independent of draw order', () => {
    const steps = seededStepNoise(5);
    const late = steps(9, 64);
    const early = steps(0, 64);
    expect(early).toEqual(gaussian(5, 64, 1));
    expect(late).toEqual(gaussian(5, 64, 10));
    expect(initialLatent(5, 64)).toEqual(gaussian(5, 64, 0));
    expect(seededStepNoise(5)(9, 64)).toEqual(late);
  });
});

// float32 values printed as float64 (exact).
const GOLDEN_SEED42_STREAM0 = [-0.9701898097991943, 0.19401895999908447, -1.2356207370758057, 1.9239267110824585, -0.07318150997161865, 0.13913749158382416, -1.106665015220642, 0.3266829550266266];
const GOLDEN_BIG = [-1.3046302795410156, -2.258279323577881, -0.8851373195648193, -2.0109241008758545, 1.2741453647613525, -0.5689760446548462];
