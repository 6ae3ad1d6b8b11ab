/**
 * The buffers a decode's activations live in. They rotate through three slots; slot s, band k is
 * one buffer sized for the largest [B, C, rows, W] it ever holds at any level, so the whole decoder
 * needs three image-sized buffers (plus the small latent-resolution attention buffers), whatever
 * its depth.
 */
import { allocateBanded, type BandedTensor, bandedView, type Shape4 } from '../gpu/banded.ts';
import type { Allocator, Tensor } from '../gpu/tensor.ts';
import { GroupNormScratch } from '../gpu/vae-ops.ts';
import { bandRowsAt, levels, type VaePlan } from './vae-bands.ts';
import { levelChannels, upBlockChannels, upscaleFactor, type VaeConfig } from './vae-config.ts';

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
