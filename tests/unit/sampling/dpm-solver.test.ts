/**
 * DPM-Solver++(2M) vs DDIM on data whose exact eps-prediction is known: every dimension d is
 * independent Gaussian data x_0 ~ N(mu_d, s_d^2). Then x_t ~ N(a mu, a^2 s^2 + sigma^2) with
 * a = sqrt(abar_t), sigma = sqrt(1 - abar_t), and the MMSE eps-prediction is
 *
 *   eps(x, t) = sigma (x - a mu) / (a^2 s^2 + sigma^2).
 *
 * The probability-flow ODE keeps the standardised value q = (x - a mu) / sqrt(a^2 s^2 + sigma^2)
 * constant, so its exact solution from x_T at t = 999 to t = 0 is known in closed form. Both
 * samplers evaluate the model last at t = 0 and return its x_0 estimate there, so the common
 * limit of both as the step count grows is that estimate applied to the exact x at t = 0.
 */
import { describe, expect, it } from 'vitest';
import { sampleLoop, type SamplerKind } from '../../reference/sampling-loop.ts';
import { gaussian } from '../../../src/sampling/noise.ts';
import { SpacedDiffusion } from '../../../src/sampling/schedule.ts';
import { readFixtureJson, relativeError } from './helpers.ts';

// The reference's base abar (independent of schedule.ts).
const abar = readFixtureJson<Record<string, { alphas_cumprod: number[] }>>('schedules.json')['1000'].alphas_cumprod;
const C = 4, H = 32, W = 32, DIMS = C * H * W;
const mu = Float64Array.from({ length: DIMS }, (_, d) => 0.5 * Math.sin(d));
// Spread of scales: the small ones make D(x_t) change fast near t = 0, the hard part of the ODE.
const s = Float64Array.from({ length: DIMS }, (_, d) => 0.1 + 0.9 * Math.abs(Math.cos(1.7 * d)));

const gaussianDataModel = async (x: Float32Array, t: readonly number[]): Promise<Float32Array> => {
  const a2 = abar[t[0]], a = Math.sqrt(a2), sigma = Math.sqrt(1 - a2);
  return Float32Array.from(x, (v, d) => (sigma * (v - a * mu[d])) / (a2 * s[d] * s[d] + sigma * sigma));
};

const z = gaussian(2024, DIMS, 0);

/** Exact ODE solution from z at t = 999 to t = 0, then the model's x_0 estimate there. */
const exactLimit = Float64Array.from(z, (zT, d) => {
  const marginalStd = (t: number) => Math.sqrt(abar[t] * s[d] * s[d] + 1 - abar[t]);
  const q = (zT - Math.sqrt(abar[999]) * mu[d]) / marginalStd(999);
  const a0 = Math.sqrt(abar[0]);
  const x0 = a0 * mu[d] + marginalStd(0) * q;
  return mu[d] + ((a0 * s[d] * s[d]) / marginalStd(0) ** 2) * (x0 - a0 * mu[d]);
});

/** Std of (x - mu) / s over all dimensions: 1 for samples of the data distribution. */
function standardisedStd(x: ArrayLike<number>): number {
  let sum = 0, sumSq = 0;
  for (let d = 0; d < DIMS; d++) {
    const q = (x[d] - mu[d]) / s[d];
    sum += q;
    sumSq += q * q;
  }
  return Math.sqrt(sumSq / DIMS - (sum / DIMS) ** 2);
}

async function sample(sampler: SamplerKind, steps: number): Promise<Float32Array> {
  const result = await sampleLoop({
    model: gaussianDataModel, schedule: SpacedDiffusion.fromRespacing(String(steps)), sampler, z, labels: [0], channels: C, keepSteps: false,
  });
  return result.final;
}

describe('DPM-Solver++(2M) on Gaussian data with the exact model', () => {
  const STEPS = [10, 15, 25, 50];

  it('converges to the exact ODE solution faster than DDIM, and beats it at every step count', async () => {
    const err: Record<string, number[]> = { ddim: [], dpm: [] };
    const stdErr: Record<string, number[]> = { ddim: [], dpm: [] };
    const exactStd = standardisedStd(exactLimit);
    for (const n of STEPS) {
      const ddim = await sample('ddim', n);
      const dpm = await sample('dpm++', n);
      err.ddim.push(relativeError(ddim, exactLimit));
      err.dpm.push(relativeError(dpm, exactLimit));
      stdErr.ddim.push(Math.abs(standardisedStd(ddim) - exactStd));
      stdErr.dpm.push(Math.abs(standardisedStd(dpm) - exactStd));
    }
    // Measured: DDIM 0.19, 0.13, 0.078, 0.039; DPM-Solver++(2M) 0.11, 0.049, 0.019, 0.0059.
    for (let k = 0; k < STEPS.length; k++) {
      expect(err.dpm[k], `${STEPS[k]} steps`).toBeLessThan(0.7 * err.ddim[k]);
      expect(stdErr.dpm[k], `${STEPS[k]} steps`).toBeLessThan(stdErr.ddim[k]);
      if (k > 0) {
        expect(err.dpm[k]).toBeLessThan(err.dpm[k - 1]);
        expect(err.ddim[k]).toBeLessThan(err.ddim[k - 1]);
        expect(stdErr.dpm[k]).toBeLessThan(stdErr.dpm[k - 1]);
      }
    }
    expect(err.dpm[3]).toBeLessThan(0.01);
    expect(stdErr.dpm[2]).toBeLessThan(0.05); // 25 steps: within 5% of the right spread
    // Empirical order between 10 and 50 steps: ~1.8 for 2M, ~1.0 for DDIM (first order).
    const order = (e: number[]) => Math.log(e[0] / e[3]) / Math.log(50 / 10);
    expect(order(err.dpm)).toBeGreaterThan(1.5);
    expect(order(err.ddim)).toBeGreaterThan(0.8);
    expect(order(err.ddim)).toBeLessThan(1.2);
  });

  it('is DDIM when every step is first order (2 steps: 999 -> 0, then the x_0 estimate)', async () => {
    expect(relativeError(await sample('dpm++', 2), await sample('ddim', 2))).toBeLessThan(1e-6);
  });

  it('uses the model at the respaced timesteps, noisiest first', async () => {
    const seen: number[] = [];
    await sampleLoop({
      model: (x, t) => { seen.push(t[0]); return gaussianDataModel(x, t); },
      schedule: SpacedDiffusion.fromRespacing('10'), sampler: 'dpm++', z, labels: [0], channels: C,
    });
    expect(seen).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
  });
});
