/**
 * One recording function per WGSL kernel: each checks shapes, gives the kernel's Params by name
 * and appends a dispatch to a Program. Each kernel's spec (shader and Params layout) is exported
 * beside its wrapper, for tests/unit/gpu/kernel-params.test.ts. Nothing here knows about DiT;
 * the model composes these.
 */
import addWgsl from '../../shaders/add.wgsl';
import attentionWgsl from '../../shaders/attention.wgsl';
import attentionFlashWgsl from '../../shaders/attention_flash.wgsl';
import attentionVec4Wgsl from '../../shaders/attention_vec4.wgsl';
import cfgCombineWgsl from '../../shaders/cfg_combine.wgsl';
import embeddingWgsl from '../../shaders/embedding.wgsl';
import labelBlendWgsl from '../../shaders/label_blend.wgsl';
import layernormModulateWgsl from '../../shaders/layernorm_modulate.wgsl';
import layernormModulateSubgroupWgsl from '../../shaders/layernorm_modulate_subgroup.wgsl';
import matmulWgsl from '../../shaders/matmul.wgsl';
import matmulCommonWgsl from '../../shaders/matmul_common.wgsl';
import matmulSharedWgsl from '../../shaders/matmul_shared.wgsl';
import matmulSubgroupWgsl from '../../shaders/matmul_subgroup.wgsl';
import matmulWideWgsl from '../../shaders/matmul_wide.wgsl';
import patchEmbedWgsl from '../../shaders/patch_embed.wgsl';
import samplerStepWgsl from '../../shaders/sampler_step.wgsl';
import siluWgsl from '../../shaders/silu.wgsl';
import timestepEmbeddingWgsl from '../../shaders/timestep_embedding.wgsl';
import unpatchifyWgsl from '../../shaders/unpatchify.wgsl';
import { type AttentionShape, type AttentionVariant, FLASH_TILE_KEYS, flashWorkgroupBytes } from './attention-tiles.ts';
import { expect, grid1d, MAX_GROUPS } from './dispatch-shape.ts';
import { packHalves } from './half.ts';
import { kernelSpec } from './kernel.ts';
import { kMultiple, type MatmulTile, subgroupLanes } from './matmul-tiles.ts';
import type { Program } from './program.ts';
import type { Allocator, Tensor } from './tensor.ts';
export { timestepFrequencies } from './sinusoid.ts';
export type { AttentionShape } from './attention-tiles.ts';

// ---------------------------------------------------------------- linear layers

/** A linear layer's weight as the matmul kernel reads it: [in, out] padded to 8 columns, f32 or packed f16. */
export interface LinearWeight {
  wt: Tensor;
  bias: Tensor;
  inFeatures: number;
  outFeatures: number;
  paddedOut: number;
  f16: boolean;
}

/** PyTorch [out, in] → [in, Np] with Np = out rounded up to 8 (zero padding). */
export function transposeForMatmul(w: Float32Array, outF: number, inF: number): { data: Float32Array; paddedOut: number } {
  expect(w.length === outF * inF, `linear weight has ${w.length} values, expected ${outF}x${inF}`);
  const Np = Math.ceil(outF / 8) * 8;
  const data = new Float32Array(inF * Np);
  for (let o = 0; o < outF; o++) {
    const row = o * inF;
    for (let i = 0; i < inF; i++) data[i * Np + o] = w[row + i];
  }
  return { data, paddedOut: Np };
}

/** Uploads a PyTorch [out, in] weight (and bias) for the matmul kernel; `f16` stores the weight as halves. */
export function uploadLinear(alloc: Allocator, w: Float32Array, b: Float32Array | null, outF: number, inF: number, label: string, f16 = false): LinearWeight {
  if (b) expect(b.length === outF, `${label}: bias has ${b.length} values, expected ${outF}`);
  const { data, paddedOut } = transposeForMatmul(w, outF, inF);
  const wt = f16 ? alloc.upload(packHalves(data), [inF, paddedOut / 2], `${label}.weight (f16)`) : alloc.upload(data, [inF, paddedOut], `${label}.weight`);
  const bias = alloc.upload(b ?? new Float32Array(outF), [outF], `${label}.bias`);
  return { wt, bias, inFeatures: inF, outFeatures: outF, paddedOut, f16 };
}

