/**
 * DiT (Peebles & Xie, "Scalable Diffusion Models with Transformers"), as the reference
 * `models.py`: TimestepEmbedder, LabelEmbedder, DiTBlock with adaLN-Zero, FinalLayer.
 * This file says what is computed; `src/gpu/ops.ts` records how.
 *
 * Shapes: N batch, T tokens, D hidden, H heads, p patch, C in channels, Cout = 2C with learned Σ.
 */

import * as ops from '../gpu/ops.ts';
import { timestepFrequencies } from '../gpu/sinusoid.ts';
import type { LinearWeight } from '../gpu/ops.ts';
import type { Program } from '../gpu/program.ts';
import type { Allocator, Tensor } from '../gpu/tensor.ts';
import { type DitConfig, gridSize, headDim, labelRows, mlpHidden, numTokens, outChannels } from './config.ts';
import { asOfficialLayout, checkNoSurplusBlocks, type DitLayout } from './dit-layout.ts';
import { sincosPosEmbed2d } from './pos-embed.ts';
import type { TensorSource } from './tensor-source.ts';

const FREQ_DIM = 256; // frequency_embedding_size of the TimestepEmbedder

interface BlockWeights {
  qkv: LinearWeight;
  proj: LinearWeight;
  fc1: LinearWeight;
  fc2: LinearWeight;
}

export interface DitWeights {
  config: DitConfig;
  layout: DitLayout;
  xEmbedWeight: Tensor; // [D, C, p, p], as the conv stores it
  xEmbedBias: Tensor;
  posEmbed: Tensor; // [T, D]
  tFreqs: Tensor; // [256 / 2]
  tMlp0: LinearWeight;
  tMlp2: LinearWeight;
  labelTable: Tensor; // [num_classes + 1, D]
  /**
   * Every block's adaLN_modulation and the final layer's read the same SiLU(c): their weights are
   * concatenated into a few linear layers (as few as the binding size allows), each writing its
   * columns of the modulation tensor.
   */
  adaLN: { weight: LinearWeight; column: number }[];
  blocks: BlockWeights[];
  finalLinear: LinearWeight;
}

/** Column offsets of the six modulation vectors of block i, and the final layer's two. */
export function modulationOffsets(c: DitConfig, block: number) {
  const D = c.hidden_size;
  const base = block * 6 * D;
  return { shiftMsa: base, scaleMsa: base + D, gateMsa: base + 2 * D, shiftMlp: base + 3 * D, scaleMlp: base + 4 * D, gateMlp: base + 5 * D };
}
export function finalModulationOffsets(c: DitConfig) {
  const base = c.depth * 6 * c.hidden_size;
  return { shift: base, scale: base + c.hidden_size };
}
export const modulationWidth = (c: DitConfig): number => (c.depth * 6 + 2) * c.hidden_size;

async function read(src: TensorSource, name: string, shape: number[]): Promise<Float32Array> {
  if (!src.has(name)) throw new Error(`tensor "${name}" is missing from the weights (expected shape [${shape}])`);
  const found = src.shape(name);
  const count = shape.reduce((a, b) => a * b, 1);
  if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
    throw new Error(`tensor "${name}" has shape [${found}], expected [${shape}] for this config`);
  }
  const data = await src.float32(name);
  if (data.length !== count) throw new Error(`tensor "${name}": ${data.length} values, expected ${count}`);
  return data;
}

export interface UploadOptions {
  /** Store linear weights as halves (f32 arithmetic). */
  f16?: boolean;
  /** Largest buffer one weight may take (the adapter's binding limit). */
  maxBindingBytes?: number;
}

/**
 * Uploads a checkpoint (official or diffusers layout) once, tensor by tensor: only one tensor
 * (and its packed copy) is in host memory at a time.
 */
