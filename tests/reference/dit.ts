/**
 * DiT forward on the CPU (float64 accumulation), composed from the kernel references: the
 * reference for configurations the PyTorch fixtures do not cover. Reads official key names.
 */
import { headDim, labelRows, mlpHidden, numTokens, outChannels, type DitConfig } from '../../src/model/config.ts';
import { sincosPosEmbed2d } from '../../src/model/pos-embed.ts';
import type { TensorSource } from '../../src/model/tensor-source.ts';

/** Every tensor of a (small) source in memory, under official names. */
export type Tensors = Map<string, Float32Array>;

export async function materialize(src: TensorSource): Promise<Tensors> {
  const out: Tensors = new Map();
  for (const name of src.names()) out.set(name, await src.float32(name));
  return out;
}
import * as ref from './ops.ts';

const f = (a: ArrayLike<number>) => Float32Array.from(a);

export function ditForwardCpu(tensors: Tensors, c: DitConfig, x: Float32Array, t: Float32Array, y: Int32Array): Float64Array {
  const w = {
    has: (name: string) => tensors.has(name),
    float32: (name: string) => {
      const v = tensors.get(name);
      if (!v) throw new Error(`reference DiT: tensor "${name}" is missing`);
      return v;
    },
  };
  const N = t.length;
  const D = c.hidden_size;
  const T = numTokens(c);
  const p = c.patch_size;
  const lin = (inp: ArrayLike<number>, name: string, M: number, outF: number, inF: number) =>
    ref.linear(f(inp), w.float32(`${name}.weight`), w.float32(`${name}.bias`), M, outF, inF);

  const tFreq = ref.timestepEmbedding(t, 256);
  const tEmb = lin(lin(tFreq, 't_embedder.mlp.0', N, D, 256).map(ref.silu), 't_embedder.mlp.2', N, D, D);
  const table = w.float32('y_embedder.embedding_table.weight');
  if (table.length !== labelRows(c) * D) throw new Error('label table shape');
  const cVec = tEmb.map((v, i) => v + table[y[Math.floor(i / D)] * D + (i % D)]);
  const siluC = cVec.map(ref.silu);
  const pos = w.has('pos_embed') ? w.float32('pos_embed') : sincosPosEmbed2d(D, c.input_size / p);
  let h = ref.patchEmbed(x, w.float32('x_embedder.proj.weight'), w.float32('x_embedder.proj.bias'), pos, N, c.in_channels, c.input_size, c.input_size, p, D);
  const rows = N * T;
  for (let i = 0; i < c.depth; i++) {
    const mod = f(lin(siluC, `blocks.${i}.adaLN_modulation.1`, N, 6 * D, D));
    const gated = (delta: Float64Array, gateOff: number) => h.map((v, k) => v + mod[Math.floor(k / D / T) * 6 * D + gateOff + (k % D)] * delta[k]);
    const a = ref.layerNormModulate(f(h), mod, rows, D, T, 6 * D, 0, D);
    const attn = ref.attention(f(lin(a, `blocks.${i}.attn.qkv`, rows, 3 * D, D)), N, T, c.num_heads, headDim(c));
    h = gated(lin(attn, `blocks.${i}.attn.proj`, rows, D, D), 2 * D);
    const m = ref.layerNormModulate(f(h), mod, rows, D, T, 6 * D, 3 * D, 4 * D);
    const hidden = lin(m, `blocks.${i}.mlp.fc1`, rows, mlpHidden(c), D).map(ref.geluTanh);
    h = gated(lin(hidden, `blocks.${i}.mlp.fc2`, rows, D, mlpHidden(c)), 5 * D);
  }
  const fmod = f(lin(siluC, 'final_layer.adaLN_modulation.1', N, 2 * D, D));
  const fin = lin(ref.layerNormModulate(f(h), fmod, rows, D, T, 2 * D, 0, D), 'final_layer.linear', rows, p * p * outChannels(c), D);
  return ref.unpatchify(f(fin), N, outChannels(c), c.input_size, c.input_size, p);
}
