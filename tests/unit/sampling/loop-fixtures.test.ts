/**
 * DDPM / DDIM steps and the sampling loop against the reference loops of the tiny DiT
 * (tests/fixtures/dit/loop-tiny-*.io.safetensors), without running DiT.
 *
 * The fixtures hold x_t before each step (z doubled, then `samples[k-1]`), `pred_xstart` and the
 * sample after it. With the reference's own schedule (schedules.json "10") that gives back the
 * guided eps of every row: eps = (sqrt(1/abar) x_t - x_0) / sqrt(1/abar - 1). DDIM (eta = 0) is then
 * fully determined. DDPM also needs the variance values v, which the fixture lacks; they are
 * recovered from (sample - mean) / noise through the README's formula, so the DDPM checks pin the
 * mean exactly (and the whole last step, which adds no noise) but the variance only as far as the
 * README defines it.
 */
import { describe, expect, it } from 'vitest';
import { cfgCombine } from '../../reference/guidance.ts';
import { sampleLoop } from '../../reference/sampling-loop.ts';
import { ddimStep, ddpmStep } from '../../reference/samplers.ts';
import { SpacedDiffusion, type ScheduleReport } from '../../../src/sampling/schedule.ts';
import { readFixtureJson, readFixtureSafetensors, relativeError } from './helpers.ts';

const ref = readFixtureJson<Record<string, ScheduleReport>>('schedules.json')['10'];
const d = SpacedDiffusion.fromRespacing('10');
const S = 10, B = 2, ROWS = 4, C = 4, HW = 64;
const PER_STEP = ROWS * C * HW;
const HALF = B * C * HW;
const LABELS = [3, 7];
const NUM_CLASSES = 10;
const CFG_SCALE = 4;

interface Loop {
  z: Float32Array;
  noise: Float32Array[];
  samples: Float32Array[];
  predXstart: Float32Array[];
  final: Float32Array;
  timesteps: number[];
  /** x_t the reference stepped from at step k: cat([z, z]) at k = 0. */
  xBefore: Float32Array[];
  /** Guided eps of every row at step k, float64, from the reference schedule. */
  eps: Float64Array[];
}

function loadLoop(name: string): Loop {
  const f = readFixtureSafetensors(name);
  const perStep = (tensor: string) => Array.from({ length: S }, (_, k) => f.float32(tensor).subarray(k * PER_STEP, (k + 1) * PER_STEP));
  const z = f.float32('z');
  const samples = perStep('samples');
  const predXstart = perStep('pred_xstart');
  const zz = new Float32Array(PER_STEP);
  zz.set(z, 0);
  zz.set(z, HALF);
  const xBefore = samples.map((_, k) => (k === 0 ? zz : samples[k - 1]));
  const eps = xBefore.map((x, k) => {
    const i = S - 1 - k;
    return Float64Array.from(x, (xv, j) => (ref.sqrt_recip_alphas_cumprod[i] * xv - predXstart[k][j]) / ref.sqrt_recipm1_alphas_cumprod[i]);
  });
  expect([...f.float32('y')]).toEqual(LABELS);
  expect(f.float32('cfg_scale')[0]).toBe(CFG_SCALE);
  return { z, noise: perStep('step_noise'), samples, predXstart, final: f.float32('final'), timesteps: [...f.float32('timesteps')], xBefore, eps };
}

const ddim = loadLoop('loop-tiny-ddim10.io.safetensors');
const ddpm = loadLoop('loop-tiny-ddpm10.io.safetensors');

/** Elements of channel c of row n. */
function channelSlice(a: ArrayLike<number>, n: number, c: number, outC = C): number[] {
  return Array.from({ length: HW }, (_, p) => a[(n * outC + c) * HW + p]);
}

/**
 * v recovered per element from the reference DDPM sample via the README formula
 * (std = (sample - mean) / noise, log std^2 = f log beta + (1 - f) log beta~, v = 2f - 1);
 * NaN where |noise| < minNoise. Below ~0.05 the value is unreliable, but it still reproduces the
 * sample when fed forward (the recovery is the step's exact inverse).
 */
function recoverVarValues(loop: Loop, k: number, minNoise = 0.05): Float64Array {
  const i = S - 1 - k;
  const minLog = ref.posterior_log_variance_clipped[i];
  const maxLog = Math.log(ref.betas[i]);
  return Float64Array.from(loop.samples[k], (sample, j) => {
    const mean = ref.posterior_mean_coef1[i] * loop.predXstart[k][j] + ref.posterior_mean_coef2[i] * loop.xBefore[k][j];
    const noise = loop.noise[k][j];
    if (!(Math.abs(noise) >= minNoise) || noise === 0) return NaN;
    return 2 * ((Math.log(((sample - mean) / noise) ** 2) - minLog) / (maxLog - minLog)) - 1;
  });
}

