import { describe, expect, it } from 'vitest';
import { SpacedDiffusion, linearBetaSchedule, roundHalfEven, scheduleReport, spaceTimesteps, type ScheduleReport } from '../../../src/sampling/schedule.ts';
import { readFixtureJson, relativeError } from './helpers.ts';

const reference = readFixtureJson<Record<string, ScheduleReport>>('schedules.json');
const ARRAYS = [
  'betas', 'alphas_cumprod', 'alphas_cumprod_prev', 'posterior_variance', 'posterior_log_variance_clipped',
  'posterior_mean_coef1', 'posterior_mean_coef2', 'sqrt_recip_alphas_cumprod', 'sqrt_recipm1_alphas_cumprod',
] as const;

describe('scheduleReport matches the reference (schedules.json)', () => {
  for (const [respacing, expected] of Object.entries(reference)) {
    it(`"${respacing}"`, () => {
      const got = scheduleReport(respacing);
      expect(Object.keys(got).sort()).toEqual(Object.keys(expected).sort());
      expect(got.timestep_map).toEqual(expected.timestep_map);
      for (const name of ARRAYS) {
        expect(got[name].length, name).toBe(expected[name].length);
        expect(relativeError(got[name], expected[name]), name).toBeLessThanOrEqual(1e-9);
      }
    });
  }

  it('prints as JSON that round-trips every float64 exactly', () => {
    const report = scheduleReport('ddim25');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('spaceTimesteps', () => {
  // Expected lists computed with the reference's space_timesteps in CPython (round = half-to-even).
  const PYTHON: Record<string, number[]> = {
    '37': [0, 28, 56, 83, 111, 139, 166, 194, 222, 250, 278, 305, 333, 361, 388, 416, 444, 472, 500, 527, 555, 583, 610, 638, 666, 694, 722, 749, 777, 805, 832, 860, 888, 916, 944, 971, 999],
    '25': [0, 42, 83, 125, 166, 208, 250, 291, 333, 375, 416, 458, 500, 541, 583, 624, 666, 708, 749, 791, 832, 874, 916, 957, 999],
    '13': [0, 83, 166, 250, 333, 416, 500, 583, 666, 749, 832, 916, 999],
    '1,2,3': [0, 334, 666, 667, 833, 999],
    '3,7': [0, 250, 499, 500, 583, 666, 750, 833, 916, 999],
    '5,10,15': [0, 83, 166, 250, 333, 334, 371, 408, 445, 482, 518, 555, 592, 629, 666, 667, 691, 714, 738, 762, 786, 809, 833, 857, 880, 904, 928, 952, 975, 999],
    'ddim7': [0, 143, 286, 429, 572, 715, 858],
    '1': [0],
  };
  for (const [respacing, expected] of Object.entries(PYTHON)) {
    it(`"${respacing}" keeps the timesteps Python keeps`, () => expect(spaceTimesteps(1000, respacing)).toEqual(expected));
  }

  it('rounds half to even like Python where Math.round would differ', () => {
    expect([0.5, 1.5, 2.5, 166.5, 416.25, 2.5000000000000004].map(roundHalfEven)).toEqual([0, 2, 2, 166, 416, 3]);
    // "25" has stride 999/24 = 41.625, so 4 strides = 166.5 exactly: Python keeps 166, not 167.
    expect(spaceTimesteps(1000, '25')).toContain(166);
    expect(spaceTimesteps(1000, '25')).not.toContain(167);
  });

  it('"ddimN" uses the first integer stride giving N steps', () => {
    expect(spaceTimesteps(1000, 'ddim100')).toEqual(Array.from({ length: 100 }, (_, i) => i * 10));
    expect(spaceTimesteps(1000, 'ddim1000')).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('"N" always spans 0 and T-1', () => {
    for (const n of [2, 10, 17, 49, 250, 999, 1000]) {
      const kept = spaceTimesteps(1000, String(n));
      expect(kept.length).toBe(n);
      expect(kept[0]).toBe(0);
      expect(kept[n - 1]).toBe(999);
    }
  });

  it.each([
    ['', /not an integer/],
    ['abc', /not an integer/],
    ['10,', /not an integer/],
    ['2.5', /not an integer/],
    ['ddim', /not an integer/],
    ['ddim0', /cannot create exactly 0 steps/],
    ['ddim1', /cannot create exactly 1 steps/],
    ['ddim37', /cannot create exactly 37 steps/],
    ['1001', /cannot divide a section of 1000 steps into 1001/],
    ['10,600', /cannot divide a section of 500 steps into 600/],
    ['-5', /negative/],
    ['0', /keeps no timestep/],
  ])('rejects %j', (respacing, message) => {
    expect(() => spaceTimesteps(1000, respacing)).toThrow(message);
  });

  it('accepts what Python int() accepts', () => {
    expect(spaceTimesteps(1000, ' 10 ')).toEqual(spaceTimesteps(1000, '10'));
    expect(spaceTimesteps(1000, '1_0,+5')).toEqual(spaceTimesteps(1000, '10,5'));
    expect(spaceTimesteps(1000, 'ddim 50')).toEqual(spaceTimesteps(1000, 'ddim50'));
  });
});

describe('SpacedDiffusion against a straightforward port', () => {
  // Independent formulation: abar of the base process by direct products, and the respaced arrays
  // straight from abar at the kept timesteps (the module instead re-derives them from new betas).
  const baseAlphaBar: number[] = [];
  for (let t = 0, prod = 1; t < 1000; t++) {
    prod *= 1 - (1e-4 + (t * (0.02 - 1e-4)) / 999);
    baseAlphaBar.push(prod);
  }

  it('base betas are linear from 1e-4 to 0.02, and scale with 1000/steps', () => {
    const b = linearBetaSchedule();
    expect(b[0]).toBe(1e-4);
    expect(b[999]).toBe(0.02);
    expect(b[500]).toBeCloseTo(1e-4 + (500 * (0.02 - 1e-4)) / 999, 15);
    const b250 = linearBetaSchedule(250);
    expect(b250[0]).toBeCloseTo(4e-4, 15);
    expect(b250[249]).toBeCloseTo(0.08, 15);
  });

  for (const respacing of ['37', '25', '1,2,3', 'ddim25', 'ddim100', '1000']) {
    it(`"${respacing}"`, () => {
      const d = SpacedDiffusion.fromRespacing(respacing);
      const ts = d.timestepMap;
      expect(d.numTimesteps).toBe(ts.length);
      expect(d.originalNumSteps).toBe(1000);
      const ab = ts.map((t) => baseAlphaBar[t]);
      const abPrev = ab.map((_, k) => (k === 0 ? 1 : ab[k - 1]));
      const beta = ab.map((a, k) => 1 - a / abPrev[k]);
      const postVar = beta.map((b, k) => (b * (1 - abPrev[k])) / (1 - ab[k]));
      const close = (got: ArrayLike<number>, want: number[], name: string) => expect(relativeError(got, want), name).toBeLessThan(1e-9);
      close(d.betas, beta, 'betas');
      close(d.alphasCumprod, ab, 'alphasCumprod');
      close(d.alphasCumprodPrev, abPrev, 'alphasCumprodPrev');
      close(d.alphasCumprodNext, ab.map((_, k) => (k + 1 < ab.length ? ab[k + 1] : 0)), 'alphasCumprodNext');
      close(d.sqrtAlphasCumprod, ab.map(Math.sqrt), 'sqrtAlphasCumprod');
      close(d.sqrtOneMinusAlphasCumprod, ab.map((a) => Math.sqrt(1 - a)), 'sqrtOneMinusAlphasCumprod');
      close(d.logOneMinusAlphasCumprod, ab.map((a) => Math.log(1 - a)), 'logOneMinusAlphasCumprod');
      close(d.sqrtRecipAlphasCumprod, ab.map((a) => 1 / Math.sqrt(a)), 'sqrtRecipAlphasCumprod');
      close(d.sqrtRecipm1AlphasCumprod, ab.map((a) => Math.sqrt((1 - a) / a)), 'sqrtRecipm1AlphasCumprod');
      close(d.posteriorVariance, postVar, 'posteriorVariance');
      close(d.posteriorLogVarianceClipped, postVar.map((v, k) => Math.log(k === 0 ? postVar[1] : v)), 'posteriorLogVarianceClipped');
      close(d.posteriorMeanCoef1, beta.map((b, k) => (b * Math.sqrt(abPrev[k])) / (1 - ab[k])), 'posteriorMeanCoef1');
      close(d.posteriorMeanCoef2, beta.map((b, k) => ((1 - abPrev[k]) * Math.sqrt(1 - b)) / (1 - ab[k])), 'posteriorMeanCoef2');
      // Defining identity of the posterior mean: noise-free x_t = sqrt(abar) x_0 maps to sqrt(abar_prev) x_0.
      for (let k = 0; k < ab.length; k++) {
        const mean = d.posteriorMeanCoef1[k] + d.posteriorMeanCoef2[k] * Math.sqrt(ab[k]);
        expect(mean).toBeCloseTo(Math.sqrt(abPrev[k]), 12);
      }
      for (let k = 1; k < ab.length; k++) expect(d.alphasCumprod[k]).toBeLessThan(d.alphasCumprod[k - 1]);
    });
  }

  it('"" means no respacing, like create_diffusion', () => {
    expect(SpacedDiffusion.fromRespacing('').timestepMap).toEqual(SpacedDiffusion.fromRespacing('1000').timestepMap);
  });

  it('a 1-step process has no clipped log variance, like the reference', () => {
    const d = SpacedDiffusion.fromRespacing('1');
    expect(d.timestepMap).toEqual([0]);
    expect(d.posteriorLogVarianceClipped.length).toBe(0);
  });
});