export const Epilogue = { none: 0, gelu: 1, silu: 2, gatedResidual: 3, addTable: 4 } as const;
export type EpilogueName = keyof typeof Epilogue;

export interface MatmulOptions {
  epilogue?: EpilogueName;
  /** Output row stride and first column (default: out features, 0), to write into a wider tensor. */
  yStride?: number;
  yOffset?: number;
  /** gatedResidual: y += aux[(m / rowDiv) * stride + offset + n] * v; addTable: y = v + aux[(m % rowMod) * stride + n]. */
  aux?: Tensor;
  auxStride?: number;
  auxOffset?: number;
  auxRowDiv?: number;
  auxRowMod?: number;
  /** The kernel and tile; default: the device's choice for this shape (matmul-tiles.ts). */
  tile?: MatmulTile;
}

/** Params of the three matmul kernels (declared in shaders/matmul_common.wgsl). */
const MATMUL_PARAMS = {
  M: 'u32', N: 'u32', K: 'u32', Np: 'u32',
  xStride: 'u32', yStride: 'u32',
  auxStride: 'u32', auxOffset: 'u32', auxRowDiv: 'u32', auxRowMod: 'u32',
  yOffset: 'u32',
} as const;
export const MATMUL_REGISTERS_KERNEL = kernelSpec({ name: 'matmul.wgsl', source: matmulCommonWgsl + matmulWgsl, params: MATMUL_PARAMS });
export const MATMUL_SHARED_KERNEL = kernelSpec({ name: 'matmul_shared.wgsl', source: matmulCommonWgsl + matmulSharedWgsl, params: MATMUL_PARAMS });
export const MATMUL_SUBGROUP_KERNEL = kernelSpec({ name: 'matmul_subgroup.wgsl', source: `enable subgroups;\n${matmulCommonWgsl}${matmulSubgroupWgsl}`, params: MATMUL_PARAMS });
const X_AS_F32 = '@group(0) @binding(1) var<storage, read> x: array<f32>;';
expect(matmulCommonWgsl.includes(X_AS_F32), 'matmul_common.wgsl: the x binding changed; update the wide kernel');
/** The wide kernel reads x as vec4s: the common header with x rebound. */
export const MATMUL_WIDE_KERNEL = kernelSpec({
  name: 'matmul_wide.wgsl', source: matmulCommonWgsl.replace(X_AS_F32, '@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;') + matmulWideWgsl, params: MATMUL_PARAMS,
});