describe('reference loops are read as the README says', () => {
  it('timesteps run 999, 888, ..., 0 and match the respacing', () => {
    expect(ddim.timesteps).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    expect(ddpm.timesteps).toEqual(ddim.timesteps);
    expect([...d.timestepMap].reverse()).toEqual(ddim.timesteps);
  });

  for (const [name, loop] of [['ddim', ddim], ['ddpm', ddpm]] as const) {
    it(`${name}: guided eps channels 0-2 are shared by both halves, channel 3 is per row`, () => {
      for (let k = 0; k < S; k++) {
        for (let b = 0; b < B; b++) {
          for (let c = 0; c < C; c++) {
            const err = relativeError(channelSlice(loop.eps[k], B + b, c), channelSlice(loop.eps[k], b, c));
            // At t = 0, sqrt(1/abar - 1) = 0.01 and |x| ~ 1000: the eps recovery loses ~3 digits there.
            if (c < 3) expect(err, `step ${k} row ${b} channel ${c}`).toBeLessThan(k === S - 1 ? 2e-3 : 1e-4);
            else expect(err, `step ${k} row ${b} channel ${c}`).toBeGreaterThan(1e-2);
          }
        }
      }
    });
  }
});

describe('DDIM step (eta = 0) reproduces every reference step', () => {
  for (let k = 0; k < S; k++) {
    it(`step ${k} (t = ${999 - 111 * k})`, () => {
      const { sample, predXstart } = ddimStep(d, S - 1 - k, ddim.xBefore[k], Float32Array.from(ddim.eps[k]), null);
      expect(relativeError(predXstart, ddim.predXstart[k])).toBeLessThanOrEqual(1e-5);
      expect(relativeError(sample, ddim.samples[k])).toBeLessThanOrEqual(1e-5);
    });
  }
});

describe('DDPM step with learned-range variance', () => {
  it('the last step (t = 0) adds no noise: the sample is exactly the posterior mean', () => {
    const k = S - 1;
    const v = new Float32Array(PER_STEP).fill(123); // any v: unused at t = 0
    const { sample, predXstart } = ddpmStep(d, 0, ddpm.xBefore[k], { eps: Float32Array.from(ddpm.eps[k]), varValues: v }, ddpm.noise[k]);
    expect(relativeError(predXstart, ddpm.predXstart[k])).toBeLessThanOrEqual(1e-5);
    expect(relativeError(sample, ddpm.samples[k])).toBeLessThanOrEqual(1e-5);
    expect(Math.hypot(...ddpm.noise[k])).toBeGreaterThan(10); // the reference did draw noise there, and masked it
  });

  for (let k = 0; k < S - 1; k++) {
    const i = S - 1 - k;
    // How much v can move the std at this step: ~1.0002 at t = 999, ~35 at t = 111.
    const stdRange = Math.exp(0.5 * (Math.log(ref.betas[i]) - ref.posterior_log_variance_clipped[i]));
    it(`step ${k} (t = ${999 - 111 * k}, std range x${stdRange.toPrecision(3)}): mean and variance`, () => {
      const v = recoverVarValues(ddpm, k);
      const known = (j: number) => !Number.isNaN(v[j]);
      expect([...v].filter((_, j) => known(j)).length).toBeGreaterThan(0.9 * PER_STEP);
      // (sample - mean) / noise must be a std some bounded model output v explains. Where the std
      // range is narrow (early steps) this pins the posterior mean to ~1e-4 of the noise scale.
      for (let j = 0; j < PER_STEP; j++) if (known(j)) expect(Math.abs(v[j]), `element ${j}`).toBeLessThan(6);

      const eps = Float32Array.from(ddpm.eps[k]);
      const varValues = Float32Array.from(v, (x) => (Number.isNaN(x) ? 0 : x));
      const { sample, predXstart } = ddpmStep(d, i, ddpm.xBefore[k], { eps, varValues }, ddpm.noise[k]);
      const onKnown = (a: Float32Array) => a.filter((_, j) => known(j));
      expect(relativeError(predXstart, ddpm.predXstart[k])).toBeLessThanOrEqual(1e-5);
      expect(relativeError(onKnown(sample), onKnown(ddpm.samples[k]))).toBeLessThanOrEqual(1e-5);
      if (stdRange > 1.5) {
        // Where v matters, ignoring it must be caught.
        const flat = ddpmStep(d, i, ddpm.xBefore[k], { eps, varValues: new Float32Array(PER_STEP) }, ddpm.noise[k]);
        expect(relativeError(onKnown(flat.sample), onKnown(ddpm.samples[k]))).toBeGreaterThan(1e-4);
      }
    });
  }
});

