/**
 * A WebGPU device that allocates nothing and computes nothing, for dry runs of the engine's real
 * code in Node: the Allocator still counts every buffer that code asks for, and the device counts
 * the dispatches and submissions it is handed.
 */
import './webgpu-constants.ts';
import type { Gpu } from '../../src/gpu/device.ts';

export interface NullCounts {
  dispatches: number;
  submits: number;
}

export interface NullLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export function nullGpu(limits: NullLimits, counts: NullCounts = { dispatches: 0, submits: 0 }): Gpu {
  const noop = () => {};
  const buffer = (size: number) => ({ size, destroy: noop, unmap: noop, mapAsync: async () => {}, getMappedRange: (_o = 0, n = size) => new ArrayBuffer(n) });
  const pass = { setPipeline: noop, setBindGroup: noop, end: noop, dispatchWorkgroups: () => { counts.dispatches++; } };
  const device = {
    createBuffer: (d: { size: number }) => buffer(d.size),
    createShaderModule: () => ({}),
    createComputePipeline: () => ({ getBindGroupLayout: () => ({}) }),
    createBindGroup: () => ({}),
    createCommandEncoder: () => ({ beginComputePass: () => pass, copyBufferToBuffer: noop, finish: () => ({}) }),
    pushErrorScope: noop,
    popErrorScope: async () => null,
    queue: { writeBuffer: noop, submit: () => { counts.submits++; }, onSubmittedWorkDone: async () => {} },
  };
  return {
    device: device as unknown as GPUDevice,
    adapterInfo: { vendor: 'null', architecture: 'null', description: 'dry run' },
    adapterFeatures: [],
    features: { f16: false, subgroups: false, timestamps: false },
    limits: { ...limits, maxComputeWorkgroupsPerDimension: 65535 } as unknown as GPUSupportedLimits,
    lostReason: null,
  };
}
