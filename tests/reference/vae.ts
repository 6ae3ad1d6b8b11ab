/**
 * The VAE decoder on the CPU (float64 throughout), composed from the kernel references, reading
 * diffusers names: the reference for configurations the PyTorch fixtures do not cover. Returns
 * `sample` and every intermediate the GPU decode can capture.
 */
import type { TensorSource } from '../../src/model/tensor-source.ts';
import { decodePathNames } from '../../src/model/vae-checkpoint.ts';
import { vaeSource } from '../../src/model/vae-layout.ts';
import { upBlockChannels, type VaeConfig } from '../../src/model/vae-config.ts';
import * as ref from './vae-ops.ts';

export interface NamedWeights {
  float32(name: string): Float32Array;
}

/** Every decode-path tensor of a (small) checkpoint in memory, under diffusers names. */
export async function vaeWeightsCpu(src: TensorSource, c: VaeConfig): Promise<NamedWeights> {
  const named = vaeSource(src, c.block_out_channels.length);
  const tensors = new Map<string, Float32Array>();
  for (const name of decodePathNames(c)) tensors.set(name, await named.float32(name));
  return {
    float32: (name) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`reference VAE: tensor "${name}" is missing`);
      return t;
    },
  };
}

interface Act {
  data: Float64Array;
  C: number;
  H: number;
  W: number;
}

export function vaeDecodeCpu(w: NamedWeights, c: VaeConfig, z: Float32Array, zShape: number[]): Record<string, { shape: number[]; data: Float64Array }> {
  const [B, , h0, w0] = zShape;
  const out: Record<string, { shape: number[]; data: Float64Array }> = {};
  const keep = (name: string, a: Act): Act => {
    out[name] = { shape: [B, a.C, a.H, a.W], data: a.data };
    return a;
  };
  const G = c.norm_num_groups;

  const conv = (x: Act, name: string, Cout: number, k: 1 | 3): Act =>
    ({ data: ref.conv2d(x.data, w.float32(`${name}.weight`), w.float32(`${name}.bias`), B, x.C, x.H, x.W, Cout, k), C: Cout, H: x.H, W: x.W });
  const norm = (x: Act, name: string, silu: boolean): Act =>
    ({ ...x, data: ref.groupNorm(x.data, w.float32(`${name}.weight`), w.float32(`${name}.bias`), B, x.C, x.H, x.W, G, { silu }) });
  const add = (a: Act, b: Act): Act => ({ ...a, data: a.data.map((v, i) => v + b.data[i]) });

  const resnet = (x: Act, name: string, Cout: number): Act => {
    const y = conv(norm(conv(norm(x, `${name}.norm1`, true), `${name}.conv1`, Cout, 3), `${name}.norm2`, true), `${name}.conv2`, Cout, 3);
    return add(x.C === Cout ? x : conv(x, `${name}.conv_shortcut`, Cout, 1), y);
  };

  const attention = (x: Act, name: string): Act => {
    const { C, H, W } = x;
    const N = B * H * W;
    const t = ref.nchwToTokens(norm(x, `${name}.group_norm`, false).data, B, C, H, W);
    const proj = (inp: ArrayLike<number>, p: string) => ref.linear(inp, w.float32(`${name}.${p}.weight`), w.float32(`${name}.${p}.bias`), N, C, C);
    const [q, k, v] = ['to_q', 'to_k', 'to_v'].map((p) => proj(t, p));
    const qkv = new Float64Array(N * 3 * C);
    for (let r = 0; r < N; r++) [q, k, v].forEach((m, i) => qkv.set(m.subarray(r * C, (r + 1) * C), r * 3 * C + i * C));
    const o = proj(ref.singleHeadAttention(qkv, B, H * W, C), 'to_out.0');
    return add({ ...x, data: ref.tokensToNchw(o, B, C, H, W) }, x);
  };

  const R = upBlockChannels(c);
  let h: Act = { data: Float64Array.from(z), C: c.latent_channels, H: h0, W: w0 };
  h = keep('after_post_quant_conv', conv(h, 'post_quant_conv', c.latent_channels, 1));
  h = keep('after_conv_in', conv(h, 'decoder.conv_in', R[0], 3));
  h = keep('after_mid_resnet_0', resnet(h, 'decoder.mid_block.resnets.0', R[0]));
  h = keep('after_mid_attention', attention(h, 'decoder.mid_block.attentions.0'));
  h = keep('after_mid_block', resnet(h, 'decoder.mid_block.resnets.1', R[0]));
  R.forEach((width, i) => {
    for (let j = 0; j <= c.layers_per_block; j++) h = resnet(h, `decoder.up_blocks.${i}.resnets.${j}`, width);
    if (i < R.length - 1) {
      const up: Act = { data: ref.upsampleNearest2x(h.data, B, h.C, h.H, h.W), C: h.C, H: 2 * h.H, W: 2 * h.W };
      h = conv(up, `decoder.up_blocks.${i}.upsamplers.0.conv`, width, 3);
    }
    keep(`after_up_block_${i}`, h);
  });
  h = keep('after_conv_act', norm(h, 'decoder.conv_norm_out', true));
  keep('sample', conv(h, 'decoder.conv_out', c.out_channels, 3));
  return out;
}