export async function uploadDitWeights(alloc: Allocator, checkpoint: TensorSource, c: DitConfig, opts: UploadOptions = {}): Promise<DitWeights> {
  const f16 = opts.f16 ?? false;
  const loadLinear = async (name: string, outF: number, inF: number): Promise<LinearWeight> =>
    ops.uploadLinear(alloc, await read(src, `${name}.weight`, [outF, inF]), await read(src, `${name}.bias`, [outF]), outF, inF, name, f16);
  const { layout, source: src } = asOfficialLayout(checkpoint);
  checkNoSurplusBlocks(src.names(), c.depth);
  const D = c.hidden_size;
  const p = c.patch_size;
  const T = numTokens(c);
  const Cout = outChannels(c);
  const M = mlpHidden(c);

  // Group consecutive adaLN layers (blocks 0..depth-1, then the final layer) while the group's
  // weight fits one binding.
  const maxBytes = Math.min(opts.maxBindingBytes ?? 128 * 2 ** 20, 256 * 2 ** 20);
  const perBlockBytes = 6 * D * D * (f16 ? 2 : 4);
  const blocksPerGroup = Math.max(1, Math.floor(maxBytes / perBlockBytes));
  const adaLN: DitWeights['adaLN'] = [];
  for (let first = 0; first <= c.depth; first += blocksPerGroup) {
    const layers = Array.from({ length: Math.min(blocksPerGroup, c.depth + 1 - first) }, (_, j) => first + j);
    const rows = layers.map((i) => (i < c.depth ? 6 * D : 2 * D));
    const total = rows.reduce((a, b) => a + b, 0);
    const w = new Float32Array(total * D);
    const b = new Float32Array(total);
    let row = 0;
    for (const [j, i] of layers.entries()) {
      const name = i < c.depth ? `blocks.${i}.adaLN_modulation.1` : 'final_layer.adaLN_modulation.1';
      w.set(await read(src, `${name}.weight`, [rows[j], D]), row * D);
      b.set(await read(src, `${name}.bias`, [rows[j]]), row);
      row += rows[j];
    }
    adaLN.push({ weight: ops.uploadLinear(alloc, w, b, total, D, `adaLN_modulation (layers ${first}..${first + layers.length - 1})`, f16), column: first * 6 * D });
  }

  const pos = src.has('pos_embed') ? await read(src, 'pos_embed', [1, T, D]) : sincosPosEmbed2d(D, gridSize(c));
  const blocks: BlockWeights[] = [];
  for (let i = 0; i < c.depth; i++) {
    blocks.push({
      qkv: await loadLinear(`blocks.${i}.attn.qkv`, 3 * D, D),
      proj: await loadLinear(`blocks.${i}.attn.proj`, D, D),
      fc1: await loadLinear(`blocks.${i}.mlp.fc1`, M, D),
      fc2: await loadLinear(`blocks.${i}.mlp.fc2`, D, M),
    });
  }
  return {
    config: c,
    layout,
    xEmbedWeight: alloc.upload(await read(src, 'x_embedder.proj.weight', [D, c.in_channels, p, p]), [D, c.in_channels * p * p], 'x_embedder.proj.weight'),
    xEmbedBias: alloc.upload(await read(src, 'x_embedder.proj.bias', [D]), [D], 'x_embedder.proj.bias'),
    posEmbed: alloc.upload(pos, [T, D], 'pos_embed'),
    tFreqs: alloc.upload(timestepFrequencies(FREQ_DIM), [FREQ_DIM / 2], 't_embedder.freqs'),
    tMlp0: await loadLinear('t_embedder.mlp.0', D, FREQ_DIM),
    tMlp2: await loadLinear('t_embedder.mlp.2', D, D),
    labelTable: alloc.upload(await read(src, 'y_embedder.embedding_table.weight', [labelRows(c), D]), [labelRows(c), D], 'y_embedder.embedding_table'),
    adaLN,
    blocks,
    finalLinear: await loadLinear('final_layer.linear', p * p * Cout, D),
  };
}

