import { describe, expect, it } from 'vitest';
import { ddimSigma, ddimStep, ddpmStep, dpmSolverPP2MStep, halfLogSnr, predictXstartFromEps } from '../../reference/samplers.ts';
import { SpacedDiffusion } from '../../../src/sampling/schedule.ts';
import { relativeError } from './helpers.ts';

const d = SpacedDiffusion.fromRespacing('25');
const n = 64;
const x = Float32Array.from({ length: n }, (_, k) => 2 * Math.sin(k + 1));
const eps = Float32Array.from({ length: n }, (_, k) => Math.cos(3 * k));
const zeros = new Float32Array(n);
const ones = new Float32Array(n).fill(1);

describe('predictXstartFromEps', () => {
  it('inverts x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps', () => {
    const i = 7;
    const x0 = Float32Array.from({ length: n }, (_, k) => 0.3 * k - 5);
    const xt = Float32Array.from(x0, (v, k) => Math.sqrt(d.alphasCumprod[i]) * v + Math.sqrt(1 - d.alphasCumprod[i]) * eps[k]);
    expect(relativeError(predictXstartFromEps(d, i, xt, eps), x0)).toBeLessThan(1e-6);
  });

  it('clamps to [-1, 1] only with clipDenoised', () => {
    const raw = predictXstartFromEps(d, 20, x, eps);
    expect(Math.max(...raw.map(Math.abs))).toBeGreaterThan(1);
    const clipped = predictXstartFromEps(d, 20, x, eps, true);
    expect([...clipped]).toEqual([...raw].map((v) => Math.fround(Math.min(1, Math.max(-1, v)))));
  });
});

describe('ddpmStep (learned-range variance)', () => {
  const std = (i: number, v: number) => {
    const varValues = new Float32Array(n).fill(v);
    const withNoise = ddpmStep(d, i, x, { eps, varValues }, ones).sample;
    const without = ddpmStep(d, i, x, { eps, varValues }, zeros).sample;
    return withNoise[0] - without[0];
  };

  it('v = -1 gives the posterior std, v = +1 sqrt(beta), v = 0 their geometric mean', () => {
    const i = 10;
    expect(std(i, -1)).toBeCloseTo(Math.sqrt(d.posteriorVariance[i]), 5);
    expect(std(i, 1)).toBeCloseTo(Math.sqrt(d.betas[i]), 5);
    expect(std(i, 0)).toBeCloseTo((d.posteriorVariance[i] * d.betas[i]) ** 0.25, 5);
  });

  it('at i = 1, v = -1 uses the clipped log variance, and at i = 0 adds no noise', () => {
    expect(std(1, -1)).toBeCloseTo(Math.sqrt(d.posteriorVariance[1]), 5);
    const varValues = new Float32Array(n);
    expect(ddpmStep(d, 0, x, { eps, varValues }, ones).sample).toEqual(ddpmStep(d, 0, x, { eps, varValues }, null).sample);
  });

  it('needs variance channels, noise before the last step, and matching sizes', () => {
    expect(() => ddpmStep(d, 3, x, { eps, varValues: null }, ones)).toThrow(/learns sigma/);
    expect(() => ddpmStep(d, 3, x, { eps, varValues: zeros }, null)).toThrow(/needs noise/);
    expect(() => ddpmStep(d, 3, x, { eps, varValues: zeros }, ones.subarray(1))).toThrow(/noise holds 63/);
    expect(() => ddpmStep(d, 25, x, { eps, varValues: zeros }, ones)).toThrow(/outside 0..24/);
    expect(() => ddpmStep(SpacedDiffusion.fromRespacing('1'), 0, x, { eps, varValues: zeros }, null)).toThrow(/at least 2 timesteps/);
  });
});