/** y[M, out] = epilogue(x[M, in] · Wᵀ + b). */
export function linear(prog: Program, x: Tensor, lw: LinearWeight, y: Tensor, M: number, opts: MatmulOptions = {}): void {
  const K = lw.inFeatures;
  const N = lw.outFeatures;
  expect(x.size >= M * K, `linear: input ${x.label} holds ${x.size} values, needs ${M}x${K}`);
  const yStride = opts.yStride ?? N;
  const yOffset = opts.yOffset ?? 0;
  expect(yOffset + N <= yStride && y.size >= (M - 1) * yStride + yOffset + N, `linear: output ${y.label} holds ${y.size} values, needs ${M} rows of ${yStride}`);
  const epilogue = opts.epilogue ?? 'none';
  const needsAux = epilogue === 'gatedResidual' || epilogue === 'addTable';
  expect(!needsAux || !!opts.aux, `linear: epilogue ${epilogue} needs an aux tensor`);
  const aux = opts.aux ?? lw.bias;
  const params = {
    M, N, K, Np: lw.paddedOut, xStride: K, yStride,
    auxStride: opts.auxStride ?? N, auxOffset: opts.auxOffset ?? 0, auxRowDiv: opts.auxRowDiv ?? 1, auxRowMod: opts.auxRowMod ?? 0xffffffff,
    yOffset,
  };
  const buffers = [x, lw.wt, lw.bias, aux, y];
  const constants = { EPILOGUE: Epilogue[epilogue], F16_WEIGHTS: lw.f16 ? 1 : 0 };
  const tile = opts.tile ?? prog.pipelines.matmulTiles.forShape({ M, K, N, f16: lw.f16 });
  const work = 2 * M * N * K;
  if (tile.kernel === 'subgroup') {
    expect(prog.gpu.features.subgroups, 'linear: the subgroup matmul needs the subgroups feature');
    const lanes = subgroupLanes(tile);
    prog.dispatch({ ...MATMUL_SUBGROUP_KERNEL, constants: { ...constants, LANES: lanes } }, params, buffers, [Math.ceil(lw.paddedOut / (8 * lanes)), Math.ceil(M / 16)], work);
  } else if (tile.kernel === 'wide') {
    expect(K % kMultiple(tile) === 0, `linear: the wide matmul reads x as vec4s and needs K divisible by 4, got ${K}`);
    prog.dispatch({ ...MATMUL_WIDE_KERNEL, constants }, params, buffers, [Math.ceil(lw.paddedOut / 64), Math.ceil(M / 128)], work);
  } else if (tile.kernel === 'shared') {
    prog.dispatch({ ...MATMUL_SHARED_KERNEL, constants }, params, buffers, [Math.ceil(lw.paddedOut / 64), Math.ceil(M / 64)], work);
  } else {
    const rows = tile.rows;
    prog.dispatch({ ...MATMUL_REGISTERS_KERNEL, constants: { ...constants, ROWS: rows } }, params, buffers, [Math.ceil(lw.paddedOut / 64), Math.ceil(M / (8 * rows))], work);
  }
}

// ---------------------------------------------------------------- attention and norms

export const ATTENTION_KERNEL = kernelSpec({
  name: 'attention.wgsl', source: attentionWgsl,
  params: { T: 'u32', H: 'u32', rowStride: 'u32', outStride: 'u32', qOffset: 'u32', kOffset: 'u32', vOffset: 'u32', scale: 'f32' },
});

export const ATTENTION_VEC4_KERNEL = kernelSpec({
  name: 'attention_vec4.wgsl', source: attentionVec4Wgsl,
  params: { T: 'u32', H: 'u32', rowStride4: 'u32', outStride4: 'u32', qOffset4: 'u32', kOffset4: 'u32', vOffset4: 'u32', scale: 'f32' },
});

export const ATTENTION_FLASH_KERNEL = kernelSpec({
  name: 'attention_flash.wgsl', source: attentionFlashWgsl,
  params: { T: 'u32', H: 'u32', rowStride4: 'u32', outStride4: 'u32', qOffset4: 'u32', kOffset4: 'u32', vOffset4: 'u32', scale: 'f32' },
});

/**
 * o[B*T, H*hd] = softmax(q kᵀ / √hd) v per head, from a fused qkv buffer [B*T, 3*H*hd].
 * `variant`: the vec4 kernel's query rows per invocation or the flash kernel (default: the
 * device's choice); head dims not divisible by 4 run the scalar kernel.
 */
