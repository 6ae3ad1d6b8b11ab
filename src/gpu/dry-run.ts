/**
 * Dry runs: the engine's own recording code against a WebGPU device that allocates nothing and
 * computes nothing. The memory benchmark counts the buffers that code asks for; the engine learns
 * which pipelines a run will use (a KernelCollector in place of the pipeline cache) and compiles
 * them all at once before the run (kernel.ts, PipelineCache.prepare).
 */
import type { Gpu } from './device.ts';
import { type KernelSpec, PipelineCache, pipelineKey } from './kernel.ts';
import type { KernelChoices } from './kernel-choices.ts';

export interface DryCounts {
  dispatches: number;
  submits: number;
}

/**
 * A device that creates nothing and runs nothing: buffers map to zeros, submissions and reads
 * resolve at once, error scopes report nothing. `counts` tallies the dispatches and submissions
 * handed to it.
 */
export function dryDevice(counts: DryCounts = { dispatches: 0, submits: 0 }): GPUDevice {
  const noop = () => {};
  const buffer = (size: number) => ({ size, destroy: noop, unmap: noop, mapAsync: async () => {}, getMappedRange: (_o = 0, n = size) => new ArrayBuffer(n) });
  const pass = { setPipeline: noop, setBindGroup: noop, end: noop, dispatchWorkgroups: () => { counts.dispatches++; } };
  const device = {
    createBuffer: (d: { size: number }) => buffer(d.size),
    createShaderModule: () => ({}),
    createComputePipeline: () => ({ getBindGroupLayout: () => ({}) }),
    createBindGroup: () => ({}),
    createCommandEncoder: () => ({ beginComputePass: () => pass, copyBufferToBuffer: noop, clearBuffer: noop, finish: () => ({}) }),
    pushErrorScope: noop,
    popErrorScope: async () => null,
    queue: { writeBuffer: noop, submit: () => { counts.submits++; }, onSubmittedWorkDone: async () => {} },
  };
  return device as unknown as GPUDevice;
}

/** `like`'s adapter, features and limits over a dry device: the same recording choices, no GPU work. */
export function dryGpu(like: Pick<Gpu, 'adapterInfo' | 'adapterFeatures' | 'features' | 'limits'>, counts?: DryCounts): Gpu {
  return { device: dryDevice(counts), adapterInfo: like.adapterInfo, adapterFeatures: like.adapterFeatures, features: like.features, limits: like.limits, lostReason: null };
}

/** A pipeline cache for dry runs: it compiles nothing and remembers every kernel asked for, in order. */
export class KernelCollector extends PipelineCache {
  private readonly seen = new Map<string, KernelSpec>();
  private readonly standIn = { getBindGroupLayout: () => ({}) } as unknown as GPUComputePipeline;

  /** `choices`: the real cache's, so that the dry run picks the tiles the real run will. */
  constructor(gpu: Gpu, choices: KernelChoices) {
    super(gpu, choices);
  }

  override get(spec: KernelSpec): GPUComputePipeline {
    const key = pipelineKey(spec);
    if (!this.seen.has(key)) this.seen.set(key, spec);
    return this.standIn;
  }

  /** The distinct kernels asked for so far, in the order first asked. */
  get specs(): KernelSpec[] {
    return [...this.seen.values()];
  }
}
