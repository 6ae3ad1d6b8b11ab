/**
 * Worker-side helpers of the benchmarks (`npm run bench`, the app's benchmark page): timing loops
 * that run next to the GPU, so a measured time holds no host↔page transfer, counters of the GPU
 * calls a run makes, and the GPU's own time of a run from timestamp queries.
 */
import type { Gpu } from '../../gpu/device.ts';

export interface TimingOptions {
  /** Untimed runs first (pipeline compilation, first-use allocation). */
  warmup: number;
  /** Timed runs. */
  runs: number;
}

/** Runs `fn` warmup + runs times and returns the timed runs' wall times in ms. */
export async function timeRuns(opts: TimingOptions, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < opts.warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

export interface GpuCallCounts {
  dispatches: number;
  submits: number;
  /** Command buffers submitted (a submit may carry several). */
  commandBuffers: number;
}

/**
 * Counts compute dispatches and queue submissions made while `fn` runs, by wrapping the WebGPU
 * prototypes for its duration (every device of this worker). `fn` sees the live counts.
 */
export async function countGpuCalls<T>(fn: (live: Readonly<GpuCallCounts>) => Promise<T>): Promise<{ result: T; counts: GpuCallCounts }> {
  const counts: GpuCallCounts = { dispatches: 0, submits: 0, commandBuffers: 0 };
  const pass = GPUComputePassEncoder.prototype;
  const queue = GPUQueue.prototype;
  const dispatch = pass.dispatchWorkgroups;
  const submit = queue.submit;
  pass.dispatchWorkgroups = function (this: GPUComputePassEncoder, ...args: Parameters<typeof dispatch>) {
    counts.dispatches++;
    return dispatch.apply(this, args);
  };
  queue.submit = function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
    counts.submits++;
    const list = [...buffers];
    counts.commandBuffers += list.length;
    return submit.call(this, list);
  };
  try {
    return { result: await fn(counts), counts };
  } finally {
    pass.dispatchWorkgroups = dispatch;
    queue.submit = submit;
  }
}

/** Timestamps per query set: WebGPU's most (two per compute pass). */
const QUERIES = 4096;

/**
 * The GPU's own time of a run, from timestamp queries (the `timestamp-query` feature): while the
 * run goes, every compute pass begun in this worker writes a timestamp at its start and its end,
 * and the run's time is the sum over its passes, excluding the CPU, submission, readback and any
 * copy between passes. Resolution: the browser rounds timestamps (Chromium to 100 µs).
 */
export class PassTimer {
  private readonly queries: GPUQuerySet;
  private readonly resolved: GPUBuffer;
  private readonly readback: GPUBuffer;

  private constructor(private readonly device: GPUDevice) {
    this.queries = device.createQuerySet({ type: 'timestamp', count: QUERIES });
    this.resolved = device.createBuffer({ size: QUERIES * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    this.readback = device.createBuffer({ size: QUERIES * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  }

  /** A timer on this device; null when the device has no timestamp queries. */
  static create(gpu: Gpu): PassTimer | null {
    return gpu.features.timestamps ? new PassTimer(gpu.device) : null;
  }

  /**
   * Runs `fn` with its compute passes timed. `gpuMs`: their total; `segments`: the total of the
   * passes between consecutive calls of `mark` (the first from the start, the last to the end).
   * `passMs`: each pass's time, in order. All null when `fn` began more passes than one query set
   * holds.
   */
  async time<T>(fn: (mark: () => void) => Promise<T>): Promise<{ result: T; gpuMs: number | null; segments: number[] | null; passMs: number[] | null }> {
    const encoder = GPUCommandEncoder.prototype;
    const begin = encoder.beginComputePass;
    const { queries } = this;
    let passes = 0;
    const marks: number[] = [];
    encoder.beginComputePass = function (this: GPUCommandEncoder, descriptor?: GPUComputePassDescriptor) {
      const i = passes++;
      if (2 * i + 1 >= QUERIES) return begin.call(this, descriptor);
      return begin.call(this, { ...descriptor, timestampWrites: { querySet: queries, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    };
    let result: T;
    try {
      result = await fn(() => marks.push(passes));
    } finally {
      encoder.beginComputePass = begin;
    }
    if (2 * passes > QUERIES) return { result, gpuMs: null, segments: null, passMs: null };
    const ms = passes ? await this.read(passes) : [];
    const bounds = [0, ...marks, passes];
    const segments = bounds.slice(1).map((end, i) => ms.slice(bounds[i], end).reduce((a, b) => a + b, 0));
    return { result, gpuMs: ms.reduce((a, b) => a + b, 0), segments, passMs: ms };
  }

  /** Each pass's time in ms. */
  private async read(passes: number): Promise<number[]> {
    const enc = this.device.createCommandEncoder();
    enc.resolveQuerySet(this.queries, 0, 2 * passes, this.resolved, 0);
    enc.copyBufferToBuffer(this.resolved, 0, this.readback, 0, 2 * passes * 8);
    this.device.queue.submit([enc.finish()]);
    await this.readback.mapAsync(GPUMapMode.READ, 0, 2 * passes * 8);
    const ns = new BigInt64Array(this.readback.getMappedRange(0, 2 * passes * 8).slice(0));
    this.readback.unmap();
    return Array.from({ length: passes }, (_, i) => Number(ns[2 * i + 1] - ns[2 * i]) / 1e6);
  }

  destroy(): void {
    this.queries.destroy();
    this.resolved.destroy();
    this.readback.destroy();
  }
}
