/**
 * The VAE decoder's weights, read under diffusers names (vae-layout.ts presents the other layouts
 * so), checked against the config and uploaded once in the layouts the kernels read.
 */
import { type LinearWeight, uploadLinear } from '../gpu/ops.ts';
import type { Allocator } from '../gpu/tensor.ts';
import { type ConvWeight, type GroupNormWeight, uploadConv, uploadGroupNorm } from '../gpu/vae-ops.ts';
import { numUpBlocks, resnetsPerUpBlock, upBlockChannels, type VaeConfig } from './vae-config.ts';
import { type VaeLayout, type VaeSource, vaeSource } from './vae-layout.ts';
import type { TensorSource } from './tensor-source.ts';

export interface ResnetWeights {
  norm1: GroupNormWeight;
  conv1: ConvWeight;
  norm2: GroupNormWeight;
  conv2: ConvWeight;
  /** 1x1 conv on the residual path where the block changes the width. */
  shortcut: ConvWeight | null;
}

export interface AttentionWeights {
  norm: GroupNormWeight;
  /** to_q, to_k, to_v as one linear layer [3C, C]. */
  qkv: LinearWeight;
  out: LinearWeight;
}

export interface UpBlockWeights {
  resnets: ResnetWeights[];
  /** nearest-2x + 3x3 conv; every block but the last. */
  upsampler: ConvWeight | null;
}

export interface VaeWeights {
  config: VaeConfig;
  layout: VaeLayout;
  postQuantConv: ConvWeight;
  convIn: ConvWeight;
  midResnets: [ResnetWeights, ResnetWeights];
  midAttention: AttentionWeights;
  upBlocks: UpBlockWeights[];
  normOut: GroupNormWeight;
  convOut: ConvWeight;
}

class WeightReader {
  constructor(
    readonly src: VaeSource,
    readonly alloc: Allocator,
    readonly groups: number,
  ) {}

  read(name: string, shape: number[]): Float32Array {
    const key = this.src.keyOf(name);
    const called = key === name ? `"${name}"` : `"${key}" (${name})`;
    if (!this.src.has(name)) throw new Error(`tensor ${called} is missing from the weights (expected shape [${shape}])`);
    const found = this.src.shape(name);
    if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) {
      throw new Error(`tensor ${called} has shape [${found}], expected [${shape}] for this config`);
    }
    return this.src.float32(name);
  }

  conv(name: string, cout: number, cin: number, k: 1 | 3): ConvWeight {
    return uploadConv(this.alloc, this.read(`${name}.weight`, [cout, cin, k, k]), this.read(`${name}.bias`, [cout]), cout, cin, k, name);
  }

  norm(name: string, C: number): GroupNormWeight {
    return uploadGroupNorm(this.alloc, this.read(`${name}.weight`, [C]), this.read(`${name}.bias`, [C]), this.groups, name);
  }

  linear(name: string, C: number): { w: Float32Array; b: Float32Array } {
    return { w: this.read(`${name}.weight`, [C, C]), b: this.read(`${name}.bias`, [C]) };
  }

  resnet(name: string, cin: number, cout: number): ResnetWeights {
    return {
      norm1: this.norm(`${name}.norm1`, cin),
      conv1: this.conv(`${name}.conv1`, cout, cin, 3),
      norm2: this.norm(`${name}.norm2`, cout),
      conv2: this.conv(`${name}.conv2`, cout, cout, 3),
      shortcut: cin === cout ? null : this.conv(`${name}.conv_shortcut`, cout, cin, 1),
    };
  }

  attention(name: string, C: number): AttentionWeights {
    const [q, k, v, o] = ['to_q', 'to_k', 'to_v', 'to_out.0'].map((p) => this.linear(`${name}.${p}`, C));
    const qkvW = new Float32Array(3 * C * C);
    const qkvB = new Float32Array(3 * C);
    [q, k, v].forEach((p, i) => { qkvW.set(p.w, i * C * C); qkvB.set(p.b, i * C); });
    return {
      norm: this.norm(`${name}.group_norm`, C),
      qkv: uploadLinear(this.alloc, qkvW, qkvB, 3 * C, C, `${name}.to_qkv`),
      out: uploadLinear(this.alloc, o.w, o.b, C, C, `${name}.to_out.0`),
    };
  }
}

/** Uploads the decode-path tensors of a checkpoint (diffusers, legacy or LDM names) once. */
export function uploadVaeWeights(alloc: Allocator, checkpoint: TensorSource, c: VaeConfig): VaeWeights {
  const src = vaeSource(checkpoint, numUpBlocks(c));
  const r = new WeightReader(src, alloc, c.norm_num_groups);
  const R = upBlockChannels(c);
  const L = c.latent_channels;
  return {
    config: c,
    layout: src.layout,
    postQuantConv: r.conv('post_quant_conv', L, L, 1),
    convIn: r.conv('decoder.conv_in', R[0], L, 3),
    midResnets: [r.resnet('decoder.mid_block.resnets.0', R[0], R[0]), r.resnet('decoder.mid_block.resnets.1', R[0], R[0])],
    midAttention: r.attention('decoder.mid_block.attentions.0', R[0]),
    upBlocks: R.map((width, i) => ({
      resnets: Array.from({ length: resnetsPerUpBlock(c) }, (_, j) => r.resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? R[Math.max(0, i - 1)] : width, width)),
      upsampler: i < R.length - 1 ? r.conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, width, width, 3) : null,
    })),
    normOut: r.norm('decoder.conv_norm_out', c.block_out_channels[0]),
    convOut: r.conv('decoder.conv_out', c.out_channels, c.block_out_channels[0], 3),
  };
}
