/** Random DiT weights (official key names) and inputs: the benchmarks' models, and the tests' configurations without fixtures. */
import { labelRows, mlpHidden, numTokens, outChannels, type DitConfig } from '../../model/config.ts';
import type { TensorToWrite } from '../../weights/safetensors.ts';
import { randn } from './random.ts';

/** Every tensor of an official-layout DiT checkpoint: shape and the scale of its random values. */
export function ditCheckpointShapes(c: DitConfig): Record<string, { shape: number[]; scale: number }> {
  const D = c.hidden_size;
  const p = c.patch_size;
  const out: Record<string, { shape: number[]; scale: number }> = {};
  const add = (name: string, shape: number[], scale: number) => { out[name] = { shape, scale }; };
  const linear = (name: string, o: number, i: number) => { add(`${name}.weight`, [o, i], 1 / Math.sqrt(i)); add(`${name}.bias`, [o], 0.1); };
  add('x_embedder.proj.weight', [D, c.in_channels, p, p], 1 / Math.sqrt(c.in_channels * p * p));
  add('x_embedder.proj.bias', [D], 0.1);
  linear('t_embedder.mlp.0', D, 256);
  linear('t_embedder.mlp.2', D, D);
  add('y_embedder.embedding_table.weight', [labelRows(c), D], 0.5);
  for (let i = 0; i < c.depth; i++) {
    linear(`blocks.${i}.attn.qkv`, 3 * D, D);
    linear(`blocks.${i}.attn.proj`, D, D);
    linear(`blocks.${i}.mlp.fc1`, mlpHidden(c), D);
    linear(`blocks.${i}.mlp.fc2`, D, mlpHidden(c));
    linear(`blocks.${i}.adaLN_modulation.1`, 6 * D, D);
  }
  linear('final_layer.adaLN_modulation.1', 2 * D, D);
  linear('final_layer.linear', p * p * outChannels(c), D);
  return out;
}

export function randomDitWeights(c: DitConfig, seed: number): Record<string, TensorToWrite> {
  const out: Record<string, TensorToWrite> = {};
  let s = seed;
  for (const [name, { shape, scale }] of Object.entries(ditCheckpointShapes(c))) {
    out[name] = { dtype: 'F32', shape, data: randn(s++, shape.reduce((a, b) => a * b, 1), scale) };
  }
  return out;
}

export function randomDitInputs(c: DitConfig, N: number, seed: number) {
  const x = randn(seed, N * c.in_channels * c.input_size ** 2);
  const t = Float32Array.from({ length: N }, (_, i) => [999, 3, 512.5, 250, 1, 777][i % 6]);
  // Conditional labels in the first half, the null class in the second (the CFG layout).
  const y = Int32Array.from({ length: N }, (_, i) => (i < N / 2 ? (i * 7 + 1) % c.num_classes : c.num_classes));
  return { x, t, y, tokens: numTokens(c) };
}
