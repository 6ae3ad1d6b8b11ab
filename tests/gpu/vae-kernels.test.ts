/**
 * The VAE kernels against their CPU references (tests/reference/vae-ops.ts), on shapes that are not
 * multiples of the tiles (conv: 4 pixels x 8 channels per invocation, 32 x 64 per workgroup;
 * attention: 4 x 4, 32 x 32), whole and split into row bands (banded differently on input and
 * output where the kernel allows it), with outputs poisoned (NaN) before the kernel runs.
 */
import { describe, expect, it } from 'vitest';
import { LATENT_RGB_BIAS, LATENT_RGB_MATRIX } from '../../src/model/latent-preview.ts';
import type { KernelResult, KernelRun } from '../support/lab/lab.ts';
import * as ref from '../reference/vae-ops.ts';
import { expectClose } from '../support/compare.ts';
import { useBrowserHost } from '../support/gpu-host.ts';
import { randn } from '../support/random.ts';

const host = useBrowserHost();
const run = (r: KernelRun) => host().api.lab.runKernel(r);
const f32 = (shape: number[], seed: number, scale = 1) => ({ shape, data: randn(seed, shape.reduce((a, b) => a * b, 1), scale) });
const words = (data: Float32Array) => new Uint32Array(data.buffer, data.byteOffset, data.length);

describe('conv2d', () => {
  interface Case { B: number; Cin: number; Cout: number; H: number; W: number; k: 1 | 3; upsample?: boolean; residual?: boolean; inBands?: string; outBands?: string }
  const cases: Case[] = [
    { B: 2, Cin: 5, Cout: 11, H: 7, W: 9, k: 3 },
    { B: 1, Cin: 13, Cout: 70, H: 5, W: 13, k: 3, residual: true },
    { B: 2, Cin: 6, Cout: 3, H: 4, W: 6, k: 1 },
    { B: 1, Cin: 9, Cout: 4, H: 3, W: 5, k: 1, residual: true, inBands: '1,2', outBands: '2,1' },
    { B: 1, Cin: 4, Cout: 9, H: 3, W: 5, k: 3, upsample: true },
    { B: 2, Cin: 7, Cout: 10, H: 6, W: 5, k: 3, residual: true, inBands: '2,1,3', outBands: '4,2' },
    { B: 1, Cin: 3, Cout: 17, H: 5, W: 3, k: 3, upsample: true, inBands: '1,2,2', outBands: '3,4,3' },
    { B: 2, Cin: 5, Cout: 8, H: 4, W: 7, k: 3, upsample: true, residual: true, inBands: '1,1,1,1', outBands: '2,2,2,2' },
  ];
  for (const c of cases) {
    const what = `${c.k}x${c.k} B=${c.B} ${c.Cin}→${c.Cout} ${c.H}x${c.W}${c.upsample ? ' upsampled' : ''}${c.residual ? ' + residual' : ''}${c.inBands ? ` bands in ${c.inBands} out ${c.outBands}` : ''}`;
    it(what, async () => {
      const s = c.upsample ? 2 : 1;
      const [Ho, Wo] = [c.H * s, c.W * s];
      const x = f32([c.B, c.Cin, c.H, c.W], c.Cin * 7 + c.H);
      const w = f32([c.Cout, c.Cin, c.k, c.k], c.Cout + 3, 1 / Math.sqrt(c.Cin * c.k * c.k));
      const b = f32([c.Cout], c.Cout * 5);
      const residual = c.residual ? f32([c.B, c.Cout, Ho, Wo], 77) : undefined;
      const res = await run({
        kernel: 'conv2d', inputs: { x, w, b, ...(residual ? { residual } : {}) }, outputs: { y: [c.B, c.Cout, Ho, Wo] },
        params: { B: c.B, Cin: c.Cin, Cout: c.Cout, H: c.H, W: c.W, k: c.k, upsample: c.upsample ? 1 : 0, ...(c.inBands ? { inBands: c.inBands, outBands: c.outBands! } : {}) },
      });
      const input = c.upsample ? ref.upsampleNearest2x(x.data, c.B, c.Cin, c.H, c.W) : x.data;
      const want = ref.conv2d(input, w.data, b.data, c.B, c.Cin, Ho, Wo, c.Cout, c.k);
      if (residual) want.forEach((v, i) => (want[i] = v + residual.data[i]));
      expectClose(res.outputs.y.data, want, 1e-4, 1e-5);
    });
  }
});

