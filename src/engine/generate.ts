/**
 * "Generate": classes and seeds in, RGBA images out, the same for the app and `dit generate`.
 * Samples a batch of pictures on the GPU in one run (each picture its own class, blend, seed and
 * guidance scale; a single picture is a batch of one), previews each step, then makes the final
 * images: the VAE decode of the latents for latent models, the samples themselves for pixel models.
 */
import type { Shape4 } from '../gpu/banded.ts';
import { readTensor } from '../gpu/tensor.ts';
import { outChannels } from '../model/config.ts';
import { SampleRunner } from '../sampling/gpu-sampler.ts';
import { initialNoise, type NoiseSpec, stepNoiseProvider } from '../sampling/noise-source.ts';
import type { BatchParams, Frame, StepViews } from './api.ts';
import type { DitRunner } from './dit-runner.ts';
import { FrameMaker } from './frames.ts';
import type { GpuContext } from './gpu-context.ts';
import type { VaeRunner } from './vae-runner.ts';

export interface GenerateModel {
  dit: DitRunner;
  vae: VaeRunner | null;
}

export interface GenerateHooks {
  /** Injected noise (`z`, `step_noise`) instead of the seeds', as `dit generate --noise`. */
  noise?: NoiseSpec;
  signal?: AbortSignal;
  /** After each step, with each picture's views (1-based step). */
  onStep?: (step: number, total: number, views: StepViews[]) => Promise<void> | void;
}

export async function generateImages(ctx: GpuContext, model: GenerateModel, params: BatchParams, hooks: GenerateHooks = {}): Promise<Frame[]> {
  const c = model.dit.config;
  const pictures = params.pictures;
  const B = pictures.length;
  if (B === 0) throw new Error('nothing to generate: no pictures asked for');
  const latentSize = c.in_channels * c.input_size ** 2;
  const noise = hooks.noise ?? { seeds: pictures.map((p) => p.seed) };
  const shape: Shape4 = [B, c.in_channels, c.input_size, c.input_size];
  const isLatent = model.vae !== null;
  const blended = pictures.some((p) => p.blend);
  const runner = new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, model.dit.weights);
  let previews: FrameMaker | null = null;
  let finalPixels: Frame[] | null = null;
  let finalLatent: Float32Array | null = null;
  try {
    await runner.sample({
      labels: Int32Array.from(pictures, (p) => p.classId),
      blend: blended ? {
        labels: Int32Array.from(pictures, (p) => p.blend?.classId ?? p.classId),
        weights: Float32Array.from(pictures, (p) => p.blend?.weight ?? 0),
      } : undefined,
      cfgScale: Float32Array.from(pictures, (p) => p.cfgScale),
      z: initialNoise(noise, B * latentSize), respacing: String(params.steps), sampler: params.sampler,
      stepNoise: stepNoiseProvider(noise, latentSize, B), signal: hooks.signal,
      onStep: async (k, total, t) => {
        if (k === total - 1) {
          // The runner frees its buffers when it returns: take the final samples now.
          if (isLatent) finalLatent = (await readTensor(ctx.gpu, t.sample)).slice(0, B * latentSize);
          else {
            const last = new FrameMaker(ctx.gpu, ctx.alloc, ctx.pipelines, [{ tensor: t.sample }], shape, false);
            [finalPixels] = await last.frames();
            last.destroy();
          }
        }
        if (!hooks.onStep) return;
        previews ??= new FrameMaker(ctx.gpu, ctx.alloc, ctx.pipelines,
          [{ tensor: t.x0 }, { tensor: t.sample }, { tensor: t.modelOut, rowStride: outChannels(c) * c.input_size ** 2 }], shape, isLatent);
        const [x0, xt, eps] = await previews.frames();
        await hooks.onStep(k + 1, total, x0.map((_, b) => ({ x0: x0[b], xt: xt[b], eps: eps[b] })));
      },
    });
  } finally {
    (previews as FrameMaker | null)?.destroy();
  }
  const latent = finalLatent as Float32Array | null;
  if (model.vae && latent) {
    if (hooks.signal?.aborted) throw new DOMException('sampling was cancelled', 'AbortError');
    const scaling = model.vae.config.scaling_factor;
    const images: Frame[] = [];
    // One picture at a time: the decode's memory stays that of one image, whatever the batch.
    for (let b = 0; b < B; b++) {
      if (hooks.signal?.aborted) throw new DOMException('decoding was cancelled', 'AbortError');
      const z = latent.slice(b * latentSize, (b + 1) * latentSize).map((v) => v / scaling);
      const [d] = await model.vae.decodeToImages({ shape: [1, ...shape.slice(1)], data: z });
      images.push({ width: d.width, height: d.height, rgba: d.rgba });
    }
    return images;
  }
  if (!finalPixels) throw new Error('sampling finished without a final image');
  return finalPixels;
}