/** Every activation of one forward at batch N, allocated once and reused by every step. */
export interface DitActivations {
  N: number;
  x: Tensor; // input latent [N, C, H, W]
  t: Tensor; // [N] f32 timesteps
  y: Tensor; // [N] i32 labels
  /** A class blend (allocated when asked): y_emb = (1 − w)·table[y] + w·table[yBlend]. */
  blend?: { labels: Tensor; weights: Tensor }; // [N] i32, [N] f32
  tFreq: Tensor; // [N, 256]
  tHidden: Tensor; // [N, D]
  tEmb: Tensor; // [N, D]
  yEmb: Tensor; // [N, D]
  c: Tensor; // [N, D]
  siluC: Tensor; // [N, D]
  modulation: Tensor; // [N, (6 depth + 2) D]
  tokens: Tensor; // [N*T, D], the residual stream
  normed: Tensor; // [N*T, D]
  qkv: Tensor; // [N*T, 3D]
  attnOut: Tensor; // [N*T, D]
  mlpHidden: Tensor; // [N*T, 4D]
  finalTokens: Tensor; // [N*T, p*p*Cout]
  out: Tensor; // [N, Cout, H, W]
}

export function allocateActivations(alloc: Allocator, c: DitConfig, N: number, opts: { blend?: boolean } = {}): DitActivations {
  const D = c.hidden_size;
  const T = numTokens(c);
  const H = c.input_size;
  const t = (shape: number[], label: string) => alloc.tensor(shape, label);
  return {
    N,
    x: t([N, c.in_channels, H, H], 'x'),
    t: t([N], 't'),
    y: t([N], 'y'),
    blend: opts.blend ? { labels: t([N], 'y_blend'), weights: t([N], 'y_blend_weight') } : undefined,
    tFreq: t([N, FREQ_DIM], 't_freq'),
    tHidden: t([N, D], 't_hidden'),
    tEmb: t([N, D], 't_emb'),
    yEmb: t([N, D], 'y_emb'),
    c: t([N, D], 'c'),
    siluC: t([N, D], 'silu_c'),
    modulation: t([N, modulationWidth(c)], 'modulation'),
    tokens: t([N * T, D], 'tokens'),
    normed: t([N * T, D], 'normed'),
    qkv: t([N * T, 3 * D], 'qkv'),
    attnOut: t([N * T, D], 'attn_out'),
    mlpHidden: t([N * T, mlpHidden(c)], 'mlp_hidden'),
    finalTokens: t([N * T, c.patch_size ** 2 * outChannels(c)], 'final_tokens'),
    out: t([N, outChannels(c), H, H], 'out'),
  };
}

/** Every tensor of a forward's activations (to free them). */
export function activationTensors(a: DitActivations): Tensor[] {
  const { N: _n, blend, ...rest } = a;
  return [...Object.values(rest), ...(blend ? [blend.labels, blend.weights] : [])];
}

/** Named snapshots of intermediate activations (copied as the forward passes them). */
export type Captures = Partial<Record<'tokens_in' | 'block0_out' | 'blocks_out', Tensor>>;

// ------------------------------------------------------------------ the model, box by box

/** t_emb = MLP(sinusoidal(t)): Linear(256→D), SiLU, Linear(D→D). */
function timestepEmbedder(prog: Program, w: DitWeights, a: DitActivations): void {
  ops.timestepEmbedding(prog, a.t, w.tFreqs, a.tFreq, a.N);
  ops.linear(prog, a.tFreq, w.tMlp0, a.tHidden, a.N, { epilogue: 'silu' });
  ops.linear(prog, a.tHidden, w.tMlp2, a.tEmb, a.N);
}

/**
 * y_emb = table[y]; the null class (index num_classes) drives the unconditional half. With a
 * blend, y_emb = (1 − w)·table[y] + w·table[y₂]: a class between two (not in the paper).
 */
function labelEmbedder(prog: Program, w: DitWeights, a: DitActivations): void {
  if (a.blend) ops.labelBlend(prog, a.y, a.blend.labels, a.blend.weights, w.labelTable, a.yEmb, a.N, w.config.hidden_size);
  else ops.embedding(prog, a.y, w.labelTable, a.yEmb, a.N, w.config.hidden_size);
}

