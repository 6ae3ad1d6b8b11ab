/**
 * Which attention kernel runs a given attention shape on this device: the vec4 kernel
 * (shaders/attention_vec4.wgsl) with 1, 2, 4 or 8 query rows per invocation (more rows reuse
 * every key/value load: SwiftShader wants 8; fewer keep registers free), or the flash kernel
 * (shaders/attention_flash.wgsl: K/V tiles staged in workgroup memory, the layout real GPUs
 * favour). Measured by the autotune (kernel-autotune.ts), held with the device's other choices
 * (kernel-choices.ts).
 */

/** The shape of a multi-head attention (ops.ts `attention`). */
export interface AttentionShape {
  batch: number;
  tokens: number;
  heads: number;
  headDim: number;
}

export const ATTENTION_QUERIES = [1, 2, 4, 8] as const;

/** A choice: the vec4 kernel's query rows per invocation, or the workgroup-tiled flash kernel. */
export type AttentionVariant = (typeof ATTENTION_QUERIES)[number] | 'flash';

export const ATTENTION_VARIANTS: readonly AttentionVariant[] = [...ATTENTION_QUERIES, 'flash'];

export const DEFAULT_QUERIES: AttentionVariant = 1;

/** A variant's name in reports and autotune timings: "8 queries", "flash". */
export const attentionVariantName = (v: AttentionVariant): string => (v === 'flash' ? 'flash' : `${v} queries`);

/** Keys per K/V tile of the flash kernel. */
export const FLASH_TILE_KEYS = 16;

/** Workgroup memory the flash kernel needs for a head dim: a K and a V tile of f32. */
export const flashWorkgroupBytes = (headDim: number): number => 2 * FLASH_TILE_KEYS * headDim * 4;

/** The variants this adapter can run for a shape (the flash kernel's tiles must fit its workgroup memory). */
export function attentionVariants(s: AttentionShape, limits: { maxComputeWorkgroupStorageSize: number }): AttentionVariant[] {
  return ATTENTION_VARIANTS.filter((v) => v !== 'flash' || flashWorkgroupBytes(s.headDim) <= limits.maxComputeWorkgroupStorageSize);
}

/** Batch does not change the choice (it only adds workgroups). */
export const attentionKey = (s: AttentionShape): string => `${s.tokens}t-${s.heads}h-${s.headDim}d`;

export class AttentionTiles {
  private readonly chosen = new Map<string, AttentionVariant>();

  /** Only head dims divisible by 4 have the multi-query kernel. */
  static tunable(s: AttentionShape): boolean {
    return s.headDim % 4 === 0;
  }

  forShape(s: AttentionShape): AttentionVariant {
    return this.chosen.get(attentionKey(s)) ?? DEFAULT_QUERIES;
  }

  isTuned(s: AttentionShape): boolean {
    return !AttentionTiles.tunable(s) || this.chosen.has(attentionKey(s));
  }

  set(s: AttentionShape, variant: AttentionVariant): void {
    this.chosen.set(attentionKey(s), variant);
  }

  toJSON(): Record<string, AttentionVariant> {
    return Object.fromEntries(this.chosen);
  }

  restore(saved: Record<string, unknown>): void {
    for (const [key, v] of Object.entries(saved)) if (ATTENTION_VARIANTS.includes(v as AttentionVariant)) this.chosen.set(key, v as AttentionVariant);
  }
}
