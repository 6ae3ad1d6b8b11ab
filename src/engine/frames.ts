/**
 * Images the UI shows, made on the GPU: the denoising preview (the step's clean estimate, through
 * the linear latent→RGB map for latent models, or directly for pixel-space models) and the final
 * image, as RGBA8 read back once per frame.
 */
import { bandedView, type Shape4 } from '../gpu/banded.ts';
import type { Gpu } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/kernel.ts';
import { Program } from '../gpu/program.ts';
import { type Allocator, readTensor, type Tensor } from '../gpu/tensor.ts';
import { latentPreview, toRgba } from '../gpu/vae-ops.ts';
import { LATENT_RGB_BIAS, LATENT_RGB_MATRIX } from '../model/latent-preview.ts';
import type { Frame } from './api.ts';

/** Records "image tensor → RGBA" once and replays it per frame. */
export class FrameMaker {
  private readonly rgba: Tensor;
  private readonly prog: Program;

  /**
   * `source` holds [1, C, h, w] at its start: pixels in [-1, 1] (C ≥ 3) when `latent` is false,
   * an SD latent (C = 4) shown through the linear preview map when true.
   */
  constructor(
    private readonly gpu: Gpu,
    private readonly alloc: Allocator,
    pipelines: PipelineCache,
    source: Tensor,
    readonly shape: Shape4,
    latent: boolean,
  ) {
    const [, , h, w] = shape;
    this.rgba = alloc.tensor([h * w], 'frame-rgba');
    this.prog = new Program(gpu, pipelines, alloc);
    if (latent) latentPreview(this.prog, source, this.rgba, { batch: 1, height: h, width: w, upscale: 1 }, LATENT_RGB_MATRIX, LATENT_RGB_BIAS);
    else toRgba(this.prog, bandedView(shape, [shape[2]], [source], source.label), this.rgba);
    this.prog.finish();
  }

  async frame(): Promise<Frame> {
    this.prog.submit();
    const words = await readTensor(this.gpu, this.rgba);
    return { width: this.shape[3], height: this.shape[2], rgba: new Uint8ClampedArray(words.buffer, words.byteOffset, words.byteLength) };
  }

  destroy(): void {
    this.prog.destroy();
    this.alloc.free(this.rgba.buffer);
  }
}
