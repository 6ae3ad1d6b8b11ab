/**
 * What the tests and the benchmarks reach in the engine's worker beside the Engine itself: timing
 * loops that run next to the GPU (so a measured time holds no host↔page transfer) and single
 * kernels (the kernel lab). The test worker (test.worker.ts) exposes them with the engine.
 */
import type { BatchParams, Frame, StepViews } from '../../src/engine/api.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { VAE_WORK_PER_SUBMIT, type VaeDecodeOptions } from '../../src/engine/vae-runner.ts';
import type { HostTensorF32 } from '../../src/gpu/host-tensor.ts';
import { type DispatchTime, type ForwardTiming, profileDitForward, type SampleStepRequest, type StepTiming, timeDitForward, timeSampleSteps } from '../../src/engine/bench/model-timing.ts';
import { countGpuCalls, type GpuCallCounts, timeRuns, type TimingOptions } from '../../src/engine/bench/timing.ts';
import { type KernelResult, type KernelRun, runKernel } from './lab/lab.ts';

export class Bench {
  constructor(private readonly engine: Engine) {}

  /** Times forwards in the worker (model-timing.ts: CPU to CPU, and the GPU's own time of each). */
  async benchDitForward(modelId: string, x: HostTensorF32, t: Float32Array, y: Int32Array, timing: TimingOptions): Promise<ForwardTiming> {
    return timeDitForward(await this.engine.local.context(), this.engine.local.dit(modelId), { x, t, y }, timing);
  }

  /** The GPU's time of each dispatch of one forward (model-timing.ts; null without timestamp queries). */
  async profileDitForward(modelId: string, x: HostTensorF32, t: Float32Array, y: Int32Array): Promise<DispatchTime[] | null> {
    return profileDitForward(await this.engine.local.context(), this.engine.local.dit(modelId), { x, t, y });
  }

  /** Times the GPU sampling loop step by step (model-timing.ts); step 0 is not timed. */
  async benchDitSample(modelId: string, req: SampleStepRequest): Promise<StepTiming> {
    return timeSampleSteps(await this.engine.local.context(), this.engine.local.dit(modelId).weights, req);
  }

  /**
   * Times VAE decodes in the worker, each from the latent on the CPU to `sample` read back to the
   * CPU; the decode is recorded first, untimed. When the first decode (a warm-up) takes over
   * `onceOverMs`, it is the only one and is returned as the time (`once`). Also counts the GPU
   * calls of one decode (the average over every decode run), the peak bytes the decode allocates
   * above its weights (activations, uniforms, scratch; the runner's previous recording freed
   * first), and returns the last sample.
   */
  async benchVaeDecode(id: string, z: HostTensorF32, timing: TimingOptions & { onceOverMs?: number }, opts: VaeDecodeOptions = {}): Promise<{
    times: number[]; once: boolean; sample: HostTensorF32; calls: GpuCallCounts; decodeBytes: number; workPerSubmit: number;
  }> {
    const runner = this.engine.local.vae(id);
    const { alloc } = await this.engine.local.context();
    runner.release();
    const base = alloc.liveBytes;
    alloc.peakBytes = base;
    await runner.prepare(z, opts);
    let sample: HostTensorF32 | null = null;
    let decodes = 0;
    const decode = async () => {
      const t0 = performance.now();
      sample = (await runner.decode(z, opts)).sample;
      decodes++;
      return performance.now() - t0;
    };
    const { result, counts } = await countGpuCalls(async () => {
      const first = await decode();
      if (timing.warmup === 0) return { times: [first, ...(await timeRuns({ warmup: 0, runs: timing.runs - 1 }, decode))], once: false };
      if (timing.onceOverMs !== undefined && first > timing.onceOverMs) return { times: [first], once: true };
      return { times: await timeRuns({ warmup: timing.warmup - 1, runs: timing.runs }, decode), once: false };
    });
    const calls = { dispatches: counts.dispatches / decodes, submits: counts.submits / decodes, commandBuffers: counts.commandBuffers / decodes };
    return { ...result, sample: sample!, calls, decodeBytes: alloc.peakBytes - base, workPerSubmit: opts.workPerSubmit ?? VAE_WORK_PER_SUBMIT };
  }
}

export class Lab {
  constructor(private readonly engine: Engine) {}

  /** A batched generation with every step's views kept (the host wire carries no callbacks). */
  async generateWithSteps(params: BatchParams): Promise<{ images: Frame[]; steps: StepViews[][] }> {
    const steps: StepViews[][] = [];
    const { images } = await this.engine.generateBatch(params, (s) => { steps.push(s.views); });
    return { images, steps };
  }

  async runKernel(run: KernelRun): Promise<KernelResult> {
    return runKernel(await this.engine.local.context(), run);
  }
}
