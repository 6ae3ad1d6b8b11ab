/**
 * Worker-side helpers of the benchmarks (`npm run bench`): timing loops that run next to the GPU,
 * so a measured time holds no host↔page transfer, and counters of the GPU calls a run makes.
 */

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
