/**
 * Whole-model timings in the engine's worker (the benchmarks' forward and sampling-step entries):
 * wall times from the CPU, the GPU's own time of the same runs (timestamp queries), GPU calls.
 */
import type { HostTensorF32 } from '../../gpu/host-tensor.ts';
import { Program, type ProfiledDispatch } from '../../gpu/program.ts';
import type { DitWeights } from '../../model/dit.ts';
import { SampleRunner } from '../../sampling/gpu-sampler.ts';
import { initialNoise, stepNoiseProvider } from '../../sampling/noise-source.ts';
import type { SamplerKind } from '../../sampling/sampler-kind.ts';
import type { DitRunner, ForwardInputs } from '../dit-runner.ts';
import type { GpuContext } from '../gpu-context.ts';
import { countGpuCalls, type GpuCallCounts, PassTimer, type TimingOptions } from './timing.ts';

export interface ForwardTiming {
  /** Each timed forward, from inputs on the CPU to the output read back to the CPU. */
  times: number[];
  /** The GPU's own time of each (null without timestamp queries). */
  gpuTimes: (number | null)[];
  out: HostTensorF32;
  /** GPU calls of one forward. */
  calls: GpuCallCounts;
}

/** Times forwards (at least one warm-up runs: its GPU calls are the ones counted). */
export async function timeDitForward(ctx: GpuContext, runner: DitRunner, inp: ForwardInputs, timing: TimingOptions): Promise<ForwardTiming> {
  let out: HostTensorF32 | null = null;
  const forward = async () => { out = (await runner.forward(inp)).out; };
  const { counts } = await countGpuCalls(forward);
  for (let i = 1; i < timing.warmup; i++) await forward();
  const timer = PassTimer.create(ctx.gpu);
  const times: number[] = [];
  const gpuTimes: (number | null)[] = [];
  try {
    const timed = async () => {
      const t0 = performance.now();
      await forward();
      times.push(performance.now() - t0);
    };
    for (let i = 0; i < timing.runs; i++) gpuTimes.push(timer ? (await timer.time(timed)).gpuMs : (await timed(), null));
  } finally {
    timer?.destroy();
  }
  return { times, gpuTimes, out: out!, calls: counts };
}

/** One dispatch of a profiled forward and the GPU's time of it alone. */
export interface DispatchTime extends ProfiledDispatch {
  ms: number;
}

/**
 * The GPU's time of each dispatch of one forward: every dispatch in a compute pass of its own,
 * timed by timestamp queries. Sums to slightly more than the forward's GPU-only time (a pass
 * boundary per dispatch). Meant for a model that has run already (the benchmarks time it first), so
 * no first-use cost is in it; no warm-up of its own (one DiT-XL/2 forward is minutes on a CPU
 * adapter). Null without timestamp queries.
 */
export async function profileDitForward(ctx: GpuContext, runner: DitRunner, inp: ForwardInputs): Promise<DispatchTime[] | null> {
  const timer = PassTimer.create(ctx.gpu);
  if (!timer) return null;
  const dispatches: ProfiledDispatch[] = [];
  try {
    Program.profile = dispatches;
    const { passMs } = await timer.time(() => runner.forward(inp));
    if (!passMs || passMs.length !== dispatches.length) return null;
    return dispatches.map((d, i) => ({ ...d, ms: passMs[i] }));
  } finally {
    Program.profile = null;
    timer.destroy();
  }
}

export interface SampleStepRequest {
  labels: Int32Array;
  respacing: string;
  sampler: SamplerKind;
  cfgScale: number;
  seed: number;
}

export interface StepTiming {
  /** Step k's time, k ≥ 1: from step k−1's completion to step k's (the CPU's writes, the submission, the GPU's work). */
  stepTimes: number[];
  /** The GPU's own time of the same steps (null without timestamp queries). */
  stepGpuTimes: (number | null)[];
  steps: number;
  /** Each timed step's GPU calls. */
  calls: GpuCallCounts[];
}

/**
 * Times the GPU sampling loop step by step. Step 0, which follows recording and setup, is not
 * timed. Nothing is read back between steps.
 */
export async function timeSampleSteps(ctx: GpuContext, weights: DitWeights, req: SampleStepRequest): Promise<StepTiming> {
  const latent = weights.config.in_channels * weights.config.input_size ** 2;
  const B = req.labels.length;
  const stepTimes: number[] = [];
  const calls: GpuCallCounts[] = [];
  const timer = PassTimer.create(ctx.gpu);
  let last = 0;
  let before: GpuCallCounts | null = null;
  const sample = (live: Readonly<GpuCallCounts>, mark: () => void) => new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, weights).sample({
    labels: req.labels, z: initialNoise({ seed: req.seed }, B * latent), respacing: req.respacing, sampler: req.sampler,
    cfgScale: req.cfgScale, stepNoise: stepNoiseProvider({ seed: req.seed }, latent, B),
    onStep: async (k) => {
      await ctx.gpu.device.queue.onSubmittedWorkDone();
      mark();
      const now = performance.now();
      if (k > 0) {
        stepTimes.push(now - last);
        calls.push({ dispatches: live.dispatches - before!.dispatches, submits: live.submits - before!.submits, commandBuffers: live.commandBuffers - before!.commandBuffers });
      }
      last = now;
      before = { ...live };
    },
  });
  try {
    const { result } = await countGpuCalls(async (live) => {
      if (!timer) return { steps: (await sample(live, () => {})).steps, segments: null };
      const timed = await timer.time((mark) => sample(live, mark));
      return { steps: timed.result.steps, segments: timed.segments };
    });
    // Segment k holds step k's passes (marked when it completed); step 0 is untimed.
    const stepGpuTimes = result.segments ? result.segments.slice(1, 1 + stepTimes.length) : stepTimes.map(() => null);
    return { stepTimes, stepGpuTimes, steps: result.steps, calls };
  } finally {
    timer?.destroy();
  }
}
