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

/** How long one adapter or device request may take before it is asked again. */
export const GPU_REQUEST_TIMEOUT_MS = 20_000;

/**
 * A WebGPU request that sometimes never settles (seen with Chromium's SwiftShader adapter on a
 * loaded machine: the page stayed at "Starting GPU…" while a second request answered at once):
 * wait `timeoutMs` (GPU_REQUEST_TIMEOUT_MS), then ask again, at most `attempts` times.
 */
async function answered<T>(what: string, request: () => Promise<T>, timeoutMs: number, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
    try {
      const result = await Promise.race([request(), timeout]);
      if (result !== 'timeout') return result;
    } finally {
      clearTimeout(timer);
    }
    if (attempt === attempts) throw new GpuError('unavailable', `WebGPU did not answer ${what} within ${timeoutMs / 1000} s, ${attempts} times`);
  }
}

export async function createGpu(opts: { requestTimeoutMs?: number } = {}): Promise<Gpu> {
  const timeoutMs = opts.requestTimeoutMs ?? GPU_REQUEST_TIMEOUT_MS;
  const nav = (globalThis as { navigator?: Navigator }).navigator;
  if (!nav?.gpu) {
    throw new GpuError('unavailable', 'WebGPU is not available in this browser (navigator.gpu is missing)');
  }
  const adapter = await answered('requestAdapter', () => nav.gpu.requestAdapter({ powerPreference: 'high-performance' }), timeoutMs);
  if (!adapter) throw new GpuError('unavailable', 'WebGPU is present but no GPU adapter was found');
  const want: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'];
  const requiredFeatures = want.filter((f) => adapter.features.has(f));
  const L = adapter.limits;
  const descriptor: GPUDeviceDescriptor = {
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
  };
  // An adapter hands out one device: after a request that never answered, ask a fresh adapter.
  let attempt = 0;
  const device = await answered('requestDevice', async () => {
    const from = attempt++ === 0 ? adapter : (await nav.gpu.requestAdapter({ powerPreference: 'high-performance' })) ?? adapter;
    return from.requestDevice(descriptor);
  }, timeoutMs);
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
