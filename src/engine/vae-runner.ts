/**
 * Runs the VAE decoder for a host: weights uploaded once, the decode recorded once per latent
 * shape and band plan, then replayed for every latent of that shape, in submissions of bounded
 * work (the real SD-VAE decode is ~0.6 TFLOP at 256 px: many minutes in one submission on a
 * software GPU, where issue 5 saw Chromium's GPU process die).
 */
import { allocateBanded, type BandedTensor, bandValues, readBanded, writeBanded } from '../gpu/banded.ts';
import { checked, type Gpu } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/kernel.ts';
import { Program } from '../gpu/program.ts';
import { type Allocator, readTensor } from '../gpu/tensor.ts';
import { upscaleFactor, type VaeConfig } from '../model/vae-config.ts';
import { type Capture, recordVaeDecode } from '../model/vae.ts';
import { allocateVaeActivations, freeVaeActivations, type VaeActivations } from '../model/vae-activations.ts';
import { planVaeDecode, type VaePlan } from '../model/vae-bands.ts';
import type { VaeWeights } from '../model/vae-weights.ts';
import type { HostTensorF32 } from '../gpu/host-tensor.ts';

export interface VaeDecodeOptions {
  /** Latent rows per band (×2 at each upsampling level); default: as few bands as the limits allow. */
  tileRows?: number;
  /** Also return every intermediate the fixtures name. */
  intermediates?: boolean;
  /** Cap on any one buffer, below the adapter's binding limit (forces banding; for tests and small GPUs). */
  maxBufferBytes?: number;
  /** Estimated FLOPs per GPU submission (default VAE_WORK_PER_SUBMIT); Infinity: the whole decode in one. */
  workPerSubmit?: number;
}

/**
 * Default work per submission: ~25 s on SwiftShader on 2 busy cores (0.65 GFLOP/s measured), a few
 * milliseconds on a real GPU, where the ~55 waits of a 256 px decode cost little.
 */
export const VAE_WORK_PER_SUBMIT = 16e9;

/** One decoded image as RGBA8 (row-major, 4 bytes per pixel). */
export interface DecodedImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

interface Recorded {
  key: string;
  acts: VaeActivations;
  captures: Map<string, BandedTensor>;
  prog: Program;
}

export class VaeRunner {
  /** Only the latest recording is kept: its activations are image-sized. */
  private recorded: Recorded | null = null;

  constructor(
    private readonly gpu: Gpu,
    private readonly alloc: Allocator,
    private readonly pipelines: PipelineCache,
    readonly weights: VaeWeights,
  ) {}

  get config(): VaeConfig {
    return this.weights.config;
  }

  /** Checks z's shape; returns [B, h, w]. */
  validate(z: HostTensorF32): [number, number, number] {
    const c = this.config;
    const s = z.shape;
    if (s.length !== 4 || s[1] !== c.latent_channels || s.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new Error(`z has shape [${s}], expected [B, ${c.latent_channels}, h, w] for this VAE`);
    }
    if (z.data.length !== s[0] * s[1] * s[2] * s[3]) throw new Error(`z holds ${z.data.length} values for shape [${s}]`);
    return [s[0], s[2], s[3]];
  }

  plan(B: number, h: number, w: number, opts: VaeDecodeOptions): VaePlan {
    const L = this.gpu.limits;
    const limit = Math.min(L.maxStorageBufferBindingSize, L.maxBufferSize, opts.maxBufferBytes ?? Infinity);
    return planVaeDecode(this.config, B, h, w, limit, opts.tileRows);
  }

  /** The decode recorded for this plan (kept for reuse until another plan is needed). */
  private program(plan: VaePlan, intermediates: boolean, workPerSubmit: number): Recorded {
    const key = JSON.stringify([plan, intermediates, String(workPerSubmit)]);
    if (this.recorded?.key === key) return this.recorded;
    this.release();
    const acts = allocateVaeActivations(this.alloc, this.config, plan);
    const prog = new Program(this.gpu, this.pipelines, this.alloc, { workPerSubmit });
    const captures = new Map<string, BandedTensor>();
    const capture: Capture = (name, t) => {
      if (!intermediates) return;
      const copy = allocateBanded(this.alloc, t.shape, t.bands.map((b) => b.rows), name);
      t.bands.forEach((b, i) => prog.copy(b.tensor, copy.bands[i].tensor, bandValues(t, b)));
      captures.set(name, copy);
    };
    recordVaeDecode(prog, this.weights, acts, capture);
    this.recorded = { key, acts, captures, prog: prog.finish() };
    return this.recorded;
  }

  /** Frees the recorded decode and its activations (the weights stay). */
  release(): void {
    const r = this.recorded;
    if (!r) return;
    r.prog.destroy();
    freeVaeActivations(this.alloc, r.acts);
    for (const t of r.captures.values()) for (const b of t.bands) this.alloc.free(b.tensor.buffer);
    this.recorded = null;
  }

  /** Plans and records the decode of a latent of z's shape (activations, bind groups, pipelines) without running it. */
  async prepare(z: HostTensorF32, opts: VaeDecodeOptions = {}): Promise<void> {
    await this.recordFor(z, opts);
  }

  private async recordFor(z: HostTensorF32, opts: VaeDecodeOptions): Promise<Recorded> {
    const [B, h, w] = this.validate(z);
    const plan = this.plan(B, h, w, opts);
    // The decode's kernels may still be compiling in the background (engine/kernel-prep.ts):
    // recorded now, they would compile a second time, one after another.
    await this.pipelines.settled();
    return checked(this.gpu, 'recording the VAE decode', () => this.program(plan, !!opts.intermediates, opts.workPerSubmit ?? VAE_WORK_PER_SUBMIT));
  }

  private async run(z: HostTensorF32, opts: VaeDecodeOptions): Promise<Recorded> {
    const r = await this.recordFor(z, opts);
    writeBanded(this.gpu, r.acts.z, z.data);
    await checked(this.gpu, 'VAE decode', () => r.prog.submitInPieces());
    return r;
  }

  /** sample [B, out, h·f, w·f] (f = 2^(up blocks − 1)) and, if asked, every intermediate. */
  async decode(z: HostTensorF32, opts: VaeDecodeOptions = {}): Promise<Record<string, HostTensorF32>> {
    const r = await this.run(z, opts);
    const result: Record<string, HostTensorF32> = {};
    const read = async (t: BandedTensor) => ({ shape: [...t.shape], data: await readBanded(this.gpu, t) });
    result.sample = await read(r.acts.sample);
    for (const [name, t] of r.captures) result[name] = await read(t);
    return result;
  }

  /** Each sample of the batch as an RGBA8 image (round(255 · clamp(x/2 + 0.5, 0, 1)), alpha 255). */
  async decodeToImages(z: HostTensorF32, opts: VaeDecodeOptions = {}): Promise<DecodedImage[]> {
    if (this.config.out_channels < 3) throw new Error(`this VAE outputs ${this.config.out_channels} channels, an image needs 3`);
    const r = await this.run(z, { ...opts, intermediates: false });
    const [B, h, w] = this.validate(z);
    const f = upscaleFactor(this.config);
    const words = await readTensor(this.gpu, r.acts.rgba);
    const bytes = new Uint8ClampedArray(words.buffer, words.byteOffset, words.byteLength);
    const size = h * f * w * f * 4;
    return Array.from({ length: B }, (_, n) => ({ width: w * f, height: h * f, rgba: bytes.slice(n * size, (n + 1) * size) }));
  }
}
