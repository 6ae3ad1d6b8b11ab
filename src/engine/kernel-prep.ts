/**
 * Compiles the GPU pipelines a run will use before the run starts, all at once.
 *
 * Created on first use, pipelines compile one after another while the first step waits (on
 * SwiftShader 0.2-1 s per matmul pipeline, and a DiT run uses a dozen or more). Here the run is first made on a dry device (gpu/dry-run.ts) by the engine's
 * own code, which names every kernel it records; the kernels of the first step are then compiled
 * with createComputePipelineAsync, in parallel and off the GPU process's thread, and awaited; the
 * rest (the final image: the VAE decode) compiles in the background while sampling runs.
 */
import type { CompileProgress } from '../gpu/kernel.ts';
import { dryGpu, KernelCollector } from '../gpu/dry-run.ts';
import { Allocator } from '../gpu/tensor.ts';
import type { GenerateParams } from './api.ts';
import { DitRunner } from './dit-runner.ts';
import type { GenerateModel } from './generate.ts';
import type { GpuContext } from './gpu-context.ts';
import { VaeRunner } from './vae-runner.ts';

/** Pipelines compiled so far of those the run needs before its first step. */
export type KernelProgress = CompileProgress;

export interface PreparedKernels {
  /** Kernels the run uses before its first step is shown, and after it (the final image). */
  firstStep: number;
  later: number;
  /** Of the first step's, compiled by this call (the others were ready or being compiled). */
  compiled: number;
  /** Why the dry run stopped early, if it did: kernels it did not reach compile on first use. */
  dryRunError?: string;
}

/** What a host calls to compile a run's kernels ahead of it, with progress (Engine.prepare). */
export interface KernelPrepApi {
  prepare(params: GenerateParams, onProgress?: (p: KernelProgress) => void): Promise<PreparedKernels>;
}

/** A context on a dry device that shares `ctx`'s kernel choices and collects the kernels used. */
function dryContext(ctx: GpuContext): GpuContext & { pipelines: KernelCollector } {
  const gpu = dryGpu(ctx.gpu);
  return { gpu, alloc: new Allocator(gpu), pipelines: new KernelCollector(gpu, ctx.pipelines.choices) };
}

/** The model's weights, run on the dry context: nothing of the dry run reaches the GPU. */
export function dryModel(model: GenerateModel, dry: GpuContext): GenerateModel {
  return {
    dit: new DitRunner(dry.gpu, dry.alloc, dry.pipelines, model.dit.weights),
    vae: model.vae && new VaeRunner(dry.gpu, dry.alloc, dry.pipelines, model.vae.weights),
  };
}

/**
 * Dry-runs `run` (which calls `firstStep` once its first step is shown), then compiles what it
 * used: the first step's kernels awaited (progress to `onProgress`), the others in the background.
 */
export async function prepareKernels(
  ctx: GpuContext,
  run: (dry: GpuContext, firstStep: () => void) => Promise<unknown>,
  onProgress?: (p: KernelProgress) => void,
): Promise<PreparedKernels> {
  const dry = dryContext(ctx);
  let firstCount: number | null = null;
  let dryRunError: string | undefined;
  try {
    await run(dry, () => { firstCount ??= dry.pipelines.specs.length; });
  } catch (e) {
    dryRunError = e instanceof Error ? e.message : String(e);
  }
  const specs = dry.pipelines.specs;
  const first = specs.slice(0, firstCount ?? specs.length);
  const later = specs.slice(first.length);
  const { total } = await ctx.pipelines.prepare(first, onProgress);
  void ctx.pipelines.prepare(later);
  return { firstStep: first.length, later: later.length, compiled: total, ...(dryRunError ? { dryRunError } : {}) };
}