export function attention(prog: Program, qkv: Tensor, o: Tensor, s: AttentionShape, variant?: AttentionVariant): void {
  const D = s.heads * s.headDim;
  expect(qkv.size >= s.batch * s.tokens * 3 * D, `attention: ${qkv.label} is too small for ${s.batch}x${s.tokens}x${3 * D}`);
  expect(o.size >= s.batch * s.tokens * D, `attention: ${o.label} is too small`);
  const scale = 1 / Math.sqrt(s.headDim);
  const work = 4 * s.batch * s.tokens ** 2 * D; // q kᵀ and the weighted sum of v
  if (s.headDim % 4 === 0) {
    // vec4 loads and four keys per online-softmax update (every DiT preset: head dim 64 or 72).
    const v = variant ?? prog.pipelines.attentionTiles.forShape(s);
    const d4 = D / 4;
    const params = { T: s.tokens, H: s.heads, rowStride4: 3 * d4, outStride4: d4, qOffset4: 0, kOffset4: d4, vOffset4: 2 * d4, scale };
    if (v === 'flash') {
      const bytes = flashWorkgroupBytes(s.headDim);
      const limit = prog.gpu.limits.maxComputeWorkgroupStorageSize;
      expect(bytes <= limit, `attention: the flash kernel needs ${bytes} bytes of workgroup memory for head dim ${s.headDim}; this adapter has ${limit}`);
      prog.dispatch({ ...ATTENTION_FLASH_KERNEL, defines: { HEAD_DIM4: s.headDim / 4, TILE_KEYS: FLASH_TILE_KEYS } }, params, [qkv, o], [Math.ceil(s.tokens / 64), s.batch * s.heads], work);
      return;
    }
    prog.dispatch({ ...ATTENTION_VEC4_KERNEL, defines: { HEAD_DIM4: s.headDim / 4, QUERIES: v } }, params, [qkv, o], [Math.ceil(s.tokens / (64 * v)), s.batch * s.heads], work);
    return;
  }
  prog.dispatch(
    { ...ATTENTION_KERNEL, defines: { HEAD_DIM: s.headDim } },
    { T: s.tokens, H: s.heads, rowStride: 3 * D, outStride: D, qOffset: 0, kOffset: D, vOffset: 2 * D, scale },
    [qkv, o], [Math.ceil(s.tokens / 64), s.batch * s.heads], work,
  );
}

const LAYERNORM_MODULATE_PARAMS = { D: 'u32', T: 'u32', modStride: 'u32', shiftOffset: 'u32', scaleOffset: 'u32', eps: 'f32' } as const;
export const LAYERNORM_MODULATE_KERNEL = kernelSpec({ name: 'layernorm_modulate.wgsl', source: layernormModulateWgsl, params: LAYERNORM_MODULATE_PARAMS });
export const LAYERNORM_MODULATE_SUBGROUP_KERNEL = kernelSpec({ name: 'layernorm_modulate_subgroup.wgsl', source: layernormModulateSubgroupWgsl, params: LAYERNORM_MODULATE_PARAMS });

export interface ModulationSlice {
  /** [N, stride] modulation vectors. */
  modulation: Tensor;
  stride: number;
  shiftOffset: number;
  scaleOffset: number;
}

/**
 * y = LayerNorm(x) · (1 + scale) + shift, rows of width D, T rows per sample. With `subgroups`
 * (default: when the device has them) a row's sums are subgroup reductions.
 */
export function layerNormModulate(prog: Program, x: Tensor, y: Tensor, rows: number, D: number, T: number, m: ModulationSlice, eps = 1e-6, subgroups = prog.gpu.features.subgroups): void {
  expect(x.size >= rows * D && y.size >= rows * D, 'layerNormModulate: tensor too small');
  expect(rows <= MAX_GROUPS, `layerNormModulate: ${rows} rows exceed one dispatch`);
  expect(!subgroups || prog.gpu.features.subgroups, 'layerNormModulate: this device has no subgroups');
  const spec = subgroups
    // 4 is WebGPU's smallest subgroup size: a workgroup that small is one subgroup anywhere.
    ? { ...LAYERNORM_MODULATE_SUBGROUP_KERNEL, constants: { LANES: prog.gpu.features.subgroupMinSize ?? 4 } }
    : LAYERNORM_MODULATE_KERNEL;
  prog.dispatch(spec, { D, T, modStride: m.stride, shiftOffset: m.shiftOffset, scaleOffset: m.scaleOffset, eps }, [x, m.modulation, y], [rows]);
}

