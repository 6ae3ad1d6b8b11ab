/**
 * The sampling loop of DiT's `sample.py` + `p_sample_loop` / `ddim_sample_loop`, with the model
 * abstracted as a function so the loop runs (and is tested) on the CPU with a fake model.
 */
import { DEFAULT_GUIDED_CHANNELS, cfgCombine, splitModelOutput } from './guidance.ts';
import type { StepNoise } from '../../src/sampling/noise.ts';
import { ddimStep, ddpmStep, dpmSolverPP2MStep, predictXstartFromEps, type DpmSolverHistory } from './samplers.ts';
import type { SpacedDiffusion } from '../../src/sampling/schedule.ts';

/**
 * The raw DiT forward: x (N, C, H, W), the original timestep and label of every row; returns
 * (N, 2C, H, W) (eps then v) for a learn-sigma model, or (N, C, H, W) of eps.
 */
export type DiTModel = (x: Float32Array, t: readonly number[], y: readonly number[]) => Float32Array | Promise<Float32Array>;

export type SamplerConfig =
  | { kind: 'ddpm'; clipDenoised?: boolean }
  | { kind: 'ddim'; eta?: number; clipDenoised?: boolean }
  | { kind: 'dpm++'; clipDenoised?: boolean };

export type SamplerKind = SamplerConfig['kind'];

export interface StepInfo {
  /** 0 for the first (noisiest) step. */
  step: number;
  /** Respaced index (N-1 .. 0). */
  index: number;
  /** Original timestep fed to the model. */
  t: number;
  sample: Float32Array;
  predXstart: Float32Array;
}

export interface SampleLoopOptions {
  model: DiTModel;
  schedule: SpacedDiffusion;
  sampler: SamplerConfig | SamplerKind;
  /** Initial noise (B, C, H, W). */
  z: Float32Array;
  /** Class label of each of the B images. */
  labels: readonly number[];
  /** Latent channels C (4 for the SD VAE). */
  channels?: number;
  /**
   * Guidance scale s. s !== 1 samples with classifier-free guidance like DiT's sample.py: z is
   * doubled, the labels get B null-class twins, the model output goes through `cfgCombine`.
   * s = 1 runs the plain conditional model on B rows.
   */
  cfgScale?: number;
  /** Number of classes; the null (unconditional) class id is numClasses. Needed for guidance. */
  numClasses?: number;
  /** Eps channels that guidance mixes: DiT's 3 by default, or 'all'. */
  guidedChannels?: number | 'all';
  /**
   * Noise for step k, of the whole (doubled) batch; e.g. `seededStepNoise(seed)`. Needed by DDPM
   * and by DDIM with eta > 0; drawn only at steps that add noise.
   */
  noise?: StepNoise;
  /** Keep every step's sample and x_0 estimate in the result (default true). */
  keepSteps?: boolean;
  onStep?: (info: StepInfo) => void;
}

export interface SampleLoopResult {
  /** Original timesteps fed to the model, in sampling order (e.g. 999, 888, ..., 0). */
  timesteps: number[];
  /** The whole batch (2B rows when guided) after each step; empty when keepSteps is false. */
  samples: Float32Array[];
  predXstart: Float32Array[];
  /** Final sample of the B conditional images (B, C, H, W). */
  final: Float32Array;
}

export async function sampleLoop(options: SampleLoopOptions): Promise<SampleLoopResult> {
  const { model, schedule: d, z, labels } = options;
  const sampler: SamplerConfig = typeof options.sampler === 'string' ? { kind: options.sampler } : options.sampler;
  const channels = options.channels ?? 4;
  const cfgScale = options.cfgScale ?? 1;
  const guided = cfgScale !== 1;
  const keepSteps = options.keepSteps ?? true;

  const B = labels.length;
  if (B === 0) throw new Error('sampleLoop: no labels');
  const hw = z.length / (B * channels);
  if (!Number.isInteger(hw) || hw === 0) throw new Error(`sampleLoop: z holds ${z.length} values, not ${B} x ${channels} x H x W`);
  const perImage = channels * hw;
  const { numClasses } = options;
  if (numClasses !== undefined && !labels.every((label) => Number.isInteger(label) && label >= 0 && label < numClasses)) {
    throw new Error(`sampleLoop: labels must be integers in [0, ${numClasses}), got [${labels.join(', ')}]`);
  }

  // sample.py: z = cat([z, z]); y = cat([y, null]) with the null class id = num_classes.
  let rows = B;
  let y = [...labels];
  let x: Float32Array = z.slice();
  if (guided) {
    if (numClasses === undefined) throw new Error('sampleLoop: guidance needs numClasses (the null class id)');
    rows = 2 * B;
    y = [...labels, ...labels.map(() => numClasses)];
    x = new Float32Array(rows * perImage);
    x.set(z, 0);
    x.set(z, B * perImage);
  }

  const noiseFor = (step: number): Float32Array => {
    if (!options.noise) throw new Error(`sampleLoop: the ${sampler.kind} sampler needs noise at step ${step}`);
    const noise = options.noise(step, x.length);
    if (noise.length !== x.length) throw new Error(`sampleLoop: step ${step} noise holds ${noise.length} values, expected ${x.length}`);
    return noise;
  };

  const result: SampleLoopResult = { timesteps: [], samples: [], predXstart: [], final: new Float32Array(0) };
  let history: DpmSolverHistory | null = null;
  for (let step = 0; step < d.numTimesteps; step++) {
    const index = d.numTimesteps - 1 - step;
    const t = d.timestepMap[index];
    result.timesteps.push(t);

    // forward_with_cfg feeds the first half twice; the null rows' own state is never seen by the model.
    const modelInput = guided ? duplicateFirstHalf(x, B * perImage) : x;
    let out = await model(modelInput, new Array<number>(rows).fill(t), y);
    if (guided) out = cfgCombine(out, B, channels, hw, cfgScale, options.guidedChannels ?? DEFAULT_GUIDED_CHANNELS);
    const prediction = splitModelOutput(out, rows, channels, hw);

    let sample: Float32Array;
    let predXstart: Float32Array;
    switch (sampler.kind) {
      case 'ddpm':
        ({ sample, predXstart } = ddpmStep(d, index, x, prediction, index !== 0 ? noiseFor(step) : null, sampler));
        break;
      case 'ddim': {
        const needsNoise = index !== 0 && (sampler.eta ?? 0) > 0;
        ({ sample, predXstart } = ddimStep(d, index, x, prediction.eps, needsNoise ? noiseFor(step) : null, sampler));
        break;
      }
      case 'dpm++':
        predXstart = predictXstartFromEps(d, index, x, prediction.eps, sampler.clipDenoised);
        sample = dpmSolverPP2MStep(d, index, x, predXstart, history);
        history = { index, x0: predXstart };
        break;
      default:
        throw new Error(`sampleLoop: unknown sampler ${JSON.stringify((sampler as { kind: unknown }).kind)}`);
    }
    if (keepSteps) {
      result.samples.push(sample);
      result.predXstart.push(predXstart);
    }
    options.onStep?.({ step, index, t, sample, predXstart });
    x = sample;
  }
  result.final = x.slice(0, B * perImage);
  return result;
}

function duplicateFirstHalf(x: Float32Array, half: number): Float32Array {
  const doubled = new Float32Array(2 * half);
  doubled.set(x.subarray(0, half), 0);
  doubled.set(x.subarray(0, half), half);
  return doubled;
}
