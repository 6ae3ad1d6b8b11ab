/**
 * Images the UI shows, made on the GPU: the denoising previews (the step's sample x_t, clean
 * estimate x̂₀ and predicted noise ε, through the linear latent→RGB map for latent models, or
 * directly for pixel-space models) and the final image, as RGBA8 read back once per frame set.
 */
import { bandedView, type Shape4 } from '../gpu/banded.ts';
import type { Gpu } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/kernel.ts';
import { Program } from '../gpu/program.ts';
import { type Allocator, readTensor, type Tensor } from '../gpu/tensor.ts';
import { latentPreview, toRgba } from '../gpu/vae-ops.ts';
import { LATENT_RGB_BIAS, LATENT_RGB_MATRIX } from '../model/latent-preview.ts';
import type { Frame } from './api.ts';

/** A tensor holding B pictures of `shape`'s [C, h, w], `rowStride` values apart (default C·h·w). */
export interface FrameSource {
  tensor: Tensor;
  rowStride?: number;
}

/** Records "image tensors → RGBA" once and replays it per frame set: one submission, one read. */
export class FrameMaker {
  private readonly rgba: Tensor;
  private readonly made: Tensor[] = [];
  private readonly prog: Program;
  private readonly pixels: number;

  /**
   * `shape` [B, C, h, w]: each source holds B pictures, pixels in [-1, 1] (C ≥ 3) when `latent`
   * is false, SD latents (C = 4) shown through the linear preview map when true.
   */
  constructor(
    private readonly gpu: Gpu,
    private readonly alloc: Allocator,
    pipelines: PipelineCache,
    private readonly sources: FrameSource[],
    readonly shape: Shape4,
    latent: boolean,
  ) {
    const [B, C, h, w] = shape;
    this.pixels = h * w;
    const picture = C * h * w;
    this.rgba = alloc.tensor([sources.length * B * h * w], 'frame-rgba');
    this.prog = new Program(gpu, pipelines, alloc);
    sources.forEach((s, i) => {
      let source = s.tensor;
      if ((s.rowStride ?? picture) !== picture) {
        // Pictures spaced apart (e.g. ε in a model output with variance channels): pack them.
        source = this.tensor([B, C, h * w], 'frame-packed');
        for (let b = 0; b < B; b++) this.prog.copy(s.tensor, source, picture, b * s.rowStride!, b * picture);
      }
      const out = this.tensor([B * h * w], 'frame-rgba-part');
      if (latent) latentPreview(this.prog, source, out, { batch: B, height: h, width: w, upscale: 1 }, LATENT_RGB_MATRIX, LATENT_RGB_BIAS);
      else toRgba(this.prog, bandedView(shape, [h], [source], source.label), out);
      this.prog.copy(out, this.rgba, B * h * w, 0, i * B * h * w);
    });
    this.prog.finish();
  }

  private tensor(shape: number[], label: string): Tensor {
    const t = this.alloc.tensor(shape, label);
    this.made.push(t);
    return t;
  }

  /** Every source's pictures as frames: [source][picture]. */
  async frames(): Promise<Frame[][]> {
    this.prog.submit();
    const words = await readTensor(this.gpu, this.rgba);
    const [B, , h, w] = this.shape;
    return this.sources.map((_, i) => Array.from({ length: B }, (_, b) => {
      const at = (i * B + b) * this.pixels;
      return { width: w, height: h, rgba: new Uint8ClampedArray(words.buffer.slice(at * 4, (at + this.pixels) * 4)) };
    }));
  }

  destroy(): void {
    this.prog.destroy();
    this.alloc.free(this.rgba.buffer);
    for (const t of this.made) this.alloc.free(t.buffer);
  }
}
