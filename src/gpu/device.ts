/**
 * Opens the WebGPU device: the adapter's largest buffer limits, optional features when offered
 * (`shader-f16`, `subgroups`, `timestamp-query`), and GPU errors turned into exceptions.
 */

export interface GpuFeatures {
  f16: boolean;
  subgroups: boolean;
  /** The adapter's smallest subgroup size (when `subgroups`): a workgroup this small is one subgroup. */
  subgroupMinSize?: number;
  timestamps: boolean;
}

export interface Gpu {
  device: GPUDevice;
  adapterInfo: { vendor: string; architecture: string; description: string };
  adapterFeatures: string[];
  features: GpuFeatures;
  limits: GPUSupportedLimits;
  /** Set once the device is lost; every later GPU call fails with this message. */
  lostReason: string | null;
}

export class GpuError extends Error {
  constructor(readonly kind: 'unavailable' | 'validation' | 'out-of-memory' | 'internal' | 'lost', message: string) {
    super(message);
    this.name = 'GpuError';
  }
}

export async function createGpu(): Promise<Gpu> {
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (!nav?.gpu) {
    throw new GpuError('unavailable', 'WebGPU is not available in this browser (navigator.gpu is missing)');
  }
  const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new GpuError('unavailable', 'WebGPU is present but no GPU adapter was found');
  const want: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];
  const requiredFeatures = want.filter((f) => adapter.features.has(f));
  const L = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: L.maxStorageBufferBindingSize,
      maxBufferSize: L.maxBufferSize,
      maxStorageBuffersPerShaderStage: L.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: L.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: L.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: L.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: L.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupsPerDimension: L.maxComputeWorkgroupsPerDimension,
    },
  });
  const info = adapter.info;
  const gpu: Gpu = {
    device,
    adapterInfo: { vendor: info.vendor, architecture: info.architecture, description: info.description },
    adapterFeatures: [...adapter.features].sort(),
    features: {
      f16: device.features.has('shader-f16'),
      subgroups: device.features.has('subgroups'),
      subgroupMinSize: info.subgroupMinSize,
      timestamps: device.features.has('timestamp-query'),
    },
    limits: device.limits,
    lostReason: null,
  };
  device.lost.then((lost) => {
    gpu.lostReason = `the GPU device was lost (${lost.reason}): ${lost.message || 'no details'}`;
  });
  return gpu;
}

/**
 * Runs `work` inside validation / out-of-memory / internal error scopes and throws the first
 * error as a GpuError, so a bad dispatch or an allocation the GPU refused is an exception with
 * a message instead of a silent wrong result.
 */
export async function checked<T>(gpu: Gpu, what: string, work: () => T | Promise<T>): Promise<T> {
  if (gpu.lostReason) throw new GpuError('lost', gpu.lostReason);
  const d = gpu.device;
  d.pushErrorScope('internal');
  d.pushErrorScope('out-of-memory');
  d.pushErrorScope('validation');
  let result: T;
  try {
    result = await work();
  } finally {
    const validation = await d.popErrorScope();
    const oom = await d.popErrorScope();
    const internal = await d.popErrorScope();
    if (gpu.lostReason) throw new GpuError('lost', gpu.lostReason);
    if (oom) throw new GpuError('out-of-memory', `${what}: the GPU is out of memory (${oom.message})`);
    if (validation) throw new GpuError('validation', `${what}: ${validation.message}`);
    if (internal) throw new GpuError('internal', `${what}: internal GPU error: ${internal.message}`);
  }
  return result;
}
