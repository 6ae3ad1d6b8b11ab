/**
 * This device's kernel choices per shape: the matmul tile of each linear layer shape and the
 * queries per invocation of each attention shape. The autotune (kernel-autotune.ts) sets them,
 * engine/tuning-store.ts persists them, and the wrappers in ops.ts read them when recording.
 */
import { AttentionTiles } from './attention-tiles.ts';
import { MatmulTiles } from './matmul-tiles.ts';

export class KernelChoices {
  readonly matmulTiles = new MatmulTiles();
  readonly attentionTiles = new AttentionTiles();
}
