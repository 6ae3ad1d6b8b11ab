/** The bench's FLOP counts and argument parsing (the timings themselves need a browser). */
import { describe, expect, it } from 'vitest';
import { presetConfig } from '../../../src/model/config.ts';
import { ditForwardFlops } from '../../../src/engine/bench/entries.ts';
import { parseBenchArgs } from '../../bench/main.ts';
import { benchTable as table } from '../../../src/engine/bench/report.ts';
import { vaeDecoderShapes } from '../../bench/vae.ts';

describe('bench model math', () => {
  it('counts DiT forward FLOPs as the paper does (its Gflops are multiply-adds)', () => {
    // Peebles & Xie, Table 4: DiT-S/2 6.06, DiT-XL/2 118.64 Gflops at 256 px.
    expect(ditForwardFlops(presetConfig('DiT-S/2')) / 2 / 1e9).toBeCloseTo(6.06, 1);
    expect(ditForwardFlops(presetConfig('DiT-XL/2')) / 2 / 1e9).toBeCloseTo(118.6, 0);
  });

  it('lists the SD-VAE decoder with its known size', () => {
    const params = Object.values(vaeDecoderShapes()).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    expect(params / 1e6).toBeCloseTo(49.49, 1); // decoder + post_quant_conv of AutoencoderKL (sd-vae-ft-mse)
  });
});

describe('bench arguments', () => {
  it('defaults to 3 timed runs after 1 warm-up', () => {
    expect(parseBenchArgs([])).toMatchObject({ quick: false, full: false, runs: 3, warmup: 1, json: null, only: [] });
    expect(parseBenchArgs(['--quick', '--json', 'r.json', '--only', 'matmul,attention'])).toMatchObject({ quick: true, json: 'r.json', only: ['matmul', 'attention'] });
  });

  it('refuses what it does not know and fewer than 3 runs', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown option/);
    expect(() => parseBenchArgs(['--runs', '2'])).toThrow(/≥ 3/);
    expect(() => parseBenchArgs(['--quick', '--full'])).toThrow();
    expect(() => parseBenchArgs(['--json'])).toThrow(/needs a value/);
  });

  it('prints a markdown table with the peer check', () => {
    const t = table([{ name: 'x', measures: '', ours_ms: 2, ort_webgpu_ms: 10, ratio_webgpu: 5, peer_check: { webgpu: { ok: true, rel_err: 1e-6 }, wasm: { ok: false, rel_err: null, error: 'boom' } } }]);
    expect(t.split('\n')).toHaveLength(3);
    expect(t).toContain('| x | 2 | 10 |  | 5 |');
    expect(t).toContain('ORT wasm failed: boom');
  });

  it('notes the VAE decode\'s memory and the memory entries\' f32 / f16 peaks and VAE bands', () => {
    const t = table([
      { name: 'vae-decode-256px', measures: '', ours_ms: 9, gflops: 1.5, peak_gpu_mib: 398, vae_weights_mib: 188.8, decode_activations_mib: 209.2, dispatches: 190, submits: 55 },
      { name: 'memory-dit-xl2-512px-cfg', measures: '', f32_peak_mib: 3745, f32_weights_mib: 2767.6, f32_activations_mib: 977.4, f16_peak_mib: 2461, f16_weights_mib: 1483.6, vae_bands: 1, vae_bands_128mib: 2 },
    ]);
    expect(t).toContain('1.5 GFLOP/s; 190 dispatches, 55 submits; peak GPU 398 MiB (weights 188.8, decode 209.2)');
    expect(t).toContain('DiT + VAE peak: f32 3745 MiB (weights 2767.6, activations 977.4), f16 DiT weights 2461 MiB (weights 1483.6); VAE bands: 1 under the adapter\'s limit, 2 under 128 MiB');
  });
});

describe('f16 weights of the XL entry', () => {
  it('rounds float32 to half as IEEE does', async () => {
    const { toHalf } = await import('../../bench/forward.ts');
    const { f16ToF32 } = await import('../../../src/weights/safetensors.ts');
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0)).toBe(0);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(2 ** -24)).toBe(1); // smallest subnormal
    for (const v of [0.1, -3.14159, 1e-5, 6.1e-5, 123.456, 0.33333]) {
      expect(Math.abs(f16ToF32(toHalf(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
    }
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });
});
