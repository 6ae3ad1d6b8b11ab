/** Programs submitted in pieces of bounded work: the split, and the real SD-VAE decode recorded on a null device. */
import { describe, expect, it } from 'vitest';
import { nullGpu } from '../../support/null-gpu.ts';
import { PipelineCache } from '../../../src/gpu/kernel.ts';
import { piecesByWork, Program } from '../../../src/gpu/program.ts';
import { Allocator } from '../../../src/gpu/tensor.ts';
import { recordVaeDecode } from '../../../src/model/vae.ts';
import { allocateVaeActivations } from '../../../src/model/vae-activations.ts';
import { planVaeDecode } from '../../../src/model/vae-bands.ts';
import { parseVaeConfig } from '../../../src/model/vae-config.ts';
import { uploadVaeWeights } from '../../../src/model/vae-weights.ts';
import { VAE_WORK_PER_SUBMIT } from '../../../src/engine/vae-runner.ts';
import { SD_VAE_CONFIG, vaeDecodeFlops, vaeDecoderShapes } from '../../bench/vae.ts';

describe('piecesByWork', () => {
  it('packs consecutive steps greedily; a step over the bound is alone with its free neighbours', () => {
    expect(piecesByWork([], 10)).toEqual([]);
    expect(piecesByWork([3, 3, 3, 3], 10)).toEqual([[0, 3], [3, 4]]);
    expect(piecesByWork([5, 5, 5], 10)).toEqual([[0, 2], [2, 3]]);
    expect(piecesByWork([0, 12, 0, 5, 5, 1, 0], 10)).toEqual([[0, 3], [3, 5], [5, 7]]);
    expect(piecesByWork([4, 0, 0, 4], 10)).toEqual([[0, 4]]);
    expect(piecesByWork([1, 2, 3], Infinity)).toEqual([[0, 3]]);
    expect(() => piecesByWork([1], 0)).toThrow(/positive/);
    expect(() => piecesByWork([1], NaN)).toThrow(/positive/);
  });
});

describe('the SD-VAE decode in pieces (recorded on a null device)', () => {
  it('at 256 px: the same work as one submission, no piece over the bound, every piece submitted', async () => {
    const counts = { dispatches: 0, submits: 0 };
    const gpu = nullGpu({ maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 }, counts);
    const alloc = new Allocator(gpu);
    const pipelines = new PipelineCache(gpu);
    const c = parseVaeConfig(SD_VAE_CONFIG);
    const shapes = vaeDecoderShapes();
    const weights = await uploadVaeWeights(alloc, {
      names: () => Object.keys(shapes), has: (n) => n in shapes, shape: (n) => shapes[n],
      float32: async (n) => new Float32Array(shapes[n].reduce((a, b) => a * b, 1)),
    }, c);
    const acts = allocateVaeActivations(alloc, c, planVaeDecode(c, 1, 32, 32, 2 ** 30));
    const record = (workPerSubmit?: number) => {
      const prog = new Program(gpu, pipelines, alloc, { workPerSubmit });
      recordVaeDecode(prog, weights, acts);
      return prog.finish();
    };

    const whole = record();
    // The convolutions (as the bench counts them), the attention's two products and its q|k|v and out projections.
    const tokens = 32 * 32;
    expect(whole.totalWork).toBe(vaeDecodeFlops(256) + 2 * 2 * tokens * tokens * 512 + 2 * tokens * 512 * (3 * 512 + 512));
    expect(whole.pieces()).toHaveLength(1);

    for (const bound of [VAE_WORK_PER_SUBMIT, 2e9]) {
      const split = record(bound);
      const pieces = split.pieces();
      expect(split.totalWork).toBe(whole.totalWork);
      expect(split.dispatchCount).toBeGreaterThan(whole.dispatchCount); // the large convs split by rows
      expect(Math.max(...pieces.map((p) => p.work))).toBeLessThanOrEqual(bound);
      expect(pieces.length).toBeGreaterThanOrEqual(Math.ceil(whole.totalWork / bound));
      expect(pieces.length).toBeLessThan(2 * Math.ceil(whole.totalWork / bound));
      const before = { ...counts };
      expect(await split.submitInPieces()).toBe(pieces.length);
      expect(counts.submits - before.submits).toBe(pieces.length);
      expect(counts.dispatches - before.dispatches).toBe(split.dispatchCount);
    }
  });
});
