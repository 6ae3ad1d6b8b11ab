/**
 * CPU reference implementations of one sampling step for DDPM, DDIM and DPM-Solver++(2M).
 *
 * All steps are elementwise over flat float32 latents (any layout, as long as x, eps, v and noise
 * share it) with float64 schedule scalars; every result is rounded once to float32. `i` is the
 * respaced step index of `d` (i = N-1 is the noisiest, i = 0 the last step).
 *
 * Notation (Ho et al. 2020; Nichol & Dhariwal 2021): abar_t = alphas_cumprod[t],
 *   x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps.
 */
import type { ModelPrediction } from './guidance.ts';
import type { SpacedDiffusion } from '../../src/sampling/schedule.ts';

export interface StepResult {
  /** x_{t-1} for the whole batch. */
  sample: Float32Array;
  /** The model's estimate of x_0 at this step. */
  predXstart: Float32Array;
}

function checkIndex(d: SpacedDiffusion, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= d.numTimesteps) throw new Error(`step index ${i} is outside 0..${d.numTimesteps - 1}`);
}

function checkSameLength(what: string, a: Float32Array, x: Float32Array): void {
  if (a.length !== x.length) throw new Error(`${what} holds ${a.length} values, the latent ${x.length}`);
}

/**
 * `_predict_xstart_from_eps`: x_0 = sqrt(1/abar) x_t - sqrt(1/abar - 1) eps, optionally clamped to
 * [-1, 1] (`clip_denoised`).
 */
export function predictXstartFromEps(d: SpacedDiffusion, i: number, x: Float32Array, eps: Float32Array, clipDenoised = false): Float32Array {
  checkIndex(d, i);
  checkSameLength('eps', eps, x);
  const recip = d.sqrtRecipAlphasCumprod[i];
  const recipm1 = d.sqrtRecipm1AlphasCumprod[i];
  const x0 = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const v = recip * x[k] - recipm1 * eps[k];
    x0[k] = clipDenoised ? Math.min(1, Math.max(-1, v)) : v;
  }
  return x0;
}

export interface DdpmOptions {
  /** Clamp the x_0 estimate to [-1, 1]; DiT samples with false. */
  clipDenoised?: boolean;
}

/**
 * Ancestral step `p_sample` with `ModelVarType.LEARNED_RANGE` (Nichol & Dhariwal 2021, eq. 15):
 *
 *   log var = f log(beta_t) + (1 - f) log(beta~_t),   f = (v + 1) / 2,
 *   mean    = coef1_t x_0 + coef2_t x_t               (posterior q(x_{t-1} | x_t, x_0)),
 *   x_{t-1} = mean + [i != 0] exp(log var / 2) noise.
 *
 * `noise` may be null only at i = 0, where none is added.
 */
export function ddpmStep(d: SpacedDiffusion, i: number, x: Float32Array, prediction: ModelPrediction, noise: Float32Array | null, options: DdpmOptions = {}): StepResult {
  const { eps, varValues } = prediction;
  if (!varValues) throw new Error('DDPM sampling needs a model that learns sigma (2C output channels)');
  if (d.posteriorLogVarianceClipped.length === 0) throw new Error('DDPM with learned variance needs at least 2 timesteps');
  checkSameLength('variance values', varValues, x);
  const addNoise = i !== 0;
  if (addNoise) {
    if (!noise) throw new Error(`DDPM step ${i} needs noise`);
    checkSameLength('noise', noise, x);
  }
  const predXstart = predictXstartFromEps(d, i, x, eps, options.clipDenoised);
  const minLog = d.posteriorLogVarianceClipped[i];
  const maxLog = Math.log(d.betas[i]);
  const coef1 = d.posteriorMeanCoef1[i];
  const coef2 = d.posteriorMeanCoef2[i];
  const sample = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const mean = coef1 * predXstart[k] + coef2 * x[k];
    if (!addNoise) { sample[k] = mean; continue; }
    const frac = (varValues[k] + 1) / 2;
    const logVariance = frac * maxLog + (1 - frac) * minLog;
    sample[k] = mean + Math.exp(0.5 * logVariance) * noise![k];
  }
  return { sample, predXstart };
}

export interface DdimOptions {
  /** 0 (default) is the deterministic DDIM of Song et al.; 1 matches DDPM's posterior variance. */
  eta?: number;
  clipDenoised?: boolean;
}

/** sigma_t of DDIM (Song et al. 2021, eq. 16) between respaced steps i and i-1. */
export function ddimSigma(d: SpacedDiffusion, i: number, eta: number): number {
  const abar = d.alphasCumprod[i];
  const abarPrev = d.alphasCumprodPrev[i];
  return eta * Math.sqrt((1 - abarPrev) / (1 - abar)) * Math.sqrt(1 - abar / abarPrev);
}

