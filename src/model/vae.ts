/**
 * The Stable Diffusion VAE decoder (diffusers `AutoencoderKL.decode`), as the fixtures' README
 * states it:
 *
 *   h = conv1x1(z; post_quant_conv);  h = conv3x3(h; conv_in)
 *   mid:  h = Res(h);  h = Attn(h);  h = Res(h)
 *   for each up block i:  L+1 resnets;  nearest-2x + conv3x3 unless last
 *   sample = conv3x3(SiLU(GroupNorm(h)); conv_out)
 *
 * This file says what is computed; src/gpu/vae-ops.ts records how. Activations are row-banded
 * (vae-bands.ts, vae-activations.ts) and rotate through three buffers: each box takes the free slots it needs.
 */
import type { BandedTensor } from '../gpu/banded.ts';
import * as ops from '../gpu/ops.ts';
import type { Program } from '../gpu/program.ts';
import * as vops from '../gpu/vae-ops.ts';
import { slotView, type VaeActivations } from './vae-activations.ts';
import type { AttentionWeights, ResnetWeights, UpBlockWeights, VaeWeights } from './vae-weights.ts';

/** Receives a named activation as the decode passes it (to copy it out). */
export type Capture = (name: string, t: BandedTensor) => void;

/** An activation: where it lives (slot), at which resolution level, as which tensor. */
interface Act {
  t: BandedTensor;
  slot: number;
  level: number;
}

class Decoder {
  constructor(
    readonly prog: Program,
    readonly a: VaeActivations,
  ) {}

  /** A slot none of `busy` occupies, viewed as [B, channels] at `level`. */
  take(level: number, channels: number, busy: Act[], label: string): Act {
    const slot = [0, 1, 2].find((s) => !busy.some((b) => b.slot === s));
    if (slot === undefined) throw new Error('VAE decoder: all activation slots are busy');
    return { t: slotView(this.a, slot, level, channels, label), slot, level };
  }

  get scratch(): vops.GroupNormScratch {
    return this.a.groupNorm;
  }
}

/** Res(x) = (conv_shortcut(x) or x) + conv2(SiLU(GN(conv1(SiLU(GN(x)))))), no output scaling. */
function resnetBlock(d: Decoder, x: Act, w: ResnetWeights, name: string): Act {
  const C = w.conv1.outChannels;
  const n1 = d.take(x.level, x.t.shape[1], [x], `${name}.norm1`);
  vops.groupNorm(d.prog, x.t, w.norm1, n1.t, d.scratch, { silu: true });
  const h = d.take(x.level, C, [x, n1], `${name}.conv1`);
  vops.conv2d(d.prog, n1.t, w.conv1, h.t);
  vops.groupNorm(d.prog, h.t, w.norm2, null, d.scratch, { silu: true }); // in place: h is not needed raw
  let residual = x;
  if (w.shortcut) {
    residual = d.take(x.level, C, [x, h], `${name}.conv_shortcut`);
    vops.conv2d(d.prog, x.t, w.shortcut, residual.t);
  }
  const out = d.take(x.level, C, [residual, h], name);
  vops.conv2d(d.prog, h.t, w.conv2, out.t, { residual: residual.t });
  return out;
}

/**
 * Attn(x) = x + to_out(softmax(q kᵀ / √C) v), one head of dim C over the h·w tokens (token =
 * row · w + col) of GroupNorm(x); q, k, v from one fused projection. Runs whole at latent size.
 */
function attentionBlock(d: Decoder, x: Act, w: AttentionWeights, name: string): Act {
  const [B, C, H, W] = x.t.shape;
  const a = d.a;
  const rows = B * H * W;
  vops.groupNormToTokens(d.prog, x.t, w.norm, a.tokens, d.scratch);
  ops.linear(d.prog, a.tokens, w.qkv, a.qkv, rows);
  vops.singleHeadAttention(d.prog, a.qkv, a.scores, a.attnOut, { batch: B, tokens: H * W, channels: C, queryChunk: a.plan.queryChunk });
  ops.linear(d.prog, a.attnOut, w.out, a.projOut, rows);
  const out = d.take(x.level, C, [x], name);
  vops.tokensToNchw(d.prog, a.projOut, x.t, out.t);
  return out;
}

/** layers_per_block + 1 resnets, then (but in the last block) nearest-2x and a 3x3 conv. */
function upBlock(d: Decoder, x: Act, w: UpBlockWeights, name: string): Act {
  let h = x;
  w.resnets.forEach((r, j) => (h = resnetBlock(d, h, r, `${name}.resnets.${j}`)));
  if (!w.upsampler) return h;
  const up = d.take(h.level + 1, w.upsampler.outChannels, [h], `${name}.upsamplers.0`);
  vops.conv2d(d.prog, h.t, w.upsampler, up.t, { upsample: true });
  return up;
}

/** Records decode(z) → sample (and its RGBA8 image, given 3 channels) into `prog`: reads a.z, writes a.sample and a.rgba. */
export function recordVaeDecode(prog: Program, w: VaeWeights, a: VaeActivations, capture: Capture = () => {}): void {
  const d = new Decoder(prog, a);
  const c = w.config;
  const z: Act = { t: a.z, slot: -1, level: 0 };

  let h = d.take(0, c.latent_channels, [], 'post_quant_conv');
  vops.conv2d(prog, z.t, w.postQuantConv, h.t);
  capture('after_post_quant_conv', h.t);
  const convIn = d.take(0, w.convIn.outChannels, [h], 'decoder.conv_in');
  vops.conv2d(prog, h.t, w.convIn, convIn.t);
  h = convIn;
  capture('after_conv_in', h.t);

  h = resnetBlock(d, h, w.midResnets[0], 'decoder.mid_block.resnets.0');
  capture('after_mid_resnet_0', h.t);
  h = attentionBlock(d, h, w.midAttention, 'decoder.mid_block.attentions.0');
  capture('after_mid_attention', h.t);
  h = resnetBlock(d, h, w.midResnets[1], 'decoder.mid_block.resnets.1');
  capture('after_mid_block', h.t);

  w.upBlocks.forEach((blk, i) => {
    h = upBlock(d, h, blk, `decoder.up_blocks.${i}`);
    capture(`after_up_block_${i}`, h.t);
  });

  const act = d.take(h.level, h.t.shape[1], [h], 'decoder.conv_act');
  vops.groupNorm(prog, h.t, w.normOut, act.t, d.scratch, { silu: true });
  capture('after_conv_act', act.t);
  vops.conv2d(prog, act.t, w.convOut, a.sample);
  if (c.out_channels >= 3) vops.toRgba(prog, a.sample, a.rgba);
}
