/**
 * Tunes the kernels for a model before its forward is recorded (recorded programs keep the
 * kernels chosen then): choices saved for this adapter are restored first, the shapes still
 * unknown are timed (gpu/kernel-autotune.ts) and the result saved.
 */
import { autotuneAttention, autotuneMatmuls, prepareCandidates, type TuneResult } from '../gpu/kernel-autotune.ts';
import type { MatmulShape } from '../gpu/matmul-tiles.ts';
import type { AttentionShape, LinearWeight } from '../gpu/ops.ts';
import { numTokens } from '../model/config.ts';
import type { DitWeights } from '../model/dit.ts';
import type { GpuContext } from './gpu-context.ts';
import { loadKernelChoices, saveKernelChoices, tuningKey } from './tuning-store.ts';

export interface KernelShapes {
  matmul: MatmulShape[];
  attention: AttentionShape[];
}

const restored = new WeakSet<GpuContext>();

export async function tuneKernels(ctx: GpuContext, shapes: KernelShapes): Promise<TuneResult[]> {
  const { matmulTiles, attentionTiles } = ctx.pipelines;
  const key = tuningKey(ctx.gpu);
  if (!restored.has(ctx)) {
    restored.add(ctx);
    const saved = await loadKernelChoices(key);
    if (saved) {
      matmulTiles.restore(saved.matmul ?? {});
      attentionTiles.restore(saved.attention ?? {});
    }
  }
  await prepareCandidates(ctx.gpu, ctx.pipelines, shapes);
  const results = [
    ...(await autotuneMatmuls(ctx.gpu, ctx.pipelines, shapes.matmul)),
    ...(await autotuneAttention(ctx.gpu, ctx.pipelines, shapes.attention)),
  ];
  if (results.length) await saveKernelChoices(key, { matmul: matmulTiles.toJSON(), attention: attentionTiles.toJSON() });
  return results;
}

const shapeOf = (lw: LinearWeight, M: number): MatmulShape => ({ M, K: lw.inFeatures, N: lw.outFeatures, f16: lw.f16 });

/** A DiT's token-wise linear layers and attention at batch 2 (a guided image); all blocks share shapes. */
export function ditKernelShapes(w: DitWeights): KernelShapes {
  const c = w.config;
  const T = numTokens(c);
  const b = w.blocks[0];
  return {
    matmul: [b.qkv, b.proj, b.fc1, b.fc2, w.finalLinear].map((lw) => shapeOf(lw, 2 * T)),
    attention: [{ batch: 2, tokens: T, heads: c.num_heads, headDim: c.hidden_size / c.num_heads }],
  };
}
