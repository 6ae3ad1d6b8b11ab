/** The memory entries' dry run: the engine's real code on a null device, DiT-S/2 + SD-VAE at 256 px (XL is the bench's). */
import { describe, expect, it } from 'vitest';
import { generationPlan } from '../../bench/memory.ts';
import { vaeDecodeFlops, vaeDecoderShapes } from '../../bench/vae.ts';
import { presetConfig } from '../../../src/model/config.ts';
import { VAE_WORK_PER_SUBMIT } from '../../../src/engine/vae-runner.ts';

describe('generationPlan', () => {
  it('counts DiT and SD-VAE weights, sampling and the decode, and the second image with the decode still held', async () => {
    const limits = { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 };
    const c = presetConfig('DiT-S/2', 32);
    const f32 = await generationPlan(c, false, limits);
    const f16 = await generationPlan(c, true, limits);
    const vaeParams = Object.values(vaeDecoderShapes()).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    // f32 weights; the convs' output columns padded to 8 add a little (conv_out: 3 → 8).
    expect(f32.vaeWeightBytes / (4 * vaeParams)).toBeGreaterThanOrEqual(1);
    expect(f32.vaeWeightBytes / (4 * vaeParams)).toBeLessThan(1.01);
    expect(f16.vaeWeightBytes).toBe(f32.vaeWeightBytes);
    // Halves for the linear weights; embeddings, biases and norms stay f32.
    expect(f16.ditWeightBytes / f32.ditWeightBytes).toBeGreaterThan(0.5);
    expect(f16.ditWeightBytes / f32.ditWeightBytes).toBeLessThan(0.55);
    expect(f16.samplingBytes).toBe(f32.samplingBytes);
    expect(f16.decodeBytes).toBe(f32.decodeBytes);
    for (const p of [f32, f16]) {
      const weights = p.ditWeightBytes + p.vaeWeightBytes;
      expect(p.keptDecodeBytes).toBe(p.decodeBytes);
      expect(p.firstImagePeakBytes).toBe(weights + Math.max(p.samplingBytes, p.decodeBytes));
      expect(p.peakBytes).toBe(weights + p.keptDecodeBytes + p.samplingBytes);
    }
    // Three 256x256x256 f32 slots dominate the decode.
    expect(f32.decodeBytes).toBeGreaterThan(3 * 256 * 256 * 256 * 4);
    expect(f32.vaeBands).toEqual([32]);
    expect(f32.submitsPerStep).toBe(1);
    expect(f32.decodeSubmits).toBeGreaterThanOrEqual(Math.ceil(vaeDecodeFlops(256) / VAE_WORK_PER_SUBMIT));
  });
});
