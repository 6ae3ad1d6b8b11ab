/**
 * The per-step scalars the GPU step kernel (shaders/sampler_step.wgsl) reads, computed in
 * float64 from the respaced schedule and rounded to float32 on upload — as the reference's
 * `_extract_into_tensor` turns its float64 arrays into float32 tensors.
 */
import type { SamplerKind } from './sampler-kind.ts';
import type { SpacedDiffusion } from './schedule.ts';

export interface StepCoefficientOptions {
  clipDenoised?: boolean;
  /** DDIM's eta (0: deterministic). */
  eta?: number;
}

/** Step `k` of the sampling loop (k = 0 first, at the noisiest timestep i = S - 1 - k). */
export function stepCoefficients(d: SpacedDiffusion, sampler: SamplerKind, k: number, opts: StepCoefficientOptions = {}): Float32Array {
  const S = d.numTimesteps;
  const i = S - 1 - k;
  if (i < 0 || i >= S) throw new Error(`step ${k} is outside 0..${S - 1}`);
  const c = new Float32Array(8);
  c[0] = d.sqrtRecipAlphasCumprod[i];
  c[1] = d.sqrtRecipm1AlphasCumprod[i];
  c[2] = opts.clipDenoised ? 1 : 0;
  if (sampler === 'ddpm') {
    c[3] = d.posteriorMeanCoef1[i];
    c[4] = d.posteriorMeanCoef2[i];
    c[5] = Math.log(d.betas[i]);
    c[6] = d.posteriorLogVarianceClipped[i];
    c[7] = i !== 0 ? 1 : 0;
  } else if (sampler === 'ddim') {
    const eta = opts.eta ?? 0;
    const ab = d.alphasCumprod[i];
    const abPrev = d.alphasCumprodPrev[i];
    const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
    c[3] = Math.sqrt(abPrev);
    c[4] = Math.sqrt(1 - abPrev - sigma * sigma);
    c[5] = i !== 0 ? sigma : 0;
  } else {
    // DPM-Solver++(2M) in data-prediction form on the discrete schedule (Lu et al. 2022):
    // lambda = log(alpha / sigma); x_next = (sigma_next / sigma) x - alpha_next expm1(-h) D,
    // with D = x0 on the first step and the step into t = 0, (1 + 1/(2r)) x0 - 1/(2r) x0_prev
    // otherwise; from t = 0 the sample is the clean estimate itself. Same as dpmSolverPP2MStep.
    const lambda = (j: number) => 0.5 * Math.log(d.alphasCumprod[j] / (1 - d.alphasCumprod[j]));
    const alphaNext = i > 0 ? Math.sqrt(d.alphasCumprod[i - 1]) : 1;
    const sigmaNext = i > 0 ? Math.sqrt(1 - d.alphasCumprod[i - 1]) : 0;
    const sigma = Math.sqrt(1 - d.alphasCumprod[i]);
    if (i === 0) {
      // Last step: jump to the clean estimate (sigma_next = 0).
      c[3] = 0; c[4] = 1; c[5] = 1; c[6] = 0;
    } else {
      const h = lambda(i - 1) - lambda(i);
      c[3] = sigmaNext / sigma;
      c[4] = -alphaNext * Math.expm1(-h);
      if (k === 0 || i === 1) {
        // First order on the first step (no history) and on the step into t = 0, where lambda
        // jumps several times further than the step before (see tests/reference/samplers.ts).
        c[5] = 1; c[6] = 0;
      } else {
        const hPrev = lambda(i) - lambda(i + 1);
        const r = hPrev / h;
        c[5] = 1 + 1 / (2 * r);
        c[6] = -1 / (2 * r);
      }
    }
  }
  return c;
}
