/**
 * Time to the first step of a generation, record-only (the benchmarks' first-step entries,
 * tests/bench/first-step.ts): from a loaded model to its first sampling step ready to run, that is
 * the autotune of the model's shapes and the compilation of every pipeline the first step uses.
 * The model's weights sit on a dry device (src/gpu/dry-run.ts): any size records, nothing runs,
 * so DiT-XL/2 takes seconds here instead of the minutes of its forward on a CPU adapter.
 *
 * Two ways to compile: 'lazy', each pipeline created when the recording first asks for it, as the
 * engine did before kernel-prep.ts (the browser then compiles them one after another before the
 * first submission); 'prepared', the engine's way now: all at once ahead of the recording.
 */
import type { Engine } from '../../src/engine/engine.ts';
import { dryModel, prepareKernels } from '../../src/engine/kernel-prep.ts';
import { ditKernelShapes, tuneKernels } from '../../src/engine/kernel-tuning.ts';
import { generateImages, type GenerateModel } from '../../src/engine/generate.ts';
import { DitRunner } from '../../src/engine/dit-runner.ts';
import type { GpuContext } from '../../src/engine/gpu-context.ts';
import { VaeRunner } from '../../src/engine/vae-runner.ts';
import { dryGpu } from '../../src/gpu/dry-run.ts';
import { Allocator } from '../../src/gpu/tensor.ts';
import type { DitConfig } from '../../src/model/config.ts';
import { uploadDitWeights } from '../../src/model/dit.ts';
import type { TensorSource } from '../../src/model/tensor-source.ts';
import { parseVaeConfig } from '../../src/model/vae-config.ts';
import { uploadVaeWeights } from '../../src/model/vae-weights.ts';
import { ditCheckpointShapes } from '../../src/engine/bench/random-dit.ts';

export interface FirstStepTiming {
  /** The autotune of the model's matmul and attention shapes (0 when this profile had them saved). */
  tuneMs: number;
  /** From the recording's start to every pipeline of the first step compiled. */
  firstStepMs: number;
  /** Pipelines compiled for the first step (those the autotune compiled already are not counted). */
  compiled: number;
  /** 'prepared': pipelines used after the first step (the final image: the VAE decode), compiled in the background. */
  later: number;
  /** 'prepared': until the later pipelines, compiled in the background, are ready too (from the same start). */
  allMs?: number;
}

/** A checkpoint of zeros with these names and shapes. */
function zeros(shapes: Record<string, number[]>): TensorSource {
  return {
    names: () => Object.keys(shapes),
    has: (n) => n in shapes,
    shape: (n) => shapes[n],
    float32: async (n) => new Float32Array(shapes[n].reduce((a, b) => a * b, 1)),
  };
}

/** Thrown from the first step to end a lazy recording there. */
class FirstStepReached extends Error {}

export class FirstStep {
  constructor(private readonly engine: Engine) {}

  async time(config: DitConfig, vae: { config: unknown; shapes: Record<string, number[]> } | null, mode: 'lazy' | 'prepared'): Promise<FirstStepTiming> {
    const ctx = await this.engine.local.context();
    const gpu = dryGpu(ctx.gpu);
    const alloc = new Allocator(gpu);
    const weights = await uploadDitWeights(alloc, zeros(Object.fromEntries(Object.entries(ditCheckpointShapes(config)).map(([n, s]) => [n, s.shape]))), config);
    const vaeWeights = vae ? await uploadVaeWeights(alloc, zeros(vae.shapes), parseVaeConfig(vae.config)) : null;
    const t0 = performance.now();
    await tuneKernels(ctx, ditKernelShapes(weights));
    const tuneMs = performance.now() - t0;

    const params = { pictures: [{ classId: 1, cfgScale: 4, seed: 0 }], steps: 1, sampler: 'ddpm' as const };
    const t1 = performance.now();
    if (mode === 'prepared') {
      const model: GenerateModel = { dit: new DitRunner(gpu, alloc, ctx.pipelines, weights), vae: vaeWeights && new VaeRunner(gpu, alloc, ctx.pipelines, vaeWeights) };
      const prepared = await prepareKernels(ctx, (dry, firstStep) => generateImages(dry, dryModel(model, dry), params, { onStep: firstStep }));
      const firstStepMs = performance.now() - t1;
      await ctx.pipelines.settled();
      return { tuneMs, firstStepMs, allMs: performance.now() - t1, compiled: prepared.compiled, later: prepared.later };
    }
    // Recorded against the real pipeline cache on the dry device: each pipeline is created (on the
    // real device) when first asked for; the queue's work done means the browser compiled them all.
    const before = ctx.pipelines.size;
    const lazy: GpuContext = { gpu, alloc, pipelines: ctx.pipelines };
    const model: GenerateModel = { dit: new DitRunner(gpu, alloc, ctx.pipelines, weights), vae: vaeWeights && new VaeRunner(gpu, alloc, ctx.pipelines, vaeWeights) };
    await generateImages(lazy, model, params, { onStep: () => { throw new FirstStepReached(); } }).catch((e) => {
      if (!(e instanceof FirstStepReached)) throw e;
    });
    await ctx.gpu.device.queue.onSubmittedWorkDone();
    const firstStepMs = performance.now() - t1;
    return { tuneMs, firstStepMs, compiled: ctx.pipelines.size - before, later: 0 };
  }
}
