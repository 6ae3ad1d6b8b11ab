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
import { activationTensors, allocateActivations, recordDitForward, type DitWeights } from '../model/dit.ts';
import { SpacedDiffusion } from './schedule.ts';
import { SAMPLER_STEP_MODE, type SamplerKind } from './sampler-kind.ts';
import { stepCoefficients } from './step-coefficients.ts';

export interface SampleRequest {
  labels: Int32Array; // [B]
  /** A second class per picture and its weight in [0, 1]: y_emb = (1 − w)·table[label] + w·table[blend]. */
  blend?: { labels: Int32Array; weights: Float32Array }; // [B], [B]
  /** Initial noise z [B, C, H, W]. */
  z: Float32Array;
  respacing: string;
  sampler: SamplerKind;
  /** One guidance scale for the batch, or one per picture ([B]: a guidance sweep in one run). */
  cfgScale: number | Float32Array;
  cfgChannels?: 3 | 'all';
  /** Run the null-class half even at guidance 1 (the reference always does with its CFG model). */
  forceGuidance?: boolean;
  eta?: number;
  clipDenoised?: boolean;
  /** Noise for step k, for all `rows` (= 2B with guidance, else B) rows; asked for only at steps that add noise. */
  stepNoise: (k: number, rows: number) => Float32Array;
  /** Keep every step's conditional sample for `samples`. */
  keepSamples?: boolean;
  /** Called after each step's submission with the step's tensors (for previews and the final read). */
  onStep?: (k: number, total: number, step: StepTensors) => Promise<void> | void;
  signal?: AbortSignal;
}

/** What a step leaves on the GPU, each [rows, ·, H·W] with the conditional pictures first. */
export interface StepTensors {
  /** The sample after the step: x_{t-1}. */
  sample: Tensor;
  /** The model's clean-image estimate x̂₀ at this step. */
  x0: Tensor;
  /** The guided model output [rows, Cout, H·W]: the predicted noise ε in channels [0, C). */
  modelOut: Tensor;
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
    if (req.blend) checkBlend(req.blend, B, c.num_classes);
    const scales = typeof req.cfgScale === 'number' ? new Float32Array(B).fill(req.cfgScale) : req.cfgScale;
    if (scales.length !== B) throw new Error(`${scales.length} guidance scales for ${B} pictures`);
    if (!scales.every(Number.isFinite)) throw new Error('a guidance scale is not a finite number');
    if (req.sampler === 'ddpm' && !c.learn_sigma) throw new Error('the DDPM sampler needs a model with learned sigma');
    const d = SpacedDiffusion.fromRespacing(req.respacing);
    const S = d.numTimesteps;
    const guided = scales.some((s) => s !== 1) || req.forceGuidance === true;
    const rows = guided ? 2 * B : B;
    const Cout = outChannels(c);

    const alloc = this.alloc;
    const made: Tensor[] = [];
    const tensor = (shape: number[], label: string) => { const t = alloc.tensor(shape, label); made.push(t); return t; };
    const acts = allocateActivations(alloc, c, rows, { blend: req.blend !== undefined });
    const sample = tensor([rows, C, HW], 'sample');
    const x0 = tensor([rows, C, HW], 'x0');
    const noise = tensor([rows, C, HW], 'step_noise');
    const coef = tensor([8], 'step_coefficients');
    const guidedOut = guided ? tensor([rows, Cout, HW], 'guided_out') : acts.out;
    const cfgScale = guided ? tensor([B], 'cfg_scale') : null;
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
          ops.cfgCombine(prog, acts.out, cfgScale!, guidedOut, B, Cout, HW, channels);
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
      if (cfgScale) writeTensor(this.gpu, cfgScale, scales);
      if (acts.blend && req.blend) {
        // The null half is the plain null class: guidance stays against it.
        const second = labels.slice();
        second.set(req.blend.labels);
        const weights = new Float32Array(rows);
        weights.set(req.blend.weights);
        writeTensor(this.gpu, acts.blend.labels, second);
        writeTensor(this.gpu, acts.blend.weights, weights);
      }

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
        await req.onStep?.(k, S, { sample, x0, modelOut: guidedOut });
      }
      const all = await readTensor(this.gpu, sample);
      return { final: all.slice(0, B * latent), samples: history ? await readTensor(this.gpu, history) : undefined, steps: S };
    } finally {
      prog.destroy();
      for (const t of [...made, ...activationTensors(acts)]) alloc.free(t.buffer);
    }
  }
}

function checkBlend(blend: { labels: Int32Array; weights: Float32Array }, B: number, numClasses: number): void {
  if (blend.labels.length !== B || blend.weights.length !== B) throw new Error(`a blend needs one class and one weight per picture (${B}), got ${blend.labels.length} and ${blend.weights.length}`);
  checkClassLabels(blend.labels, numClasses);
  for (const w of blend.weights) if (!(w >= 0 && w <= 1)) throw new Error(`a blend weight must be in [0, 1], got ${w}`);
}