/**
 * A stand-in DiT that returns, at step k, an output whose guidance combination is the reference's
 * eps: channels < 3 hold cond = e - (s-1) delta and uncond = e - s delta (so uncond + s (cond -
 * uncond) = e only if guidance is applied), channel 3 and the variance channels are per row.
 */
function replayModel(loop: Loop, varValues: (k: number) => Float64Array) {
  let k = 0;
  const seen: { x: Float32Array; t: number[]; y: number[] }[] = [];
  const model = (x: Float32Array, t: readonly number[], y: readonly number[]): Float32Array => {
    seen.push({ x: x.slice(), t: [...t], y: [...y] });
    const v = varValues(k);
    const out = new Float32Array(ROWS * 2 * C * HW);
    for (let n = 0; n < ROWS; n++) {
      for (let c = 0; c < C; c++) {
        for (let p = 0; p < HW; p++) {
          const src = (n * C + c) * HW + p;
          const dst = (n * 2 * C + c) * HW + p;
          if (c < 3) {
            // One guided value per (image, channel, pixel), shared by both halves.
            const shared = ((n % B) * C + c) * HW + p;
            const e = loop.eps[k][shared];
            const delta = Math.sin(shared + 7 * k) * (1 + Math.abs(e));
            out[dst] = n < B ? e - (CFG_SCALE - 1) * delta : e - CFG_SCALE * delta;
          } else {
            out[dst] = loop.eps[k][src];
          }
          out[dst + C * HW] = v[src];
        }
      }
    }
    k++;
    return out;
  };
  return { model, seen };
}

describe('sampleLoop replays the reference loops', () => {
  const check = async (loop: Loop, sampler: 'ddim' | 'ddpm', varValues: (k: number) => Float64Array) => {
    const { model, seen } = replayModel(loop, varValues);
    const result = await sampleLoop({
      model, schedule: d, sampler, z: loop.z, labels: LABELS, cfgScale: CFG_SCALE, numClasses: NUM_CLASSES,
      noise: (step, count) => { expect(count).toBe(PER_STEP); return loop.noise[step]; },
    });
    expect(result.timesteps).toEqual(loop.timesteps);
    expect(seen.length).toBe(S);
    for (let k = 0; k < S; k++) {
      expect(seen[k].t).toEqual(new Array(ROWS).fill(loop.timesteps[k]));
      expect(seen[k].y).toEqual([3, 7, NUM_CLASSES, NUM_CLASSES]);
      // forward_with_cfg: the model sees the conditional half twice.
      const fed = seen[k].x;
      expect(relativeError(fed.subarray(0, HALF), loop.xBefore[k].subarray(0, HALF))).toBeLessThanOrEqual(1e-5);
      expect(fed.subarray(HALF)).toEqual(fed.subarray(0, HALF));
      expect(relativeError(result.predXstart[k], loop.predXstart[k]), `pred_xstart ${k}`).toBeLessThanOrEqual(1e-5);
      expect(relativeError(result.samples[k], loop.samples[k]), `sample ${k}`).toBeLessThanOrEqual(1e-5);
    }
    expect(relativeError(result.final, loop.final)).toBeLessThanOrEqual(1e-5);
    return result;
  };

  it('DDIM, eta 0, guidance 4 on channels 0-2', async () => {
    await check(ddim, 'ddim', () => new Float64Array(PER_STEP).fill(0.25));
  });

  it('DDPM with the recovered variance values', async () => {
    await check(ddpm, 'ddpm', (k) => (k === S - 1 ? new Float64Array(PER_STEP) : recoverVarValues(ddpm, k, 0).map((x) => (Number.isNaN(x) ? 0 : x))));
  });

  it('guiding all eps channels is a different sampler (the default must be 3 channels)', async () => {
    const { model } = replayModel(ddim, () => new Float64Array(PER_STEP));
    const result = await sampleLoop({ model, schedule: d, sampler: 'ddim', z: ddim.z, labels: LABELS, cfgScale: CFG_SCALE, numClasses: NUM_CLASSES, guidedChannels: 'all' });
    expect(relativeError(result.final, ddim.final)).toBeGreaterThan(1e-3);
  });
});

describe('cfgCombine on the reference semantics', () => {
  it('is the identity on eps that was already combined', () => {
    // Shape sanity with the fixture sizes: 2B rows of 2C channels.
    const out = Float32Array.from({ length: ROWS * 2 * C * HW }, (_, j) => Math.cos(j));
    const combined = cfgCombine(out, B, C, HW, CFG_SCALE, 3);
    expect(cfgCombine(combined, B, C, HW, CFG_SCALE, 3)).toEqual(combined);
  });
});
