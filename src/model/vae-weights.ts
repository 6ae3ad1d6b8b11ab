/**
 * The VAE decoder's weights on the GPU: the checkpoint read and checked on the host first
 * (vae-checkpoint.ts), then uploaded once in the layouts the kernels read (conv weights tap-major,
 * linear weights transposed for the matmul, q|k|v fused).
 */
import { type LinearWeight, uploadLinear } from '../gpu/ops.ts';
import type { Allocator } from '../gpu/tensor.ts';
import { type ConvWeight, type GroupNormWeight, uploadConv, uploadGroupNorm } from '../gpu/vae-ops.ts';
import { type AttentionOf, type DecoderOf, mapDecoder, readVaeCheckpoint, type ResnetOf, type UpBlockOf } from './vae-checkpoint.ts';
import type { VaeConfig } from './vae-config.ts';
import type { TensorSource } from './tensor-source.ts';

export type ResnetWeights = ResnetOf<ConvWeight, GroupNormWeight>;
export type AttentionWeights = AttentionOf<GroupNormWeight, LinearWeight>;
export type UpBlockWeights = UpBlockOf<ConvWeight, GroupNormWeight>;
export type VaeWeights = DecoderOf<ConvWeight, GroupNormWeight, LinearWeight>;

/** Uploads the decode-path tensors of a checkpoint (diffusers, legacy or LDM names) once; nothing is uploaded if any is missing or mis-shaped. */
export async function uploadVaeWeights(alloc: Allocator, checkpoint: TensorSource, c: VaeConfig): Promise<VaeWeights> {
  return mapDecoder(await readVaeCheckpoint(checkpoint, c), {
    conv: (w) => uploadConv(alloc, w.weight, w.bias, w.outChannels, w.inChannels, w.kernel, w.label),
    norm: (n) => uploadGroupNorm(alloc, n.gamma, n.beta, n.groups, n.label),
    linear: (l) => uploadLinear(alloc, l.weight, l.bias, l.outFeatures, l.inFeatures, l.label),
  });
}