// ---------------------------------------------------------------- elementwise

export const ADD_KERNEL = kernelSpec({ name: 'add.wgsl', source: addWgsl, params: { count: 'u32', rowWidth: 'u32' } });

export function add(prog: Program, a: Tensor, b: Tensor, out: Tensor, count = out.size): void {
  const g = grid1d(count, 256);
  prog.dispatch(ADD_KERNEL, { count, rowWidth: g.rowWidth }, [a, b, out], g.groups);
}

export const SILU_KERNEL = kernelSpec({ name: 'silu.wgsl', source: siluWgsl, params: { count: 'u32', rowWidth: 'u32' } });

export function silu(prog: Program, x: Tensor, out: Tensor, count = out.size): void {
  const g = grid1d(count, 256);
  prog.dispatch(SILU_KERNEL, { count, rowWidth: g.rowWidth }, [x, out], g.groups);
}

// ---------------------------------------------------------------- embeddings

export const TIMESTEP_EMBEDDING_KERNEL = kernelSpec({ name: 'timestep_embedding.wgsl', source: timestepEmbeddingWgsl, params: { N: 'u32', half: 'u32' } });

/** out[N, 2*half] = [cos(t·f), sin(t·f)]. */
export function timestepEmbedding(prog: Program, t: Tensor, freqs: Tensor, out: Tensor, N: number): void {
  const half = freqs.size;
  expect(out.size >= N * 2 * half, 'timestepEmbedding: output too small');
  prog.dispatch(TIMESTEP_EMBEDDING_KERNEL, { N, half }, [t, freqs, out], [Math.ceil(half / 64), N]);
}

export const EMBEDDING_KERNEL = kernelSpec({ name: 'embedding.wgsl', source: embeddingWgsl, params: { N: 'u32', D: 'u32', rows: 'u32' } });

/** out[N, D] = table[ids[n]]. */
export function embedding(prog: Program, labels: Tensor, table: Tensor, out: Tensor, N: number, D: number): void {
  prog.dispatch(EMBEDDING_KERNEL, { N, D, rows: table.size / D }, [labels, table, out], [Math.ceil(D / 64), N]);
}

export const LABEL_BLEND_KERNEL = kernelSpec({ name: 'label_blend.wgsl', source: labelBlendWgsl, params: { N: 'u32', D: 'u32', rows: 'u32' } });

/** out[N, D] = (1 − w[n])·table[labels[n]] + w[n]·table[blendLabels[n]]: a class between two. */
export function labelBlend(prog: Program, labels: Tensor, blendLabels: Tensor, weights: Tensor, table: Tensor, out: Tensor, N: number, D: number): void {
  expect(labels.size >= N && blendLabels.size >= N && weights.size >= N, 'labelBlend: labels or weights hold fewer than N values');
  prog.dispatch(LABEL_BLEND_KERNEL, { N, D, rows: table.size / D }, [labels, blendLabels, weights, table, out], [Math.ceil(D / 64), N]);
}

export const PATCH_EMBED_KERNEL = kernelSpec({
  name: 'patch_embed.wgsl', source: patchEmbedWgsl,
  params: { N: 'u32', C: 'u32', H: 'u32', W: 'u32', P: 'u32', D: 'u32', gridW: 'u32', T: 'u32' },
});

export interface PatchShape {
  batch: number;
  channels: number;
  height: number;
  width: number;
  patch: number;
  hidden: number;
}

