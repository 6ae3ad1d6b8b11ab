/**
 * Every kernel against its CPU reference (tests/reference/ops.ts), on random shapes that are
 * not multiples of the tile sizes, with output buffers poisoned (NaN) before the kernel runs.
 */
import { describe, expect, it } from 'vitest';
import { ddimStep, ddpmStep, dpmSolverPP2MStep, predictXstartFromEps } from '../reference/samplers.ts';
import { SpacedDiffusion } from '../../src/sampling/schedule.ts';
import { stepCoefficients } from '../../src/sampling/step-coefficients.ts';
import { f32ToF16Bits } from '../../src/gpu/half.ts';
import { f16ToF32 } from '../../src/weights/safetensors.ts';
import { ATTENTION_VARIANTS, attentionVariantName } from '../../src/gpu/attention-tiles.ts';
import { kMultiple, MATMUL_TILES, tileName } from '../../src/gpu/matmul-tiles.ts';
import type { KernelResult, KernelRun } from '../support/lab/lab.ts';
import * as ref from '../reference/ops.ts';
import { expectClose } from '../support/compare.ts';
import { useBrowserHost } from '../support/gpu-host.ts';
import { randn } from '../support/random.ts';

const host = useBrowserHost();
const run = (r: KernelRun) => host().api.lab.runKernel(r);
const f32 = (shape: number[], seed: number, scale = 1) => ({ shape, data: randn(seed, shape.reduce((a, b) => a * b, 1), scale) });

// Every matmul kernel and tile the autotune can pick (src/gpu/matmul-tiles.ts).
for (const t of MATMUL_TILES) {
  const tile = tileName(t);
  // The wide kernel reads x as vec4s: its K is rounded up to a multiple of 4 (still not of its k step of 16).
  const k = (K: number) => Math.ceil(K / kMultiple(t)) * kMultiple(t);
  describe(`matmul (linear layer), tile ${tile}`, () => {
    // [M, N, K]: workgroups cover 32/64/128 rows x 64 columns (registers), 64 x 64 with k steps of 16 (shared) or 128 x 64 (wide).
    const shapes: [number, number, number][] = [[1, 1, 1], [5, 13, 7], [33, 65, 17], [70, 200, 96], [129, 72, 40], [128, 384, 64]];
    for (const [M, N, K0] of shapes) {
      const K = k(K0);
      it(`y = x Wᵀ + b at M=${M} N=${N} K=${K}`, async () => {
        const x = f32([M, K], M * 7 + 1);
        const w = f32([N, K], N * 3 + 2, 0.3);
        const b = f32([N], K + 5);
        const res = await run({ kernel: 'matmul', inputs: { x, w, b }, outputs: { y: [M, N] }, params: { M, N, K, tile } });
        expectClose(res.outputs.y.data, ref.linear(x.data, w.data, b.data, M, N, K), 1e-4, 1e-5);
      });
    }

    it('fuses GELU (tanh) and SiLU epilogues', async () => {
      const [M, N, K] = [19, 45, k(30)];
      const x = f32([M, K], 11);
      const w = f32([N, K], 12, 0.5);
      const b = f32([N], 13);
      const lin = ref.linear(x.data, w.data, b.data, M, N, K);
      for (const [epilogue, fn] of [['gelu', ref.geluTanh], ['silu', ref.silu]] as const) {
        const res = await run({ kernel: 'matmul', inputs: { x, w, b }, outputs: { y: [M, N] }, params: { M, N, K, epilogue, tile } });
        expectClose(res.outputs.y.data, lin.map(fn), 1e-4, 1e-5);
      }
    });

    it('fuses the gated residual y += gate[sample] · (x Wᵀ + b)', async () => {
      const [T, S, N, K] = [7, 3, 37, k(20)];
      const M = T * S;
      const x = f32([M, K], 21);
      const w = f32([N, K], 22, 0.5);
      const b = f32([N], 23);
      const residual = f32([M, N], 24);
      const stride = 3 * N + 5;
      const offset = N + 2;
      const gates = f32([S, stride], 25);
      const res = await run({
        kernel: 'matmul', inputs: { x, w, b, aux: gates, y: residual }, outputs: { y: [M, N] },
        params: { M, N, K, epilogue: 'gatedResidual', auxStride: stride, auxOffset: offset, auxRowDiv: T, tile },
      });
      const lin = ref.linear(x.data, w.data, b.data, M, N, K);
      const want = lin.map((v, i) => residual.data[i] + gates.data[Math.floor(Math.floor(i / N) / T) * stride + offset + (i % N)] * v);
      expectClose(res.outputs.y.data, want, 1e-4, 1e-5);
    });

    for (const [M, N, K0] of [[5, 13, 7], [70, 200, 96]] as const) {
      const K = k(K0);
      it(`f16 weight storage equals the f32 path on f16-rounded weights at M=${M} N=${N} K=${K}`, async () => {
        const x = f32([M, K], 31);
        const w = f32([N, K], 32, 0.3);
        const b = f32([N], 33);
        const res = await run({ kernel: 'matmul', inputs: { x, w, b }, outputs: { y: [M, N] }, params: { M, N, K, f16: 1, epilogue: 'gelu', tile } });
        const rounded = w.data.map((v) => f16ToF32(f32ToF16Bits(v)));
        expectClose(res.outputs.y.data, ref.linear(x.data, rounded, b.data, M, N, K).map(ref.geluTanh), 1e-4, 1e-5);
        // and stays within half precision of the unrounded weights
        expectClose(res.outputs.y.data, ref.linear(x.data, w.data, b.data, M, N, K).map(ref.geluTanh), 1e-2, 1e-2);
      });
    }

    it('writes into a column window of a wider output (yStride, yOffset)', async () => {
      const [M, N, K, stride, offset] = [9, 11, k(6), 30, 13];
      const x = f32([M, K], 41);
      const w = f32([N, K], 42);
      const b = f32([N], 43);
      const y = f32([M, stride], 44);
      const res = await run({ kernel: 'matmul', inputs: { x, w, b, y }, outputs: { y: [M, stride] }, params: { M, N, K, yStride: stride, yOffset: offset, tile } });
      const lin = ref.linear(x.data, w.data, b.data, M, N, K);
      const want = Float64Array.from(y.data);
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) want[m * stride + offset + n] = lin[m * N + n];
      expectClose(res.outputs.y.data, want, 1e-4, 1e-5);
    });
  });
}