describe('ddimStep', () => {
  it('eta = 1 has the DDPM posterior variance (Song et al.: sigma_t(1)^2 = beta~_t)', () => {
    for (const i of [1, 5, 24]) expect(ddimSigma(d, i, 1) ** 2).toBeCloseTo(d.posteriorVariance[i], 12);
    expect(ddimSigma(d, 0, 1)).toBe(0);
  });

  it('eta = 0 moves x_0 and eps to the previous noise level deterministically', () => {
    const i = 12;
    const { sample, predXstart } = ddimStep(d, i, x, eps, null);
    const ap = d.alphasCumprodPrev[i];
    const want = Float32Array.from(predXstart, (v, k) => Math.sqrt(ap) * v + Math.sqrt(1 - ap) * eps[k]);
    expect(relativeError(sample, want)).toBeLessThan(1e-6);
  });

  it('ends at the x_0 estimate (abar_prev = 1 at i = 0)', () => {
    const { sample, predXstart } = ddimStep(d, 0, x, eps, null);
    expect(relativeError(sample, predXstart)).toBeLessThan(1e-7);
  });

  it('with clipping, re-derives eps from the clipped x_0 like the reference', () => {
    const i = 20;
    const { sample, predXstart } = ddimStep(d, i, x, eps, null, { clipDenoised: true });
    const ap = d.alphasCumprodPrev[i];
    const epsFromX0 = Float64Array.from(x, (v, k) => (d.sqrtRecipAlphasCumprod[i] * v - predXstart[k]) / d.sqrtRecipm1AlphasCumprod[i]);
    const want = Float32Array.from(predXstart, (v, k) => Math.sqrt(ap) * v + Math.sqrt(1 - ap) * epsFromX0[k]);
    expect(relativeError(sample, want)).toBeLessThan(1e-6);
    expect(relativeError(sample, ddimStep(d, i, x, eps, null).sample)).toBeGreaterThan(1e-3);
  });

  it('eta > 0 adds sigma * noise and requires noise', () => {
    const i = 9;
    const a = ddimStep(d, i, x, eps, ones, { eta: 0.5 }).sample;
    const b = ddimStep(d, i, x, eps, zeros, { eta: 0.5 }).sample;
    expect(a[3] - b[3]).toBeCloseTo(ddimSigma(d, i, 0.5), 5);
    expect(() => ddimStep(d, i, x, eps, null, { eta: 0.5 })).toThrow(/needs noise/);
    expect(() => ddimStep(d, i, x, eps, null, { eta: -1 })).toThrow(/eta/);
    expect(() => ddimStep(d, i, x, eps, ones, { eta: 3 })).toThrow(/too large/);
  });
});

describe('dpmSolverPP2MStep', () => {
  const x0 = Float32Array.from({ length: n }, (_, k) => Math.sin(5 * k));
  const x0Prev = Float32Array.from({ length: n }, (_, k) => 0.8 * Math.sin(5 * k) + 0.1);

  it('first order equals DDIM (eta 0) written in x_0 form', () => {
    const i = 15;
    const xt = Float32Array.from(x0, (v, k) => Math.sqrt(d.alphasCumprod[i]) * v + Math.sqrt(1 - d.alphasCumprod[i]) * eps[k]);
    expect(relativeError(dpmSolverPP2MStep(d, i, xt, x0, null), ddimStep(d, i, xt, eps, null).sample)).toBeLessThan(1e-6);
  });

  it('second order: D = (1 + 1/2r) x0 - (1/2r) x0_prev with r = h_prev / h', () => {
    const i = 10;
    const h = halfLogSnr(d, i - 1) - halfLogSnr(d, i);
    const r = (halfLogSnr(d, i) - halfLogSnr(d, i + 1)) / h;
    const D = Float64Array.from(x0, (v, k) => (1 + 1 / (2 * r)) * v - (1 / (2 * r)) * x0Prev[k]);
    const sigmaT = Math.sqrt(1 - d.alphasCumprod[i - 1]), sigmaS = Math.sqrt(1 - d.alphasCumprod[i]);
    const alphaT = Math.sqrt(d.alphasCumprod[i - 1]);
    const want = Float64Array.from(x, (v, k) => (sigmaT / sigmaS) * v - alphaT * (Math.exp(-h) - 1) * D[k]);
    expect(relativeError(dpmSolverPP2MStep(d, i, x, x0, { index: i + 1, x0: x0Prev }), want)).toBeLessThan(1e-6);
  });

  it('is first order into i = 0 and returns x_0 from i = 0', () => {
    expect(dpmSolverPP2MStep(d, 1, x, x0, { index: 2, x0: x0Prev })).toEqual(dpmSolverPP2MStep(d, 1, x, x0, null));
    expect(dpmSolverPP2MStep(d, 0, x, x0, { index: 1, x0: x0Prev })).toEqual(x0);
  });
});
