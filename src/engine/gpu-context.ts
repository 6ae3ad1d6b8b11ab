/** The worker's GPU state: one device, one allocator, one pipeline cache, shared by all models. */
import { createGpu, type Gpu } from '../gpu/device.ts';
import { PipelineCache } from '../gpu/kernel.ts';
import { Allocator } from '../gpu/tensor.ts';
import type { AdapterSummary } from './api.ts';

export interface GpuContext {
  gpu: Gpu;
  alloc: Allocator;
  pipelines: PipelineCache;
}

export async function createGpuContext(): Promise<GpuContext> {
  const gpu = await createGpu();
  return { gpu, alloc: new Allocator(gpu), pipelines: new PipelineCache(gpu) };
}

export function adapterSummary(gpu: Gpu): AdapterSummary {
  return {
    ...gpu.adapterInfo,
    features: gpu.adapterFeatures,
    maxStorageBufferBindingSize: gpu.limits.maxStorageBufferBindingSize,
    maxBufferSize: gpu.limits.maxBufferSize,
  };
}
