/**
 * Peak GPU memory of DiT-XL/2 sampling (one image with guidance: a batch-2 forward), counted by
 * the engine's own Allocator WITHOUT running XL: the engine's real code (uploadDitWeights,
 * SampleRunner: weights, activations, the step's buffers, recorded programs' uniforms) runs
 * against a null WebGPU device that allocates nothing and computes nothing. Every byte comes from
 * the Allocator's accounting of the buffers that code asks for, so it follows the code's sizes.
 * Dispatches and submits per step are counted on the same null device.
 */
import { type NullCounts, nullGpu } from '../support/null-gpu.ts';
import { PipelineCache } from '../../src/gpu/kernel.ts';
import { Allocator } from '../../src/gpu/tensor.ts';
import { type DitConfig, presetConfig } from '../../src/model/config.ts';
import { uploadDitWeights } from '../../src/model/dit.ts';
import type { TensorSource } from '../../src/model/tensor-source.ts';
import { SampleRunner } from '../../src/worker/sample-runner.ts';
import { ditCheckpointShapes } from '../support/random-dit.ts';
import type { BenchContext, Entry } from './context.ts';

/** A checkpoint of zeros with the official names and shapes. */
function zeroCheckpoint(c: DitConfig): TensorSource {
  const shapes = ditCheckpointShapes(c);
  return {
    names: () => Object.keys(shapes),
    has: (n) => n in shapes,
    shape: (n) => shapes[n].shape,
    float32: async (n) => new Float32Array(shapes[n].shape.reduce((a, b) => a * b, 1)),
  };
}

export interface MemoryPlan {
  weightBytes: number;
  peakBytes: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
}

/** Weights + one sampling run of one image with guidance (2 steps), on the null device. */
export async function ditSamplingPlan(c: DitConfig, limits: { maxBufferSize: number; maxStorageBufferBindingSize: number }): Promise<MemoryPlan> {
  const counts = { dispatches: 0, submits: 0 };
  const gpu = nullGpu(limits, counts);
  const alloc = new Allocator(gpu);
  const weights = await uploadDitWeights(alloc, zeroCheckpoint(c), c);
  const weightBytes = alloc.liveBytes;
  const runner = new SampleRunner(gpu, alloc, new PipelineCache(gpu), weights);
  const latent = c.in_channels * c.input_size ** 2;
  const perStep: NullCounts[] = [];
  let before = { ...counts };
  await runner.sample({
    labels: Int32Array.of(1), z: new Float32Array(latent), respacing: '2', sampler: 'ddpm', cfgScale: 4,
    stepNoise: (_k, rows) => new Float32Array(rows * latent),
    onStep: () => { perStep.push({ dispatches: counts.dispatches - before.dispatches, submits: counts.submits - before.submits }); before = { ...counts }; },
  });
  const step = perStep[perStep.length - 1];
  return { weightBytes, peakBytes: alloc.peakBytes, dispatchesPerStep: step.dispatches, submitsPerStep: step.submits };
}

const MiB = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

export async function memoryEntries(ctx: BenchContext, adapter: { maxBufferSize: number; maxStorageBufferBindingSize: number }): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const px of [256, 512]) {
    const name = `memory-dit-xl2-${px}px-cfg`;
    ctx.log(name);
    const c = presetConfig('DiT-XL/2', px / 8);
    let plan: MemoryPlan;
    try {
      plan = await ditSamplingPlan(c, adapter);
    } catch (e) {
      out.push({ name, measures: 'peak GPU bytes of DiT-XL/2 sampling', skipped: `does not fit this adapter: ${(e as Error).message}` });
      continue;
    }
    const activations = plan.peakBytes - plan.weightBytes;
    out.push({
      name,
      measures: `peak GPU memory of DiT-XL/2 sampling one ${px}px image with guidance (batch-2 forward, latent ${px / 8}×${px / 8}), counted by the engine's Allocator on a null device (not run)`,
      f32_peak_mib: MiB(plan.peakBytes), f32_weights_mib: MiB(plan.weightBytes), f32_activations_mib: MiB(activations),
      f16_peak_mib: null,
      f16_note: "the engine stores f32 only (no f16 storage path yet; this adapter has no shader-f16): projection with f16 weights, activations unchanged",
      f16_weights_projected_peak_mib: MiB(plan.weightBytes / 2 + activations),
      vae_mib: null,
      vae_note: 'the VAE is not in the engine yet (no loadVae): add its decode peak here when it lands',
      dispatches_per_step: plan.dispatchesPerStep, submits_per_step: plan.submitsPerStep,
    });
    ctx.log(`  f32 peak ${MiB(plan.peakBytes)} MiB (weights ${MiB(plan.weightBytes)} MiB), ${plan.dispatchesPerStep} dispatches / ${plan.submitsPerStep} submits per step`);
  }
  return out;
}