describe('attention (flash-style, online softmax)', () => {
  // Head dims divisible by 4 take attention_vec4.wgsl (keys in blocks of 4: T = 1, 17, 70 are not); 6 and 5 take attention.wgsl.
  const cases: [number, number, number, number][] = [[1, 1, 1, 4], [2, 17, 3, 8], [1, 70, 2, 16], [2, 33, 6, 24], [1, 65, 1, 72], [2, 19, 3, 6], [1, 9, 2, 5]];
  for (const [B, T, H, hd] of cases) {
    it(`B=${B} T=${T} H=${H} head_dim=${hd}`, async () => {
      const qkv = f32([B * T, 3 * H * hd], B * 100 + T, 1.5);
      const res = await run({ kernel: 'attention', inputs: { qkv }, outputs: { o: [B * T, H * hd] }, params: { B, T, H, headDim: hd } });
      expectClose(res.outputs.o.data, ref.attention(qkv.data, B, T, H, hd), 1e-4, 1e-5);
    });
  }

  // The autotune's candidates: attention_vec4.wgsl with several query rows per invocation (T not a
  // multiple of queries x 64 nor of the 4-key block), and attention_flash.wgsl (T not a multiple
  // of its 64-query workgroup nor of its 16-key tile; 130 spans several of both).
  for (const variant of ATTENTION_VARIANTS) {
    for (const [B, T, H, hd] of [[2, 37, 3, 8], [1, 130, 2, 16], [1, 9, 1, 72]] as const) {
      it(`${attentionVariantName(variant)}: B=${B} T=${T} H=${H} head_dim=${hd}`, async () => {
        const qkv = f32([B * T, 3 * H * hd], (variant === 'flash' ? 16 : variant) * 1000 + T, 1.5);
        const res = await run({ kernel: 'attention', inputs: { qkv }, outputs: { o: [B * T, H * hd] }, params: { B, T, H, headDim: hd, variant } });
        expectClose(res.outputs.o.data, ref.attention(qkv.data, B, T, H, hd), 1e-4, 1e-5);
      });
    }
  }
});

