/**
 * What the tests and the benchmarks reach in the engine's worker beside the Engine itself: timing
 * loops that run next to the GPU (so a measured time holds no host↔page transfer) and single
 * kernels (the kernel lab). The test worker (test.worker.ts) exposes them with the engine.
 */
import type { Engine } from '../../src/engine/engine.ts';
import { VAE_WORK_PER_SUBMIT, type VaeDecodeOptions } from '../../src/engine/vae-runner.ts';
import type { HostTensorF32 } from '../../src/gpu/host-tensor.ts';
import { SampleRunner } from '../../src/sampling/gpu-sampler.ts';
import { initialNoise, stepNoiseProvider } from '../../src/sampling/noise-source.ts';
import type { SamplerKind } from '../../src/sampling/sampler-kind.ts';
import { countGpuCalls, type GpuCallCounts, timeRuns, type TimingOptions } from './gpu-timing.ts';
import { type KernelResult, type KernelRun, runKernel } from './lab/lab.ts';

export class Bench {
  constructor(private readonly engine: Engine) {}

  /** Times forwards in the worker, each from inputs on the CPU to the output read back to the CPU (at least one warm-up runs). */
  async benchDitForward(modelId: string, x: HostTensorF32, t: Float32Array, y: Int32Array, timing: TimingOptions): Promise<{ times: number[]; out: HostTensorF32; calls: GpuCallCounts }> {
    const runner = this.engine.local.dit(modelId);
    const inp = { x, t, y };
    let out: HostTensorF32 | null = null;
    // The first warm-up forward is the one whose GPU calls are counted.
    const { counts } = await countGpuCalls(async () => { out = (await runner.forward(inp)).out; });
    const times = await timeRuns({ warmup: Math.max(0, timing.warmup - 1), runs: timing.runs }, async () => { out = (await runner.forward(inp)).out; });
    return { times, out: out!, calls: counts };
  }

  /**
   * Times the GPU sampling loop step by step: step k's time runs from step k-1's completion to
   * step k's (the CPU's per-step writes, the step's submission, the GPU's work). Step 0, which
   * follows recording and setup, is not timed. Also counts each step's dispatches and submits.
   */
  async benchDitSample(modelId: string, req: { labels: Int32Array; respacing: string; sampler: SamplerKind; cfgScale: number; seed: number }): Promise<{ stepTimes: number[]; steps: number; calls: GpuCallCounts[] }> {
    const runner = this.engine.local.dit(modelId);
    const ctx = await this.engine.local.context();
    const c = runner.config;
    const latent = c.in_channels * c.input_size ** 2;
    const B = req.labels.length;
    const stepTimes: number[] = [];
    const calls: GpuCallCounts[] = [];
    let last = 0;
    let before: GpuCallCounts | null = null;
    const { result } = await countGpuCalls((live) => {
      const sampler = new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, runner.weights);
      return sampler.sample({
        labels: req.labels, z: initialNoise({ seed: req.seed }, B * latent), respacing: req.respacing, sampler: req.sampler,
        cfgScale: req.cfgScale, stepNoise: stepNoiseProvider({ seed: req.seed }, latent, B),
        onStep: async (k) => {
          await ctx.gpu.device.queue.onSubmittedWorkDone();
          const now = performance.now();
          if (k > 0) {
            stepTimes.push(now - last);
            calls.push({ dispatches: live.dispatches - before!.dispatches, submits: live.submits - before!.submits, commandBuffers: live.commandBuffers - before!.commandBuffers });
          }
          last = now;
          before = { ...live };
        },
      });
    });
    return { stepTimes, steps: result.steps, calls };
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

  async runKernel(run: KernelRun): Promise<KernelResult> {
    return runKernel(await this.engine.local.context(), run);
  }
}
