import { describe, expect, it } from 'vitest';
import { gflops, median, ratio, relativeError, round, summarize } from '../../../src/engine/bench/stats.ts';

describe('bench stats', () => {
  it('takes medians of odd and even counts without reordering its input', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it('summarizes timings and refuses bad ones', () => {
    expect(summarize([3, 1, 2])).toEqual({ medianMs: 2, minMs: 1, maxMs: 3, runs: 3 });
    expect(() => summarize([1, NaN])).toThrow();
    expect(() => summarize([-1])).toThrow();
  });

  it('computes rates and ratios', () => {
    expect(gflops(2e9, 1000)).toBeCloseTo(2);
    expect(gflops(2 * 512 * 384 * 1536, 10)).toBeCloseTo(60.4, 1);
    expect(ratio(50, 10)).toBe(5);
  });

  it('measures relative error against the reference', () => {
    expect(relativeError([1, 2], [1, 2])).toBe(0);
    expect(relativeError([1.1, 0], [1, 0])).toBeCloseTo(0.1);
    expect(relativeError([NaN], [1])).toBe(Infinity);
    expect(relativeError([1], [1, 2])).toBe(Infinity);
    expect(relativeError([0], [0])).toBe(0);
  });

  it('rounds to 3 significant digits', () => {
    expect(round(1234.567)).toBe(1235);
    expect(round(12.3456)).toBe(12.3);
    expect(round(0.0123456)).toBe(0.0123);
    expect(round(0)).toBe(0);
  });
});