// Both paths on this adapter (SwiftShader offers subgroups): the subgroup one is the default where offered.
for (const subgroups of [0, 1] as const) describe(`LayerNorm + adaLN modulation${subgroups ? ', subgroup reductions' : ', workgroup reductions'}`, () => {
  for (const [S, T, D] of [[1, 1, 4], [2, 5, 37], [3, 17, 130], [2, 9, 1152]] as const) {
    it(`samples=${S} T=${T} D=${D}`, async () => {
      const rows = S * T;
      const x = { shape: [rows, D], data: randn(D + T, rows * D, 3).map((v, i) => v + (i % 5)) };
      const stride = 6 * D + 3;
      const modulation = f32([S, stride], D * 2 + 1, 0.5);
      const res = await run({
        kernel: 'layerNormModulate', inputs: { x, modulation }, outputs: { y: [rows, D] },
        params: { rows, D, T, stride, shiftOffset: 3, scaleOffset: D + 3, subgroups },
      });
      expectClose(res.outputs.y.data, ref.layerNormModulate(x.data, modulation.data, rows, D, T, stride, 3, D + 3), 1e-4, 2e-5);
    });
  }
});

describe('elementwise', () => {
  it('add and SiLU over counts that are not multiples of 256, and past one row of workgroups', async () => {
    for (const n of [1, 300, 70_001]) {
      const a = f32([n], n);
      const b = f32([n], n + 1);
      const sum = await run({ kernel: 'add', inputs: { a, b }, outputs: { out: [n] }, params: {} });
      expectClose(sum.outputs.out.data, a.data.map((v, i) => v + b.data[i]), 1e-6, 1e-7);
      const act = await run({ kernel: 'silu', inputs: { x: a }, outputs: { out: [n] }, params: {} });
      expectClose(act.outputs.out.data, Array.from(a.data, ref.silu), 1e-5, 1e-6);
    }
  });
});

describe('embeddings', () => {
  it('sinusoidal timestep features match float64 cos/sin within float32 rounding', async () => {
    const t = { shape: [5], data: Float32Array.from([0, 1, 17.5, 500, 999]) };
    const res = await run({ kernel: 'timestepEmbedding', inputs: { t }, outputs: { out: [5, 256] }, params: { N: 5, dim: 256 } });
    // Arguments reach 999 rad, where one f32 ulp of the argument is 6e-5.
    expectClose(res.outputs.out.data, ref.timestepEmbedding(t.data, 256), 0, 2e-4);
  });

  it('label embedding gathers rows, including the null class', async () => {
    const [rows, D, N] = [11, 37, 6];
    const table = f32([rows, D], 5);
    const ids = { shape: [N], data: Int32Array.from([3, 10, 0, 7, 10, 1]) };
    const res = await run({ kernel: 'embedding', inputs: { labels: ids, table }, outputs: { out: [N, D] }, params: { N, D } });
    const want = Array.from(ids.data).flatMap((id) => Array.from(table.data.subarray(id * D, (id + 1) * D)));
    expectClose(res.outputs.out.data, want, 0, 0);
  });

  it('patch embedding (stride-p conv) + position table, patch 2 / 4 / 8 and odd channel counts', async () => {
    for (const [N, C, H, p, D] of [[2, 4, 8, 2, 20], [1, 3, 16, 4, 33], [3, 5, 16, 8, 7]] as const) {
      const x = f32([N, C, H, H], H + C);
      const weight = f32([D, C, p, p], D + p, 0.3);
      const bias = f32([D], D);
      const T = (H / p) ** 2;
      const pos = f32([T, D], T);
      const res = await run({ kernel: 'patchEmbed', inputs: { x, weight, bias, pos }, outputs: { tokens: [N * T, D] }, params: { N, C, H, W: H, P: p, D } });
      expectClose(res.outputs.tokens.data, ref.patchEmbed(x.data, weight.data, bias.data, pos.data, N, C, H, H, p, D), 1e-4, 1e-5);
    }
  });

  it('unpatchify (nhwpqc → nchpwq)', async () => {
    for (const [N, C, H, p] of [[2, 8, 8, 2], [1, 3, 12, 4], [3, 6, 16, 8]] as const) {
      const T = (H / p) ** 2;
      const tokens = f32([N, T, p * p * C], N * H + p);
      const res = await run({ kernel: 'unpatchify', inputs: { tokens }, outputs: { out: [N, C, H, H] }, params: { N, C, H, W: H, P: p } });
      expectClose(res.outputs.out.data, ref.unpatchify(tokens.data, N, C, H, H, p), 0, 0);
    }
  });
});

