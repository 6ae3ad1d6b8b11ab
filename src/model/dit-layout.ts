/**
 * DiT checkpoint key layouts. The model reads the official names (`models.py`); a diffusers
 * `Transformer2DModel` checkpoint is presented under those names: to_q/to_k/to_v become one
 * qkv, and the embedders that diffusers repeats in every block are read from block 0 only.
 */
import { MappedSource, type TensorSource } from './tensor-source.ts';

export type DitLayout = 'official' | 'diffusers';

export function detectDitLayout(names: string[]): DitLayout {
  if (names.some((n) => n.startsWith('blocks.0.attn.qkv.'))) return 'official';
  if (names.some((n) => /^transformer_blocks\.0\.attn1\.to_q\./.test(n))) return 'diffusers';
  const sample = names.slice(0, 5).join(', ');
  throw new Error(`unknown DiT weight layout: neither official (blocks.N.attn.qkv) nor diffusers (transformer_blocks.N.attn1.to_q) keys found (first keys: ${sample || 'none'})`);
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** The diffusers checkpoint under official DiT names. */
export function diffusersAsOfficial(src: TensorSource): TensorSource {
  const map = new Map<string, { shape: number[]; read: () => Promise<Float32Array> }>();
  const alias = (official: string, diffusers: string): void => {
    if (src.has(diffusers)) map.set(official, { shape: src.shape(diffusers), read: () => src.float32(diffusers) });
  };
  const both = (official: string, diffusers: string): void => {
    alias(`${official}.weight`, `${diffusers}.weight`);
    alias(`${official}.bias`, `${diffusers}.bias`);
  };
  both('x_embedder.proj', 'pos_embed.proj');
  both('t_embedder.mlp.0', 'transformer_blocks.0.norm1.emb.timestep_embedder.linear_1');
  both('t_embedder.mlp.2', 'transformer_blocks.0.norm1.emb.timestep_embedder.linear_2');
  alias('y_embedder.embedding_table.weight', 'transformer_blocks.0.norm1.emb.class_embedder.embedding_table.weight');
  both('final_layer.adaLN_modulation.1', 'proj_out_1');
  both('final_layer.linear', 'proj_out_2');
  for (let i = 0; src.has(`transformer_blocks.${i}.attn1.to_q.weight`); i++) {
    const d = `transformer_blocks.${i}`;
    const o = `blocks.${i}`;
    both(`${o}.adaLN_modulation.1`, `${d}.norm1.linear`);
    both(`${o}.attn.proj`, `${d}.attn1.to_out.0`);
    both(`${o}.mlp.fc1`, `${d}.ff.net.0.proj`);
    both(`${o}.mlp.fc2`, `${d}.ff.net.2`);
    for (const kind of ['weight', 'bias'] as const) {
      const parts = ['to_q', 'to_k', 'to_v'].map((p) => `${d}.attn1.${p}.${kind}`);
      if (!parts.every((p) => src.has(p))) continue;
      const s = src.shape(parts[0]);
      map.set(`${o}.attn.qkv.${kind}`, { shape: [3 * s[0], ...s.slice(1)], read: async () => concat(await Promise.all(parts.map((p) => src.float32(p)))) });
    }
  }
  return new MappedSource(map);
}

/**
 * Refuses weights with more blocks than the config's depth (official names): a depth-1 config must
 * not quietly run the first block of a depth-2 checkpoint.
 */
export function checkNoSurplusBlocks(officialNames: string[], depth: number): void {
  const surplus = officialNames.find((n) => {
    const m = /^blocks\.(\d+)\./.exec(n);
    return m !== null && Number(m[1]) >= depth;
  });
  if (surplus) throw new Error(`the weights hold more blocks than the config's depth ${depth}: first surplus tensor "${surplus}"`);
}

export function asOfficialLayout(src: TensorSource): { layout: DitLayout; source: TensorSource } {
  const layout = detectDitLayout(src.names());
  return { layout, source: layout === 'official' ? src : diffusersAsOfficial(src) };
}