/** tokens[N*T, D] = conv_p(x) + bias + pos. */
export function patchEmbed(prog: Program, x: Tensor, weight: Tensor, bias: Tensor, pos: Tensor, tokens: Tensor, s: PatchShape): void {
  const gridW = s.width / s.patch;
  const T = (s.height / s.patch) * gridW;
  expect(Number.isInteger(gridW) && Number.isInteger(s.height / s.patch), 'patchEmbed: image size must be a multiple of the patch size');
  expect(weight.size === s.hidden * s.channels * s.patch * s.patch, 'patchEmbed: weight shape');
  prog.dispatch(
    PATCH_EMBED_KERNEL,
    { N: s.batch, C: s.channels, H: s.height, W: s.width, P: s.patch, D: s.hidden, gridW, T },
    [x, weight, bias, pos, tokens],
    [Math.ceil(s.hidden / 64), s.batch * T],
  );
}

export const UNPATCHIFY_KERNEL = kernelSpec({
  name: 'unpatchify.wgsl', source: unpatchifyWgsl,
  params: { N: 'u32', C: 'u32', H: 'u32', W: 'u32', P: 'u32', gridW: 'u32', rowWidth: 'u32' },
});

/** out[N, C, H, W] from tokens[N, T, p*p*C]. */
export function unpatchify(prog: Program, tokens: Tensor, out: Tensor, N: number, C: number, H: number, W: number, patch: number): void {
  const count = N * C * H * W;
  const g = grid1d(count, 256);
  prog.dispatch(UNPATCHIFY_KERNEL, { N, C, H, W, P: patch, gridW: W / patch, rowWidth: g.rowWidth }, [tokens, out], g.groups);
}

export const CFG_COMBINE_KERNEL = kernelSpec({
  name: 'cfg_combine.wgsl', source: cfgCombineWgsl,
  params: { B: 'u32', C: 'u32', HW: 'u32', guided: 'u32', rowWidth: 'u32' },
});

/** Guidance over [cond | uncond] halves of model outputs [2B, C, H*W], with one scale per picture (cfgScale [B]). */
export function cfgCombine(prog: Program, modelOut: Tensor, cfgScale: Tensor, out: Tensor, B: number, C: number, HW: number, guidedChannels: number): void {
  expect(cfgScale.size >= B, `cfgCombine: ${cfgScale.label} holds ${cfgScale.size} scales for ${B} pictures`);
  const g = grid1d(2 * B * C * HW, 256);
  prog.dispatch(CFG_COMBINE_KERNEL, { B, C, HW, guided: guidedChannels, rowWidth: g.rowWidth }, [modelOut, cfgScale, out], g.groups);
}

// ---------------------------------------------------------------- sampling

/**
 * The update rules of sampler_step.wgsl (its MODE constant): 0 the DDPM posterior with the
 * learned-range variance, 1 DDIM, 2 DPM-Solver++(2M). The sampling layer maps its samplers to these.
 */
export type SamplerStepMode = 0 | 1 | 2;

export const SAMPLER_STEP_KERNEL = kernelSpec({
  name: 'sampler_step.wgsl', source: samplerStepWgsl,
  params: { count: 'u32', C: 'u32', HW: 'u32', modelC: 'u32', rowWidth: 'u32' },
});

/**
 * One posterior update over rows x [rows, C, HW] in place, from the (guided) model output
 * [rows, modelC, HW], this step's noise and coefficients; x0 receives the clean estimate.
 */
export function samplerStep(prog: Program, mode: SamplerStepMode, coef: Tensor, model: Tensor, noise: Tensor, x: Tensor, x0: Tensor, rows: number, C: number, HW: number, modelC: number): void {
  const count = rows * C * HW;
  expect(x.size >= count && x0.size >= count && noise.size >= count, 'samplerStep: latent tensors too small');
  expect(model.size >= rows * modelC * HW, 'samplerStep: model output too small');
  const g = grid1d(count, 256);
  prog.dispatch({ ...SAMPLER_STEP_KERNEL, constants: { MODE: mode } }, { count, C, HW, modelC, rowWidth: g.rowWidth }, [coef, model, noise, x, x0], g.groups);
}
