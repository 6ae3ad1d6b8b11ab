/**
 * The decode-path tensors of a VAE checkpoint, read under diffusers names (vae-layout.ts presents
 * the other layouts so) and checked against the config, on the host. Everything is read and
 * checked before anything is uploaded, so a bad file leaves no GPU memory behind. No GPU here.
 *
 * The decoder's structure is one generic tree, DecoderOf<Conv, Norm, Linear>: here with host
 * arrays at the leaves, in vae-weights.ts with the uploaded kernel layouts.
 */
import { numUpBlocks, resnetsPerUpBlock, upBlockChannels, type VaeConfig } from './vae-config.ts';
import { type VaeLayout, vaeSource } from './vae-layout.ts';
import type { TensorSource } from './tensor-source.ts';

export interface ResnetOf<Conv, Norm> {
  norm1: Norm;
  conv1: Conv;
  norm2: Norm;
  conv2: Conv;
  /** 1x1 conv on the residual path where the block changes the width. */
  shortcut: Conv | null;
}

export interface AttentionOf<Norm, Linear> {
  norm: Norm;
  /** to_q, to_k, to_v as one linear layer [3C, C]. */
  qkv: Linear;
  out: Linear;
}

export interface UpBlockOf<Conv, Norm> {
  resnets: ResnetOf<Conv, Norm>[];
  /** nearest-2x + 3x3 conv; every block but the last. */
  upsampler: Conv | null;
}

export interface DecoderOf<Conv, Norm, Linear> {
  config: VaeConfig;
  layout: VaeLayout;
  postQuantConv: Conv;
  convIn: Conv;
  midResnets: [ResnetOf<Conv, Norm>, ResnetOf<Conv, Norm>];
  midAttention: AttentionOf<Norm, Linear>;
  upBlocks: UpBlockOf<Conv, Norm>[];
  normOut: Norm;
  convOut: Conv;
}

/** Leaves of the host tree; `label` is the diffusers name, for GPU buffer labels. */
export interface HostConv { label: string; weight: Float32Array; bias: Float32Array; outChannels: number; inChannels: number; kernel: 1 | 3 }
export interface HostNorm { label: string; gamma: Float32Array; beta: Float32Array; groups: number }
export interface HostLinear { label: string; weight: Float32Array; bias: Float32Array; outFeatures: number; inFeatures: number }
export type HostVaeWeights = DecoderOf<HostConv, HostNorm, HostLinear>;

/**
 * Reads the decode-path tensors; throws naming the file's key (and both shapes) for a missing or
 * mis-shaped one. Every name and shape is checked before any tensor data is read.
 */
export async function readVaeCheckpoint(checkpoint: TensorSource, c: VaeConfig, keysRead: string[] = []): Promise<HostVaeWeights> {
  const src = vaeSource(checkpoint, numUpBlocks(c));
  const check = (name: string, shape: number[]): Float32Array => {
    const key = src.keyOf(name);
    const called = key === name ? `"${name}"` : `"${key}" (${name})`;
    if (!src.has(name)) throw new Error(`tensor ${called} is missing from the weights (expected shape [${shape}])`);
    const found = src.shape(name);
    if (found.length !== shape.length || found.some((d, i) => d !== shape[i])) throw new Error(`tensor ${called} has shape [${found}], expected [${shape}] for this config`);
    return new Float32Array(0);
  };
  // First pass: names and shapes only. Second pass: the same tree over the tensors read.
  const names: string[] = [];
  buildDecoder(c, src.layout, (name, shape) => { names.push(name); return check(name, shape); });

  const data = new Map<string, Float32Array>();
  for (const name of names) {
    data.set(name, await src.float32(name));
    keysRead.push(src.keyOf(name));
  }
  return buildDecoder(c, src.layout, (name) => data.get(name)!);
}

/** The diffusers names of every decode-path tensor of this config, in reading order. */
export function decodePathNames(c: VaeConfig): string[] {
  const names: string[] = [];
  buildDecoder(c, 'diffusers', (name) => { names.push(name); return new Float32Array(0); });
  return names;
}

