/**
 * A WebGPU device that allocates nothing and computes nothing (src/gpu/dry-run.ts), for dry runs
 * of the engine's real code in Node: the Allocator still counts every buffer that code asks for,
 * and the device counts the dispatches and submissions it is handed.
 */
import './webgpu-constants.ts';
import type { Gpu } from '../../src/gpu/device.ts';
import { type DryCounts, dryDevice } from '../../src/gpu/dry-run.ts';

export type NullCounts = DryCounts;

export interface NullLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

export function nullGpu(limits: NullLimits, counts: NullCounts = { dispatches: 0, submits: 0 }): Gpu {
  return {
    device: dryDevice(counts),
    adapterInfo: { vendor: 'null', architecture: 'null', description: 'dry run' },
    adapterFeatures: [],
    features: { f16: false, subgroups: false, timestamps: false },
    limits: { ...limits, maxComputeWorkgroupsPerDimension: 65535 } as unknown as GPUSupportedLimits,
    lostReason: null,
  };
}
