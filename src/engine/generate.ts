/**
 * "Generate": a class and a seed in, an RGBA image out, the same for the app and `dit generate`.
 * Samples on the GPU (a preview of each step's clean estimate on the way), then makes the final
 * image: the VAE decode of the latent for latent models, the sample itself for pixel models.
 */
import type { Shape4 } from '../gpu/banded.ts';
import { readTensor } from '../gpu/tensor.ts';
import { SampleRunner } from '../sampling/gpu-sampler.ts';
import { initialNoise, type NoiseSpec, stepNoiseProvider } from '../sampling/noise-source.ts';
import type { Frame, GenerateParams } from './api.ts';
import type { DitRunner } from './dit-runner.ts';
import { FrameMaker } from './frames.ts';
import type { GpuContext } from './gpu-context.ts';
import type { VaeRunner } from './vae-runner.ts';

export interface GenerateModel {
  dit: DitRunner;
  vae: VaeRunner | null;
}

export interface GenerateHooks {
  /** Injected noise (`z`, `step_noise`) instead of the seed's, as `dit generate --noise`. */
  noise?: NoiseSpec;
  signal?: AbortSignal;
  /** After each step, with its preview frame (1-based step). */
  onStep?: (step: number, total: number, preview: Frame) => Promise<void> | void;
}

export async function generateImage(ctx: GpuContext, model: GenerateModel, params: GenerateParams, hooks: GenerateHooks = {}): Promise<Frame> {
  const c = model.dit.config;
  const latentSize = c.in_channels * c.input_size ** 2;
  const noise = hooks.noise ?? { seed: params.seed };
  const shape: Shape4 = [1, c.in_channels, c.input_size, c.input_size];
  const isLatent = model.vae !== null;
  const runner = new SampleRunner(ctx.gpu, ctx.alloc, ctx.pipelines, model.dit.weights);
  let preview: FrameMaker | null = null;
  let finalPixels: Frame | null = null;
  let finalLatent: Float32Array | null = null;
  try {
    await runner.sample({
      labels: Int32Array.of(params.classId), z: initialNoise(noise, latentSize), respacing: String(params.steps), sampler: params.sampler,
      cfgScale: params.cfgScale, stepNoise: stepNoiseProvider(noise, latentSize, 1), signal: hooks.signal,
      onStep: async (k, total, x0, sample) => {
        if (k === total - 1) {
          // The runner frees its buffers when it returns: take the final sample now.
          if (isLatent) finalLatent = (await readTensor(ctx.gpu, sample)).slice(0, latentSize);
          else {
            const last = new FrameMaker(ctx.gpu, ctx.alloc, ctx.pipelines, sample, shape, false);
            finalPixels = await last.frame();
            last.destroy();
          }
        }
        if (!hooks.onStep) return;
        preview ??= new FrameMaker(ctx.gpu, ctx.alloc, ctx.pipelines, x0, shape, isLatent);
        await hooks.onStep(k + 1, total, await preview.frame());
      },
    });
  } finally {
    (preview as FrameMaker | null)?.destroy();
  }
  const latent = finalLatent as Float32Array | null;
  if (model.vae && latent) {
    if (hooks.signal?.aborted) throw new DOMException('sampling was cancelled', 'AbortError');
    const scaling = model.vae.config.scaling_factor;
    const [decoded] = await model.vae.decodeToImages({ shape: [...shape], data: latent.map((v) => v / scaling) });
    return { width: decoded.width, height: decoded.height, rgba: decoded.rgba };
  }
  if (!finalPixels) throw new Error('sampling finished without a final image');
  return finalPixels;
}
