/**
 * The kernels of a run, named by a dry run of the engine's own generate (src/engine/kernel-prep.ts)
 * on a null device: those of the first step are compiled and awaited, the final image's (the VAE
 * decode) come after; what differs between runs (guidance, sampler) is all that a second
 * preparation compiles.
 */
import '../../support/webgpu-constants.ts';
import { describe, expect, it } from 'vitest';
import type { GenerateParams } from '../../../src/engine/api.ts';
import { DitRunner } from '../../../src/engine/dit-runner.ts';
import { generateImages, type GenerateModel } from '../../../src/engine/generate.ts';
import type { GpuContext } from '../../../src/engine/gpu-context.ts';
import { dryModel, prepareKernels } from '../../../src/engine/kernel-prep.ts';
import { VaeRunner } from '../../../src/engine/vae-runner.ts';
import { PipelineCache } from '../../../src/gpu/kernel.ts';
import { CFG_COMBINE_KERNEL, SAMPLER_STEP_KERNEL } from '../../../src/gpu/ops.ts';
import { Allocator } from '../../../src/gpu/tensor.ts';
import { parseDitConfig } from '../../../src/model/config.ts';
import { uploadDitWeights } from '../../../src/model/dit.ts';
import { parseVaeConfig } from '../../../src/model/vae-config.ts';
import { uploadVaeWeights } from '../../../src/model/vae-weights.ts';
import { loadJson, tensorSource } from '../../support/fixtures.ts';
import { nullGpu } from '../../support/null-gpu.ts';

/** A null device that compiles asynchronously (at once) and counts what it compiles either way. */
function context(): GpuContext & { compiled: string[] } {
  const gpu = nullGpu({ maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 });
  const compiled: string[] = [];
  const pipeline = (d: GPUComputePipelineDescriptor) => {
    compiled.push(`${d.label}${JSON.stringify(d.compute.constants ?? {})}`);
    return { getBindGroupLayout: () => ({}) } as unknown as GPUComputePipeline;
  };
  Object.assign(gpu.device, { createComputePipeline: pipeline, createComputePipelineAsync: async (d: GPUComputePipelineDescriptor) => pipeline(d) });
  return { gpu, alloc: new Allocator(gpu), pipelines: new PipelineCache(gpu), compiled };
}

async function tinyLatentModel(ctx: GpuContext): Promise<GenerateModel> {
  const c = parseDitConfig(loadJson('dit/dit-tiny.config.json'));
  const dit = await uploadDitWeights(ctx.alloc, tensorSource('dit/dit-tiny.safetensors'), c);
  const vae = await uploadVaeWeights(ctx.alloc, tensorSource('vae/tiny.safetensors'), parseVaeConfig(loadJson('vae/tiny.config.json')));
  return { dit: new DitRunner(ctx.gpu, ctx.alloc, ctx.pipelines, dit), vae: new VaeRunner(ctx.gpu, ctx.alloc, ctx.pipelines, vae) };
}

const prepare = (ctx: GpuContext, model: GenerateModel, p: GenerateParams) =>
  prepareKernels(ctx, (dry, firstStep) => generateImages(dry, dryModel(model, dry), { pictures: [{ classId: p.classId, cfgScale: p.cfgScale, seed: p.seed }], steps: p.steps, sampler: p.sampler }, { onStep: firstStep }));

describe('kernels prepared ahead of a run', () => {
  it('the first step\'s, then the VAE decode\'s; a second run compiles only what differs', async () => {
    const ctx = context();
    const model = await tinyLatentModel(ctx);
    const guided = await prepare(ctx, model, { classId: 3, cfgScale: 4, steps: 1, sampler: 'ddpm', seed: 1 });
    expect(guided.dryRunError).toBeUndefined();
    expect(guided.compiled).toBe(guided.firstStep);
    expect(guided.later).toBeGreaterThan(3); // convolutions, group norms, the decoder's attention
    await ctx.pipelines.settled();
    expect(ctx.compiled).toHaveLength(guided.firstStep + guided.later);
    expect(ctx.pipelines.has(CFG_COMBINE_KERNEL)).toBe(true);
    expect(ctx.pipelines.has({ ...SAMPLER_STEP_KERNEL, constants: { MODE: 0 } })).toBe(true);
    expect(ctx.compiled.slice(guided.firstStep).every((k) => /conv2d|group_norm|attention|tokens_to_nchw|to_rgba/.test(k))).toBe(true);
    // The dry run reached nothing real: no pipeline was created on first use.
    expect([...ctx.pipelines.compiledOnUse]).toEqual([]);

    // DDIM without guidance: its own update rule is the only new kernel.
    const before = ctx.compiled.length;
    const unguided = await prepare(ctx, model, { classId: 3, cfgScale: 1, steps: 5, sampler: 'ddim', seed: 2 });
    expect(unguided.compiled).toBe(1);
    expect(ctx.compiled.slice(before)).toEqual(['sampler_step.wgsl{"MODE":1}']);
  });
});