describe('classifier-free guidance combine', () => {
  for (const guided of [3, 4]) {
    it(`guides ${guided} of 8 channels, passes the rest per row`, async () => {
      const [B, C, HW] = [3, 8, 35];
      const modelOut = f32([2 * B, C, HW], guided);
      const cfgScale = { shape: [B], data: new Float32Array(B).fill(4.5) };
      const res = await run({ kernel: 'cfgCombine', inputs: { modelOut, cfgScale }, outputs: { out: [2 * B, C, HW] }, params: { B, C, HW, guided } });
      expectClose(res.outputs.out.data, ref.cfgCombine(modelOut.data, B, C, HW, guided, 4.5), 1e-5, 1e-6);
    });
  }

  it('one scale per picture (a guidance sweep in one batch): picture b and its null row use scale b', async () => {
    const [B, C, HW] = [4, 6, 29];
    const modelOut = f32([2 * B, C, HW], 9);
    const scales = [1, 2.5, 4, 8];
    const cfgScale = { shape: [B], data: Float32Array.from(scales) };
    const res = await run({ kernel: 'cfgCombine', inputs: { modelOut, cfgScale }, outputs: { out: [2 * B, C, HW] }, params: { B, C, HW, guided: 3 } });
    const perRow = C * HW;
    const want = new Float32Array(2 * B * perRow);
    scales.forEach((scale, b) => {
      const all = ref.cfgCombine(modelOut.data, B, C, HW, 3, scale);
      for (const row of [b, B + b]) want.set(all.subarray(row * perRow, (row + 1) * perRow), row * perRow);
    });
    expectClose(res.outputs.out.data, want, 1e-5, 1e-6);
  });
});

describe('class blend', () => {
  it('(1 − w)·table[a] + w·table[b] per row; w = 0 and w = 1 give the plain rows exactly', async () => {
    const [rows, D, N] = [13, 70, 7];
    const table = f32([rows, D], 31);
    const labels = { shape: [N], data: Int32Array.from([3, 12, 0, 7, 5, 12, 1]) };
    const blendLabels = { shape: [N], data: Int32Array.from([4, 12, 9, 2, 5, 0, 11]) };
    const w = [0.25, 0, 1, 0.5, 0.9, 0, 1];
    const weights = { shape: [N], data: Float32Array.from(w) };
    const res = await run({ kernel: 'labelBlend', inputs: { labels, blendLabels, weights, table }, outputs: { out: [N, D] }, params: { N, D } });
    const row = (id: number) => table.data.subarray(id * D, (id + 1) * D);
    const want = Array.from({ length: N }, (_, n) => {
      const a = row(labels.data[n]);
      const b = row(blendLabels.data[n]);
      const wn = Math.fround(w[n]);
      return Array.from(a, (av, d) => Math.fround(Math.fround((1 - wn) * av) + Math.fround(wn * b[d])));
    }).flat();
    expectClose(res.outputs.out.data, want, 1e-6, 1e-7);
    // Exactly the plain embedding at the ends of the blend.
    for (const n of [1, 5]) expect(Array.from(res.outputs.out.data.subarray(n * D, (n + 1) * D))).toEqual(Array.from(row(labels.data[n])));
    for (const n of [2, 6]) expect(Array.from(res.outputs.out.data.subarray(n * D, (n + 1) * D))).toEqual(Array.from(row(blendLabels.data[n])));
  });
});

