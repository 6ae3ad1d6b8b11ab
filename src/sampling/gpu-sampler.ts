/**
 * The sampling loop on the GPU: per step, ONE submission that feeds the model (the conditional
 * half twice with guidance, as forward_with_cfg), runs DiT, combines guidance and applies the
 * sampler's posterior update. The CPU writes a few scalars (timestep, step coefficients) and,
 * for stochastic samplers, the step's noise; it reads back only what the caller asks for.
 */
import { checked, type Gpu } from '../gpu/device.ts';
import type { PipelineCache } from '../gpu/kernel.ts';
import * as ops from '../gpu/ops.ts';
import { Program } from '../gpu/program.ts';
import { type Allocator, readTensor, type Tensor, writeTensor } from '../gpu/tensor.ts';
import { checkClassLabels } from '../model/class-label.ts';
import { outChannels } from '../model/config.ts';
import { allocateActivations, recordDitForward, type DitWeights } from '../model/dit.ts';
import { SpacedDiffusion } from './schedule.ts';
import { SAMPLER_STEP_MODE, type SamplerKind } from './sampler-kind.ts';
import { stepCoefficients } from './step-coefficients.ts';

export interface SampleRequest {
  labels: Int32Array; // [B]
  /** Initial noise z [B, C, H, W]. */
  z: Float32Array;
  respacing: string;
  sampler: SamplerKind;
  cfgScale: number;
  cfgChannels?: 3 | 'all';
  /** Run the null-class half even at guidance 1 (the reference always does with its CFG model). */
  forceGuidance?: boolean;
  eta?: number;
  clipDenoised?: boolean;
  /** Noise for step k, for all `rows` (= 2B with guidance, else B) rows; asked for only at steps that add noise. */
  stepNoise: (k: number, rows: number) => Float32Array;
  /** Keep every step's conditional sample for `samples`. */
  keepSamples?: boolean;
  /** Called after each step's submission with the step's x0 estimate tensor (for previews). */
  onStep?: (k: number, total: number, x0: Tensor, sample: Tensor) => Promise<void> | void;
  signal?: AbortSignal;
}

export interface SampleResult {
  final: Float32Array; // [B, C, H, W]
  samples?: Float32Array; // [S, B, C, H, W]
  steps: number;
}

export class SampleRunner {
  constructor(
    private readonly gpu: Gpu,
    private readonly alloc: Allocator,
    private readonly pipelines: PipelineCache,
    private readonly weights: DitWeights,
  ) {}

  async sample(req: SampleRequest): Promise<SampleResult> {
    const c = this.weights.config;
    const B = req.labels.length;
    const C = c.in_channels;
    const HW = c.input_size ** 2;
    const latent = C * HW;
    if (req.z.length !== B * latent) throw new Error(`noise z holds ${req.z.length} values, expected [${B}, ${C}, ${c.input_size}, ${c.input_size}]`);
    checkClassLabels(req.labels, c.num_classes);
    if (req.sampler === 'ddpm' && !c.learn_sigma) throw new Error('the DDPM sampler needs a model with learned sigma');
    const d = SpacedDiffusion.fromRespacing(req.respacing);
    const S = d.numTimesteps;
    const guided = req.cfgScale !== 1 || req.forceGuidance === true;
    const rows = guided ? 2 * B : B;
    const Cout = outChannels(c);

    const alloc = this.alloc;
    const made: Tensor[] = [];
    const tensor = (shape: number[], label: string) => { const t = alloc.tensor(shape, label); made.push(t); return t; };
    const acts = allocateActivations(alloc, c, rows);
    const sample = tensor([rows, C, HW], 'sample');
    const x0 = tensor([rows, C, HW], 'x0');
    const noise = tensor([rows, C, HW], 'step_noise');
    const coef = tensor([8], 'step_coefficients');
    const guidedOut = guided ? tensor([rows, Cout, HW], 'guided_out') : acts.out;
    const history = req.keepSamples ? tensor([S, B, C, HW], 'samples') : null;
    const prog = new Program(this.gpu, this.pipelines, alloc);
    try {
      await checked(this.gpu, 'recording the sampling step', () => {
        // forward_with_cfg: the model sees the conditional half twice.
        prog.copy(sample, acts.x, B * latent);
        if (guided) prog.copy(sample, acts.x, B * latent, 0, B * latent);
        recordDitForward(prog, this.weights, acts);
        if (guided) {
          const channels = req.cfgChannels === 'all' ? C : Math.min(3, C);
          ops.cfgCombine(prog, acts.out, guidedOut, B, Cout, HW, channels, req.cfgScale);
        }
        ops.samplerStep(prog, SAMPLER_STEP_MODE[req.sampler], coef, guidedOut, noise, sample, x0, rows, C, HW, Cout);
        prog.finish();
      });

      // z is doubled for guidance: z = cat([z, z]).
      const z = new Float32Array(rows * latent);
      z.set(req.z);
      if (guided) z.set(req.z, B * latent);
      writeTensor(this.gpu, sample, z);
      const labels = new Int32Array(rows);
      labels.set(req.labels);
      if (guided) labels.fill(c.num_classes, B);
      writeTensor(this.gpu, acts.y, labels);

      for (let k = 0; k < S; k++) {
        if (req.signal?.aborted) throw new DOMException('sampling was cancelled', 'AbortError');
        writeTensor(this.gpu, acts.t, new Float32Array(rows).fill(d.timestepMap[S - 1 - k]));
        writeTensor(this.gpu, coef, stepCoefficients(d, req.sampler, k, { eta: req.eta, clipDenoised: req.clipDenoised }));
        // DDPM, and DDIM with eta > 0, add noise at every step but the last (t = 0).
        const stochastic = req.sampler === 'ddpm' || (req.sampler === 'ddim' && (req.eta ?? 0) > 0);
        if (stochastic && k !== S - 1) {
          const n = req.stepNoise(k, rows);
          if (n.length !== rows * latent) throw new Error(`step noise for step ${k} holds ${n.length} values, expected ${rows * latent}`);
          writeTensor(this.gpu, noise, n);
        }
        await checked(this.gpu, `sampling step ${k + 1}/${S}`, () => {
          const enc = this.gpu.device.createCommandEncoder();
          prog.encode(enc);
          if (history) enc.copyBufferToBuffer(sample.buffer, 0, history.buffer, k * B * latent * 4, B * latent * 4);
          this.gpu.device.queue.submit([enc.finish()]);
        });
        await req.onStep?.(k, S, x0, sample);
      }
      const all = await readTensor(this.gpu, sample);
      return { final: all.slice(0, B * latent), samples: history ? await readTensor(this.gpu, history) : undefined, steps: S };
    } finally {
      prog.destroy();
      for (const t of [...made, ...Object.values(acts).filter((v): v is Tensor => typeof v === 'object' && 'buffer' in v)]) alloc.free(t.buffer);
    }
  }
}
