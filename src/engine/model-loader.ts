/**
 * From weight files to models on the GPU, the same way in every host: open the file (safetensors
 * or PyTorch zip, by its first bytes), read the tensors one by one by range, upload them.
 */
import { checked } from '../gpu/device.ts';
import type { DitConfig } from '../model/config.ts';
import { uploadDitWeights } from '../model/dit.ts';
import { indexedSource } from '../model/safetensors-source.ts';
import { openWeights } from '../weights/open-weights.ts';
import { bytesSource, type ByteSource } from '../weights/source.ts';
import { parseVaeConfig } from '../model/vae-config.ts';
import { uploadVaeWeights } from '../model/vae-weights.ts';
import { DitRunner } from './dit-runner.ts';
import { ditKernelShapes, tuneKernels } from './kernel-tuning.ts';
import { VaeRunner } from './vae-runner.ts';
import type { GpuContext } from './gpu-context.ts';

export interface DitLoadOptions {
  f16?: boolean;
  /** A lower binding limit than the adapter's (tests use it to force split weights). */
  maxBindingBytes?: number;
  signal?: AbortSignal;
}

/**
 * Files up to this size are read in one request and opened from memory: read tensor by tensor, a
 * small checkpoint costs one request per tensor (the built-in model's ~100 took 7 s through the
 * headless host on a loaded 2-core machine, against 0.2 s in one).
 */
export const WHOLE_READ_BYTES = 64 * 2 ** 20;

/**
 * The source to read tensors from: the file itself, or all of it read in one request first where
 * that is cheaper: a small file, or a server without Range support (each read there streams the
 * file from its start, so reading tensor by tensor would read a 2.7 GB file hundreds of times).
 */
export async function tensorReadSource(source: ByteSource, signal?: AbortSignal): Promise<ByteSource> {
  if (source.size > WHOLE_READ_BYTES && source.rangeReads !== false) return source;
  return bytesSource(await source.read(0, source.size, signal), source.name, source.etag);
}

export async function loadDit(ctx: GpuContext, file: ByteSource, config: DitConfig, opts: DitLoadOptions = {}): Promise<DitRunner> {
  const weights = await tensorReadSource(file, opts.signal);
  const opened = await openWeights(weights, { signal: opts.signal });
  const maxBindingBytes = Math.min(opts.maxBindingBytes ?? Infinity, ctx.gpu.limits.maxStorageBufferBindingSize);
  const uploaded = await checked(ctx.gpu, `uploading ${weights.name}`, () =>
    uploadDitWeights(ctx.alloc, indexedSource(opened, weights, opts.signal), config, { f16: opts.f16, maxBindingBytes }));
  // Before any forward is recorded: the recorded programs keep the kernels chosen now.
  await checked(ctx.gpu, 'tuning the kernels', () => tuneKernels(ctx, ditKernelShapes(uploaded)));
  return new DitRunner(ctx.gpu, ctx.alloc, ctx.pipelines, uploaded);
}

/** The SD-VAE decoder (diffusers, legacy diffusers or original LDM names; safetensors or PyTorch zip). */
export async function loadVae(ctx: GpuContext, file: ByteSource, config: unknown, signal?: AbortSignal): Promise<VaeRunner> {
  const c = parseVaeConfig(config);
  const weights = await tensorReadSource(file, signal);
  const opened = await openWeights(weights, { signal });
  const uploaded = await checked(ctx.gpu, `uploading ${weights.name}`, () => uploadVaeWeights(ctx.alloc, indexedSource(opened, weights, signal), c));
  return new VaeRunner(ctx.gpu, ctx.alloc, ctx.pipelines, uploaded);
}