/**
 * `ddim_sample` (Song et al. 2021, eq. 12): eps is re-derived from the (possibly clipped) x_0,
 *
 *   x_{t-1} = sqrt(abar_prev) x_0 + sqrt(1 - abar_prev - sigma^2) eps + [i != 0] sigma noise,
 *
 * with abar_prev = alphas_cumprod_prev of the respaced process (1 at i = 0). `noise` is needed only
 * when sigma > 0.
 */
export function ddimStep(d: SpacedDiffusion, i: number, x: Float32Array, eps: Float32Array, noise: Float32Array | null, options: DdimOptions = {}): StepResult {
  const eta = options.eta ?? 0;
  if (!(eta >= 0)) throw new Error(`DDIM eta must be >= 0, got ${eta}`);
  const predXstart = predictXstartFromEps(d, i, x, eps, options.clipDenoised);
  const sigma = ddimSigma(d, i, eta);
  const abarPrev = d.alphasCumprodPrev[i];
  const dirVariance = 1 - abarPrev - sigma * sigma;
  if (dirVariance < 0) throw new Error(`DDIM eta ${eta} is too large at step ${i} (1 - abar_prev - sigma^2 < 0)`);
  const addNoise = i !== 0 && sigma !== 0;
  if (addNoise) {
    if (!noise) throw new Error(`DDIM step ${i} with eta ${eta} needs noise`);
    checkSameLength('noise', noise, x);
  }
  const recip = d.sqrtRecipAlphasCumprod[i];
  const recipm1 = d.sqrtRecipm1AlphasCumprod[i];
  const sqrtAbarPrev = Math.sqrt(abarPrev);
  const dirCoef = Math.sqrt(dirVariance);
  const sample = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const epsFromX0 = (recip * x[k] - predXstart[k]) / recipm1;
    const mean = predXstart[k] * sqrtAbarPrev + dirCoef * epsFromX0;
    sample[k] = addNoise ? mean + sigma * noise![k] : mean;
  }
  return { sample, predXstart };
}

/** lambda = log(alpha / sigma) = log(sqrt(abar) / sqrt(1 - abar)), the half log-SNR of respaced step i. */
export function halfLogSnr(d: SpacedDiffusion, i: number): number {
  const abar = d.alphasCumprod[i];
  return 0.5 * Math.log(abar / (1 - abar));
}

/** The data prediction of the previous DPM-Solver++ step, kept for the multistep correction. */
export interface DpmSolverHistory {
  /** Respaced index the previous model evaluation was made at. */
  index: number;
  x0: Float32Array;
}

/**
 * DPM-Solver++(2M) (Lu et al. 2022, "DPM-Solver++", Algorithm 2), data-prediction form, from
 * respaced step i (alpha_s, sigma_s) to step i-1 (alpha_t, sigma_t) of the same discrete
 * schedule, with lambda = log(alpha / sigma) and h = lambda_t - lambda_s:
 *
 *   first order:   D = x0_s                                           (= DDIM)
 *   second order:  r = h_prev / h,  D = (1 + 1/(2r)) x0_s - 1/(2r) x0_prev
 *   x_t = (sigma_t / sigma_s) x_s - alpha_t (e^{-h} - 1) D
 *
 * Order per step, for model evaluations at respaced steps N-1 .. 0:
 * - the first step (no `history`) is first order;
 * - the step from i = 1 into i = 0 is first order too ("lower order final" of Lu et al. and
 *   diffusers): on a time-uniform grid its h is 4-5x the previous one (lambda jumps from ~1 to 4.6
 *   between t = 111 and t = 0 at 10 steps), and the linear extrapolation overshoots;
 * - from i = 0 the target is clean data (alpha = 1, sigma = 0, h = inf): x = x0_s, the same final
 *   x_0 estimate DDIM ends with;
 * - every other step is second order.
 * The variance channels are not used.
 */
export function dpmSolverPP2MStep(d: SpacedDiffusion, i: number, x: Float32Array, x0: Float32Array, history: DpmSolverHistory | null): Float32Array {
  checkIndex(d, i);
  checkSameLength('x0', x0, x);
  if (i === 0) return x0.slice();
  const lambdaS = halfLogSnr(d, i);
  const lambdaT = halfLogSnr(d, i - 1);
  const h = lambdaT - lambdaS;
  const sigmaRatio = Math.sqrt((1 - d.alphasCumprod[i - 1]) / (1 - d.alphasCumprod[i]));
  const dataCoef = -Math.sqrt(d.alphasCumprod[i - 1]) * Math.expm1(-h); // -alpha_t (e^{-h} - 1)
  let wNow = 1;
  let wPrev = 0;
  if (history && i > 1) {
    checkSameLength('previous x0', history.x0, x);
    const r = (lambdaS - halfLogSnr(d, history.index)) / h;
    wNow = 1 + 1 / (2 * r);
    wPrev = -1 / (2 * r);
  }
  const sample = new Float32Array(x.length);
  for (let k = 0; k < x.length; k++) {
    const D = wPrev === 0 ? x0[k] : wNow * x0[k] + wPrev * history!.x0[k];
    sample[k] = sigmaRatio * x[k] + dataCoef * D;
  }
  return sample;
}