/**
 * adaLN-Zero block:
 *   x = x + gate_msa · Attn(modulate(LN(x), shift_msa, scale_msa))
 *   x = x + gate_mlp · MLP(modulate(LN(x), shift_mlp, scale_mlp))
 */
export function recordDitBlock(prog: Program, w: DitWeights, a: DitActivations, i: number): void {
  const c = w.config;
  const D = c.hidden_size;
  const T = numTokens(c);
  const rows = a.N * T;
  const blk = w.blocks[i];
  const m = modulationOffsets(c, i);
  const mod = (shift: number, scale: number) => ({ modulation: a.modulation, stride: modulationWidth(c), shiftOffset: shift, scaleOffset: scale });
  const gate = (offset: number) => ({ epilogue: 'gatedResidual' as const, aux: a.modulation, auxStride: modulationWidth(c), auxOffset: offset, auxRowDiv: T });

  ops.layerNormModulate(prog, a.tokens, a.normed, rows, D, T, mod(m.shiftMsa, m.scaleMsa));
  ops.linear(prog, a.normed, blk.qkv, a.qkv, rows);
  ops.attention(prog, a.qkv, a.attnOut, { batch: a.N, tokens: T, heads: c.num_heads, headDim: headDim(c) });
  ops.linear(prog, a.attnOut, blk.proj, a.tokens, rows, gate(m.gateMsa));

  ops.layerNormModulate(prog, a.tokens, a.normed, rows, D, T, mod(m.shiftMlp, m.scaleMlp));
  ops.linear(prog, a.normed, blk.fc1, a.mlpHidden, rows, { epilogue: 'gelu' });
  ops.linear(prog, a.mlpHidden, blk.fc2, a.tokens, rows, gate(m.gateMlp));
}

/** FinalLayer: modulate(LN(x), shift, scale) → Linear(D → p·p·Cout), then unpatchify. */
function finalLayer(prog: Program, w: DitWeights, a: DitActivations): void {
  const c = w.config;
  const T = numTokens(c);
  const f = finalModulationOffsets(c);
  ops.layerNormModulate(prog, a.tokens, a.normed, a.N * T, c.hidden_size, T, { modulation: a.modulation, stride: modulationWidth(c), shiftOffset: f.shift, scaleOffset: f.scale });
  ops.linear(prog, a.normed, w.finalLinear, a.finalTokens, a.N * T);
  ops.unpatchify(prog, a.finalTokens, a.out, a.N, outChannels(c), c.input_size, c.input_size, c.patch_size);
}

/** Records DiT.forward(x, t, y) → out into `prog`: reads a.x, a.t, a.y; writes a.out. */
export function recordDitForward(prog: Program, w: DitWeights, a: DitActivations, capture: Captures = {}): void {
  const c = w.config;
  timestepEmbedder(prog, w, a);
  labelEmbedder(prog, w, a);
  ops.add(prog, a.tEmb, a.yEmb, a.c); // c = t_emb + y_emb
  ops.silu(prog, a.c, a.siluC);
  for (const g of w.adaLN) ops.linear(prog, a.siluC, g.weight, a.modulation, a.N, { yStride: modulationWidth(c), yOffset: g.column }); // (shift, scale, gate) × 2 per block
  ops.patchEmbed(prog, a.x, w.xEmbedWeight, w.xEmbedBias, w.posEmbed, a.tokens, {
    batch: a.N, channels: c.in_channels, height: c.input_size, width: c.input_size, patch: c.patch_size, hidden: c.hidden_size,
  });
  if (capture.tokens_in) prog.copy(a.tokens, capture.tokens_in);
  for (let i = 0; i < c.depth; i++) {
    recordDitBlock(prog, w, a, i);
    if (i === 0 && capture.block0_out) prog.copy(a.tokens, capture.block0_out);
  }
  if (capture.blocks_out) prog.copy(a.tokens, capture.blocks_out);
  finalLayer(prog, w, a);
}

