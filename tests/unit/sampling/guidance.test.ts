import { describe, expect, it } from 'vitest';
import { cfgCombine, splitModelOutput } from '../../reference/guidance.ts';

describe('cfgCombine', () => {
  // B = 1, C = 2 latent channels, HW = 2, learn sigma: 4 output channels per row.
  const cond = [1, 2, 3, 4, /* v */ 5, 6, 7, 8];
  const uncond = [0.5, 1, -1, 0, /* v */ 9, 10, 11, 12];
  const out = Float32Array.from([...cond, ...uncond]);

  it('guides channels < guided in both halves and passes the rest through per row', () => {
    // scale 3 on channel 0: uncond + 3 (cond - uncond) = [0.5 + 1.5, 1 + 3].
    expect([...cfgCombine(out, 1, 2, 2, 3, 1)]).toEqual([2, 4, 3, 4, 5, 6, 7, 8, 2, 4, -1, 0, 9, 10, 11, 12]);
  });

  it("'all' guides every eps channel but never the variance channels", () => {
    expect([...cfgCombine(out, 1, 2, 2, 3, 'all')]).toEqual([2, 4, 11, 12, 5, 6, 7, 8, 2, 4, 11, 12, 9, 10, 11, 12]);
  });

  it('pairs image b with row B + b', () => {
    // B = 2, C = 1, HW = 1, rows [eps, v]: cond0, cond1, uncond0, uncond1.
    const rows = Float32Array.from([1, 10, 2, 20, 0, 30, 4, 40]);
    // image 0: 0 + 2 (1 - 0) = 2; image 1: 4 + 2 (2 - 4) = 0.
    expect([...cfgCombine(rows, 2, 1, 1, 2, 'all')]).toEqual([2, 10, 0, 20, 2, 30, 0, 40]);
  });

  it('defaults to DiT\'s 3 guided channels and works on eps-only outputs', () => {
    const C = 4;
    const epsOnly = Float32Array.from({ length: 2 * C }, (_, j) => (j < C ? 1 : 0)); // cond all 1, uncond all 0
    expect([...cfgCombine(epsOnly, 1, C, 1, 4)]).toEqual([4, 4, 4, 1, 4, 4, 4, 0]);
  });

  it('scale 1 gives the conditional eps to both halves, scale 0 the unconditional one', () => {
    const r1 = cfgCombine(out, 1, 2, 2, 1, 'all');
    expect([...r1.subarray(8, 12)]).toEqual(cond.slice(0, 4));
    const r0 = cfgCombine(out, 1, 2, 2, 0, 'all');
    expect([...r0.subarray(0, 4)]).toEqual(uncond.slice(0, 4));
  });

  it('does float32 arithmetic step by step, like the reference tensors', () => {
    const c = Math.fround(1.1), u = Math.fround(0.3), scale = 4.5;
    const expected = Math.fround(u + Math.fround(Math.fround(scale) * Math.fround(c - u)));
    expect(cfgCombine(Float32Array.from([c, u]), 1, 1, 1, scale, 1)[0]).toBe(expected);
  });

  it('does not modify its input', () => {
    const copy = out.slice();
    cfgCombine(out, 1, 2, 2, 3, 'all');
    expect(out).toEqual(copy);
  });

  it('rejects bad arguments', () => {
    expect(() => cfgCombine(out, 1, 2, 2, 3, 3)).toThrow(/guided channels/);
    expect(() => cfgCombine(out, 1, 2, 2, 3, 1.5)).toThrow(/guided channels/);
    expect(() => cfgCombine(out.subarray(1), 1, 2, 2, 3, 1)).toThrow(/model output holds 15 values/);
  });
});

describe('splitModelOutput', () => {
  it('takes eps from the first C channels and v from the last C of every row', () => {
    const out = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // N = 2, C = 2, HW = 1
    const { eps, varValues } = splitModelOutput(out, 2, 1, 2);
    expect([...eps]).toEqual([1, 2, 5, 6]);
    expect([...varValues!]).toEqual([3, 4, 7, 8]);
  });

  it('treats a C-channel output as eps only', () => {
    const out = Float32Array.from([1, 2, 3, 4]);
    expect(splitModelOutput(out, 2, 2, 1)).toEqual({ eps: out, varValues: null });
  });
});
