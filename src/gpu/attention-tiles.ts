/**
 * How many query rows one invocation of the vec4 attention kernel (shaders/attention_vec4.wgsl)
 * owns, per attention shape, on this device: more rows reuse every key/value load (SwiftShader
 * wants 8), fewer keep registers free (real GPUs). Measured by the autotune
 * (kernel-autotune.ts), held with the device's other choices (kernel-choices.ts).
 */

/** The shape of a multi-head attention (ops.ts `attention`). */
export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  headDim: number;
}

export const ATTENTION_QUERIES: readonly number[] = [1, 2, 4, 8];

export const DEFAULT_QUERIES = 1;

/** Batch does not change the choice (it only adds workgroups). */
export const attentionKey = (s: AttentionShape): string => `${s.tokens}t-${s.heads}h-${s.headDim}d`;

export class AttentionTiles {
  private readonly chosen = new Map<string, number>();

  /** Only head dims divisible by 4 have the multi-query kernel. */
  static tunable(s: AttentionShape): boolean {
    return s.headDim % 4 === 0;
  }

  forShape(s: AttentionShape): number {
    return this.chosen.get(attentionKey(s)) ?? DEFAULT_QUERIES;
  }

  isTuned(s: AttentionShape): boolean {
    return !AttentionTiles.tunable(s) || this.chosen.has(attentionKey(s));
  }

  set(s: AttentionShape, queries: number): void {
    this.chosen.set(attentionKey(s), queries);
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.chosen);
  }

  restore(saved: Record<string, number>): void {
    for (const [key, q] of Object.entries(saved)) if (ATTENTION_QUERIES.includes(q)) this.chosen.set(key, q);
  }
}