function buildDecoder(c: VaeConfig, layout: VaeLayout, read: (name: string, shape: number[]) => Float32Array): HostVaeWeights {
  const conv = (name: string, cout: number, cin: number, k: 1 | 3): HostConv =>
    ({ label: name, weight: read(`${name}.weight`, [cout, cin, k, k]), bias: read(`${name}.bias`, [cout]), outChannels: cout, inChannels: cin, kernel: k });
  const norm = (name: string, C: number): HostNorm =>
    ({ label: name, gamma: read(`${name}.weight`, [C]), beta: read(`${name}.bias`, [C]), groups: c.norm_num_groups });
  const linear = (name: string, C: number): HostLinear =>
    ({ label: name, weight: read(`${name}.weight`, [C, C]), bias: read(`${name}.bias`, [C]), outFeatures: C, inFeatures: C });
  const resnet = (name: string, cin: number, cout: number): ResnetOf<HostConv, HostNorm> => ({
    norm1: norm(`${name}.norm1`, cin),
    conv1: conv(`${name}.conv1`, cout, cin, 3),
    norm2: norm(`${name}.norm2`, cout),
    conv2: conv(`${name}.conv2`, cout, cout, 3),
    shortcut: cin === cout ? null : conv(`${name}.conv_shortcut`, cout, cin, 1),
  });
  const attention = (name: string, C: number): AttentionOf<HostNorm, HostLinear> => {
    const groupNorm = norm(`${name}.group_norm`, C);
    const [q, k, v, out] = ['to_q', 'to_k', 'to_v', 'to_out.0'].map((p) => linear(`${name}.${p}`, C));
    const qkv: HostLinear = { label: `${name}.to_qkv`, weight: new Float32Array(3 * C * C), bias: new Float32Array(3 * C), outFeatures: 3 * C, inFeatures: C };
    [q, k, v].forEach((p, i) => { qkv.weight.set(p.weight, i * C * C); qkv.bias.set(p.bias, i * C); });
    return { norm: groupNorm, qkv, out };
  };

  const R = upBlockChannels(c);
  const L = c.latent_channels;
  return {
    config: c,
    layout,
    postQuantConv: conv('post_quant_conv', L, L, 1),
    convIn: conv('decoder.conv_in', R[0], L, 3),
    midResnets: [resnet('decoder.mid_block.resnets.0', R[0], R[0]), resnet('decoder.mid_block.resnets.1', R[0], R[0])],
    midAttention: attention('decoder.mid_block.attentions.0', R[0]),
    upBlocks: R.map((width, i) => ({
      resnets: Array.from({ length: resnetsPerUpBlock(c) }, (_, j) => resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? R[Math.max(0, i - 1)] : width, width)),
      upsampler: i < R.length - 1 ? conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, width, width, 3) : null,
    })),
    normOut: norm('decoder.conv_norm_out', c.block_out_channels[0]),
    convOut: conv('decoder.conv_out', c.out_channels, c.block_out_channels[0], 3),
  };
}

/** The same tree with every leaf mapped (e.g. uploaded). */
export function mapDecoder<C1, N1, L1, C2, N2, L2>(d: DecoderOf<C1, N1, L1>, f: { conv(c: C1): C2; norm(n: N1): N2; linear(l: L1): L2 }): DecoderOf<C2, N2, L2> {
  const resnet = (r: ResnetOf<C1, N1>): ResnetOf<C2, N2> =>
    ({ norm1: f.norm(r.norm1), conv1: f.conv(r.conv1), norm2: f.norm(r.norm2), conv2: f.conv(r.conv2), shortcut: r.shortcut && f.conv(r.shortcut) });
  return {
    config: d.config,
    layout: d.layout,
    postQuantConv: f.conv(d.postQuantConv),
    convIn: f.conv(d.convIn),
    midResnets: [resnet(d.midResnets[0]), resnet(d.midResnets[1])],
    midAttention: { norm: f.norm(d.midAttention.norm), qkv: f.linear(d.midAttention.qkv), out: f.linear(d.midAttention.out) },
    upBlocks: d.upBlocks.map((b) => ({ resnets: b.resnets.map(resnet), upsampler: b.upsampler && f.conv(b.upsampler) })),
    normOut: f.norm(d.normOut),
    convOut: f.conv(d.convOut),
  };
}