describe('group norm (statistics over row bands, optional SiLU)', () => {
  interface Case { B: number; C: number; G: number; H: number; W: number; silu?: boolean; bands?: string; chunk?: number; inPlace?: boolean; tokens?: boolean; offset?: number }
  const cases: Case[] = [
    { B: 2, C: 12, G: 4, H: 5, W: 7, silu: true },
    { B: 1, C: 10, G: 5, H: 5, W: 3, bands: '2,3', chunk: 9, offset: 40 },
    { B: 3, C: 8, G: 2, H: 5, W: 4, silu: true, bands: '1,1,3', chunk: 13, inPlace: true },
    { B: 2, C: 6, G: 3, H: 5, W: 3, bands: '3,2', tokens: true },
    { B: 1, C: 64, G: 8, H: 9, W: 11, silu: true, bands: '4,5' },
  ];
  for (const c of cases) {
    const what = `B=${c.B} C=${c.C} G=${c.G} ${c.H}x${c.W}${c.silu ? ' + SiLU' : ''}${c.bands ? ` bands ${c.bands}` : ''}${c.chunk ? ` chunks of ${c.chunk}` : ''}${c.inPlace ? ' in place' : ''}${c.tokens ? ' → tokens' : ''}${c.offset ? ` mean ${c.offset}` : ''}`;
    it(what, async () => {
      const x = f32([c.B, c.C, c.H, c.W], c.C + c.H, 2);
      x.data.forEach((v, i) => (x.data[i] = v + (c.offset ?? 0) + (Math.floor(i / (c.H * c.W)) % 3)));
      const gamma = { shape: [c.C], data: randn(5, c.C, 0.3).map((v) => 1 + v) };
      const beta = f32([c.C], 6, 0.2);
      const outShape = c.tokens ? [c.B * c.H * c.W, c.C] : [c.B, c.C, c.H, c.W];
      const res = await run({
        kernel: 'groupNorm', inputs: { x, gamma, beta }, outputs: { y: outShape },
        params: {
          B: c.B, C: c.C, G: c.G, H: c.H, W: c.W, silu: c.silu ? 1 : 0, inPlace: c.inPlace ? 1 : 0, layout: c.tokens ? 'tokens' : 'nchw',
          ...(c.bands ? { bands: c.bands } : {}), ...(c.chunk ? { chunk: c.chunk } : {}),
        },
      });
      let want = ref.groupNorm(x.data, gamma.data, beta.data, c.B, c.C, c.H, c.W, c.G, { silu: c.silu });
      if (c.tokens) want = ref.nchwToTokens(want, c.B, c.C, c.H, c.W);
      expectClose(res.outputs.y.data, want, 1e-4, 2e-5);
    });
  }
});

describe('single-head attention (head dim = channels)', () => {
  const cases: [number, number, number, number][] = [[2, 17, 24, 17], [1, 70, 36, 33], [1, 40, 64, 40], [3, 5, 7, 2]];
  for (const [B, N, C, queryChunk] of cases) {
    it(`B=${B} N=${N} C=${C}, query chunks of ${queryChunk}`, async () => {
      const qkv = f32([B * N, 3 * C], N + C, 1.2);
      const res = await run({ kernel: 'singleHeadAttention', inputs: { qkv }, outputs: { o: [B * N, C] }, params: { B, N, C, queryChunk } });
      expectClose(res.outputs.o.data, ref.singleHeadAttention(qkv.data, B, N, C), 1e-4, 1e-5);
    });
  }
});