describe('test harness', () => {
  it('poisoning catches an output element no kernel wrote', async () => {
    // The output is larger than what matmul writes: the tail must stay NaN.
    const x = f32([3, 4], 1);
    const w = f32([5, 4], 2);
    const b = f32([5], 3);
    const res = await run({ kernel: 'matmul', inputs: { x, w, b }, outputs: { y: [3 * 5 + 2] }, params: { M: 3, N: 5, K: 4 } });
    expect(Number.isNaN(res.outputs.y.data[15])).toBe(true);
    expect(Number.isNaN(res.outputs.y.data[14])).toBe(false);
  });
});

describe('sampler step (posterior update after guidance)', () => {
  const [rows, C, HW, modelC] = [3, 4, 37, 8];
  const d = SpacedDiffusion.fromRespacing('20');
  const x = f32([rows, C, HW], 71, 2);
  const model = f32([rows, modelC, HW], 72);
  // Variance interpolation values live in [-1, 1].
  for (let r = 0; r < rows; r++) for (let k = C * HW; k < modelC * HW; k++) model.data[r * modelC * HW + k] = Math.tanh(model.data[r * modelC * HW + k]);
  const noise = f32([rows, C, HW], 73);
  const split = () => {
    const eps = new Float32Array(rows * C * HW);
    const v = new Float32Array(rows * C * HW);
    for (let r = 0; r < rows; r++) {
      eps.set(model.data.subarray(r * modelC * HW, r * modelC * HW + C * HW), r * C * HW);
      v.set(model.data.subarray(r * modelC * HW + C * HW, (r + 1) * modelC * HW), r * C * HW);
    }
    return { eps, varValues: v };
  };
  const step = (sampler: 'ddpm' | 'ddim' | 'dpm++', k: number, x0Before: Float32Array, eta = 0) =>
    run({
      kernel: 'samplerStep',
      inputs: { coef: { shape: [8], data: stepCoefficients(d, sampler, k, { eta }) }, model, noise, x: { shape: x.shape, data: x.data.slice() }, x0: { shape: x.shape, data: x0Before } },
      outputs: { x: x.shape, x0: x.shape },
      params: { sampler, rows, C, HW, modelC },
    });

  for (const k of [0, 7, 19]) {
    it(`DDPM with learned variance, step ${k} of 20`, async () => {
      const i = 19 - k;
      const res = await step('ddpm', k, new Float32Array(x.data.length));
      const want = ddpmStep(d, i, x.data, split(), noise.data);
      expectClose(res.outputs.x.data, want.sample, 1e-5, 1e-5);
      expectClose(res.outputs.x0.data, want.predXstart, 1e-5, 1e-5);
    });
  }

  it('DDIM with eta 0.7', async () => {
    const res = await step('ddim', 4, new Float32Array(x.data.length), 0.7);
    const want = ddimStep(d, 15, x.data, split().eps, noise.data, { eta: 0.7 });
    expectClose(res.outputs.x.data, want.sample, 1e-5, 1e-5);
  });

  it('DPM-Solver++(2M): first-order first step, second-order with history, first-order into t = 0, clean last step', async () => {
    const prev = f32([rows, C, HW], 74).data;
    const x0Now = predictXstartFromEps(d, 19, x.data, split().eps);
    const first = await step('dpm++', 0, prev);
    expectClose(first.outputs.x.data, dpmSolverPP2MStep(d, 19, x.data, x0Now, null), 1e-5, 1e-5);
    const x0Mid = predictXstartFromEps(d, 12, x.data, split().eps);
    const mid = await step('dpm++', 7, prev);
    expectClose(mid.outputs.x.data, dpmSolverPP2MStep(d, 12, x.data, x0Mid, { index: 13, x0: prev }), 1e-5, 1e-5);
    const x0Into0 = predictXstartFromEps(d, 1, x.data, split().eps);
    const into0 = await step('dpm++', 18, prev);
    expectClose(into0.outputs.x.data, dpmSolverPP2MStep(d, 1, x.data, x0Into0, { index: 2, x0: prev }), 1e-5, 1e-5);
    const last = await step('dpm++', 19, prev);
    expectClose(last.outputs.x.data, predictXstartFromEps(d, 0, x.data, split().eps), 1e-5, 1e-5);
  });
});
