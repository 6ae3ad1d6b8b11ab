/**
 * How a decode of a given latent shape is laid out in memory: the row bands (one split of the
 * latent rows, doubled at each upsampling level, so a band at level L+1 is exactly the upsampled
 * band of level L) and the buffers every activation lives in.
 *
 * Activations rotate through three slots; slot s, band k is one buffer sized for the largest
 * [B, C, rows, W] it ever holds at any level, so the whole decoder needs three image-sized
 * buffers (plus the small latent-resolution attention buffers), whatever the depth.
 */
import { type BandedTensor, bandedView, allocateBanded, evenBands, type Shape4 } from '../gpu/banded.ts';
import type { Allocator, Tensor } from '../gpu/tensor.ts';
import { GroupNormScratch } from '../gpu/vae-ops.ts';
import { levelChannels, numUpBlocks, upBlockChannels, upscaleFactor, type VaeConfig } from './vae-config.ts';

export interface VaePlan {
  batch: number;
  /** Latent rows and columns. */
  height: number;
  width: number;
  /** Rows of each band at the latent level; level L bands are these times 2^L. */
  latentBands: number[];
  /** Queries per attention score pass (scores buffer: queryChunk x tokens). */
  queryChunk: number;
}

export const levels = (c: VaeConfig): number => numUpBlocks(c);
export const bandRowsAt = (plan: VaePlan, level: number): number[] => plan.latentBands.map((r) => r * 2 ** level);

/** Largest f32 values one band buffer (or any single buffer) may hold. */
function maxValues(limitBytes: number): number {
  return Math.floor(limitBytes / 4);
}

/** Values in one latent row's worth of band at the widest channel count of each level (max over levels). */
function valuesPerLatentRow(c: VaeConfig, B: number, w: number): number {
  let most = 0;
  for (let L = 0; L < levels(c); L++) {
    const channels = Math.max(...levelChannels(c, L), L === levels(c) - 1 ? c.out_channels : 0);
    most = Math.max(most, B * channels * 2 ** L * w * 2 ** L);
  }
  return most;
}

/**
 * Bands for a latent [B, ·, h, w]: `tileRows` latent rows per band when given, else as few bands as
 * keep every buffer within `limitBytes` (the adapter's binding limit or a memory budget), balanced.
 */
export function planVaeDecode(c: VaeConfig, B: number, h: number, w: number, limitBytes: number, tileRows?: number): VaePlan {
  const perRow = valuesPerLatentRow(c, B, w);
  const fit = Math.floor(maxValues(limitBytes) / perRow);
  let latentBands: number[];
  if (tileRows !== undefined) {
    if (!Number.isInteger(tileRows) || tileRows < 1) throw new Error(`tile rows must be a positive integer, got ${tileRows}`);
    if (Math.min(tileRows, h) > fit) throw new Error(`bands of ${tileRows} latent rows need ${perRow * Math.min(tileRows, h) * 4} bytes per buffer, over the limit of ${limitBytes}; use at most ${Math.max(fit, 0)}`);
    latentBands = evenBands(h, tileRows);
  } else {
    if (fit < 1) throw new Error(`a ${B}x${w} latent is too wide to decode: one latent row needs ${perRow * 4} bytes per buffer, over the limit of ${limitBytes}`);
    const count = Math.ceil(h / fit);
    latentBands = evenBands(h, Math.ceil(h / count));
  }
  const tokens = h * w;
  const R0 = upBlockChannels(c)[0];
  if (B * tokens * 3 * R0 > maxValues(limitBytes)) throw new Error(`the mid-block attention over ${tokens} tokens of ${R0} channels (batch ${B}) needs ${B * tokens * 3 * R0 * 4} bytes for q|k|v, over the limit of ${limitBytes}`);
  const queryChunk = Math.max(1, Math.min(tokens, Math.floor(maxValues(limitBytes) / tokens)));
  return { batch: B, height: h, width: w, latentBands, queryChunk };
}

export interface VaeActivations {
  plan: VaePlan;
  /** Input latent z [B, latent, h, w] (already divided by the scaling factor). */
  z: BandedTensor;
  /** Output image [B, out, H, W]. */
  sample: BandedTensor;
  /** The sample as RGBA8 [B, H, W] u32. */
  rgba: Tensor;
  /** Three rotating slots, each one buffer per band. */
  slots: Tensor[][];
  /** Mid-block attention at latent resolution, whole: tokens and o [B·h·w, C], qkv [B·h·w, 3C], scores. */
  tokens: Tensor;
  qkv: Tensor;
  attnOut: Tensor;
  projOut: Tensor;
  scores: Tensor;
  groupNorm: GroupNormScratch;
}

export const levelShape = (plan: VaePlan, level: number, channels: number): Shape4 =>
  [plan.batch, channels, plan.height * 2 ** level, plan.width * 2 ** level];

export function allocateVaeActivations(alloc: Allocator, c: VaeConfig, plan: VaePlan): VaeActivations {
  const { batch: B, height: h, width: w } = plan;
  const top = levels(c) - 1;
  const slotValues = plan.latentBands.map((_, k) => {
    let most = 0;
    for (let L = 0; L < levels(c); L++) {
      const rows = bandRowsAt(plan, L)[k];
      for (const ch of levelChannels(c, L)) most = Math.max(most, B * ch * rows * w * 2 ** L);
    }
    return most;
  });
  const R0 = upBlockChannels(c)[0];
  const N = B * h * w;
  const scale = upscaleFactor(c);
  return {
    plan,
    z: allocateBanded(alloc, levelShape(plan, 0, c.latent_channels), bandRowsAt(plan, 0), 'z'),
    sample: allocateBanded(alloc, levelShape(plan, top, c.out_channels), bandRowsAt(plan, top), 'sample'),
    rgba: alloc.tensor([B, h * scale, w * scale], 'rgba'),
    slots: [0, 1, 2].map((s) => slotValues.map((v, k) => alloc.tensor([v], `vae.slot${s}[band ${k}]`))),
    tokens: alloc.tensor([N, R0], 'mid.attention.tokens'),
    qkv: alloc.tensor([N, 3 * R0], 'mid.attention.qkv'),
    attnOut: alloc.tensor([N, R0], 'mid.attention.o'),
    projOut: alloc.tensor([N, R0], 'mid.attention.out'),
    scores: alloc.tensor([plan.queryChunk * h * w], 'mid.attention.scores'),
    groupNorm: new GroupNormScratch(alloc),
  };
}

/** Slot `slot` viewed as a [B, channels, H_L, W_L] activation at `level`. */
export function slotView(a: VaeActivations, slot: number, level: number, channels: number, label: string): BandedTensor {
  return bandedView(levelShape(a.plan, level, channels), bandRowsAt(a.plan, level), a.slots[slot], label);
}

export function freeVaeActivations(alloc: Allocator, a: VaeActivations): void {
  const tensors = [...a.z.bands.map((b) => b.tensor), ...a.sample.bands.map((b) => b.tensor), a.rgba, ...a.slots.flat(), a.tokens, a.qkv, a.attnOut, a.projOut, a.scores];
  for (const t of tensors) alloc.free(t.buffer);
  a.groupNorm.destroy();
}