describe('layout and image kernels', () => {
  it('tokens → NCHW bands, plus the residual', async () => {
    const [B, C, H, W] = [2, 5, 3, 7];
    const tokens = f32([B * H * W, C], 3);
    const residual = f32([B, C, H, W], 4);
    const res = await run({ kernel: 'tokensToNchw', inputs: { tokens, residual }, outputs: { out: [B, C, H, W] }, params: { B, C, H, W, bands: '2,1' } });
    const want = ref.tokensToNchw(tokens.data, B, C, H, W).map((v, i) => v + residual.data[i]);
    expectClose(res.outputs.out.data, want, 1e-6, 1e-7);
  });

  // Pixels whose exact value sits within float32 rounding of a .5 byte boundary may round either way.
  const expectPixels = (got: Uint32Array, want: Uint32Array, channelValue: (pixel: number, channel: number) => number) => {
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      if (got[i] === want[i]) continue;
      for (let c = 0; c < 4; c++) {
        const g = (got[i] >>> (8 * c)) & 255;
        const w = (want[i] >>> (8 * c)) & 255;
        if (g === w) continue;
        const exact = c === 3 ? 255 : 255 * Math.min(1, Math.max(0, channelValue(i, c) / 2 + 0.5));
        const nearTie = Math.abs((exact % 1) - 0.5) < 1e-4;
        if (!(nearTie && Math.abs(g - w) === 1)) expect.fail(`pixel ${i} channel ${c}: got ${g}, expected ${w} (exact ${exact})`);
      }
    }
  };

  it('image [-1, 1] → RGBA8 over row bands, clamped, alpha 255', async () => {
    const [B, C, H, W] = [2, 3, 5, 6];
    const image = f32([B, C, H, W], 9, 0.9);
    image.data[0] = 1; image.data[1] = -1; image.data[2] = 7; image.data[3] = -3; image.data[4] = 0;
    const res = await run({ kernel: 'toRgba', inputs: { image }, outputs: { rgba: [B, H, W] }, params: { B, C, H, W, bands: '3,2' } });
    const got = words(res.outputs.rgba.data);
    expectPixels(got, ref.toRgba(image.data, B, C, H, W), (i, c) => image.data[(Math.floor(i / (H * W)) * C + c) * H * W + (i % (H * W))]);
    expect(got[0] & 255).toBe(255); // 1 → 255
    expect(got[1] & 255).toBe(0); // -1 → 0
    expect(got[4] & 255).toBe(128); // 0 → round(127.5) = 128
    expect(got.every((p) => p >>> 24 === 255)).toBe(true);
  });

  for (const up of [1, 3]) {
    it(`latent preview (linear latent → RGB) at ${up === 1 ? 'latent size' : `${up}x nearest upscale`}`, async () => {
      const [B, h, w] = [2, 3, 5];
      const latent = f32([B, 4, h, w], 21 + up, 1.3);
      const res = await run({ kernel: 'latentPreview', inputs: { latent }, outputs: { rgba: [B, h * up, w * up] }, params: { B, h, w, up } });
      const want = ref.latentPreview(latent.data, B, h, w, up, LATENT_RGB_MATRIX, LATENT_RGB_BIAS);
      expectPixels(words(res.outputs.rgba.data), want, (i, c) => {
        const W = w * up;
        const n = Math.floor(i / (h * up * W));
        const src = n * 4 * h * w + Math.floor((Math.floor(i / W) % (h * up)) / up) * w + Math.floor((i % W) / up);
        return LATENT_RGB_BIAS[c] + [0, 1, 2, 3].reduce((s, k) => s + latent.data[src + k * h * w] * LATENT_RGB_MATRIX[k][c], 0);
      });
    });
  }
});
