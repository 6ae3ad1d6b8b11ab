import { describe, expect, it } from 'vitest';
import { sampleLoop, type DiTModel, type StepInfo } from '../../reference/sampling-loop.ts';
import { gaussian, initialLatent, seededStepNoise } from '../../../src/sampling/noise.ts';
import { SpacedDiffusion } from '../../../src/sampling/schedule.ts';

const C = 4, HW = 4, B = 2;
const z = initialLatent(11, B * C * HW);
const d = SpacedDiffusion.fromRespacing('5');

/** A deterministic stand-in DiT: eps and v depend on x, t and the label of each row. */
function fakeModel(log?: { t: number[]; y: number[]; rows: number }[]): DiTModel {
  return (x, t, y) => {
    log?.push({ t: [...t], y: [...y], rows: y.length });
    const rows = y.length;
    const out = new Float32Array(rows * 2 * C * HW);
    for (let n = 0; n < rows; n++) {
      for (let j = 0; j < C * HW; j++) {
        const xv = x[n * C * HW + j];
        out[n * 2 * C * HW + j] = 0.5 * xv + 0.01 * y[n] + t[n] / 1000;
        out[n * 2 * C * HW + C * HW + j] = Math.tanh(xv);
      }
    }
    return out;
  };
}

describe('sampleLoop', () => {
  it('without guidance runs B rows with the labels as given', async () => {
    const log: { t: number[]; y: number[]; rows: number }[] = [];
    const result = await sampleLoop({ model: fakeModel(log), schedule: d, sampler: 'ddim', z, labels: [3, 7] });
    expect(log.map((c) => c.rows)).toEqual([2, 2, 2, 2, 2]);
    expect(log.map((c) => c.t)).toEqual([999, 749, 500, 250, 0].map((t) => [t, t]));
    expect(log[0].y).toEqual([3, 7]);
    expect(result.timesteps).toEqual([999, 749, 500, 250, 0]);
    expect(result.samples.length).toBe(5);
    expect(result.final).toEqual(result.samples[4]);
  });

  it('with guidance doubles the batch with null-class twins and returns the conditional half', async () => {
    const log: { t: number[]; y: number[]; rows: number }[] = [];
    const result = await sampleLoop({ model: fakeModel(log), schedule: d, sampler: 'ddim', z, labels: [3, 7], cfgScale: 1.5, numClasses: 1000 });
    expect(log[0].y).toEqual([3, 7, 1000, 1000]);
    expect(result.samples[0].length).toBe(2 * B * C * HW);
    expect(result.final).toEqual(result.samples[4].subarray(0, B * C * HW));
    await expect(sampleLoop({ model: fakeModel(), schedule: d, sampler: 'ddim', z, labels: [3, 7], cfgScale: 4 })).rejects.toThrow(/numClasses/);
    await expect(sampleLoop({ model: fakeModel(), schedule: d, sampler: 'ddim', z, labels: [3, 10], cfgScale: 4, numClasses: 10 })).rejects.toThrow(/labels must be integers in \[0, 10\)/);
  });

  it('DDPM with seeded noise is reproducible and draws one noise per noisy step, whatever the order', async () => {
    const calls: { step: number; count: number }[] = [];
    const noise = seededStepNoise(99);
    const run = () => sampleLoop({
      model: fakeModel(), schedule: d, sampler: 'ddpm', z, labels: [1, 2], cfgScale: 4, numClasses: 10,
      noise: (step, count) => { calls.push({ step, count }); return noise(step, count); },
    });
    const a = await run();
    expect(calls).toEqual([0, 1, 2, 3].map((step) => ({ step, count: 2 * B * C * HW }))); // none at t = 0
    const b = await run();
    expect(b.final).toEqual(a.final);
    const other = await sampleLoop({ model: fakeModel(), schedule: d, sampler: 'ddpm', z, labels: [1, 2], cfgScale: 4, numClasses: 10, noise: seededStepNoise(100) });
    expect(other.final).not.toEqual(a.final);
    // Step k's noise is stream k + 1 of the seed, so it does not depend on what was drawn before.
    expect(noise(3, 8)).toEqual(gaussian(99, 8, 4));
  });

  it('asks for noise only where a step adds some', async () => {
    const never = () => { throw new Error('noise drawn'); };
    await sampleLoop({ model: fakeModel(), schedule: d, sampler: 'ddim', z, labels: [0, 0], noise: never });
    await sampleLoop({ model: fakeModel(), schedule: d, sampler: 'dpm++', z, labels: [0, 0], noise: never });
    await expect(sampleLoop({ model: fakeModel(), schedule: d, sampler: { kind: 'ddim', eta: 1 }, z, labels: [0, 0] })).rejects.toThrow(/needs noise at step 0/);
    await expect(sampleLoop({ model: fakeModel(), schedule: d, sampler: 'ddpm', z, labels: [0, 0] })).rejects.toThrow(/needs noise at step 0/);
  });

  it('accepts async models, reports each step and can drop the intermediates', async () => {
    const infos: StepInfo[] = [];
    const model = fakeModel();
    const result = await sampleLoop({
      model: async (x, t, y) => model(x, t, y), schedule: d, sampler: 'dpm++', z, labels: [0, 1],
      keepSteps: false, onStep: (info) => infos.push(info),
    });
    expect(result.samples).toEqual([]);
    expect(infos.map((i) => [i.step, i.index, i.t])).toEqual([[0, 4, 999], [1, 3, 749], [2, 2, 500], [3, 1, 250], [4, 0, 0]]);
    expect(result.final).toEqual(infos[4].sample);
  });

  it('rejects inconsistent shapes', async () => {
    await expect(sampleLoop({ model: fakeModel(), schedule: d, sampler: 'ddim', z: z.subarray(1), labels: [0, 1] })).rejects.toThrow(/not 2 x 4 x H x W/);
    await expect(sampleLoop({ model: () => new Float32Array(3), schedule: d, sampler: 'ddim', z, labels: [0, 1] })).rejects.toThrow(/model output holds 3 values/);
    const epsOnly: DiTModel = (x) => x.slice();
    await expect(sampleLoop({ model: epsOnly, schedule: d, sampler: 'ddpm', z, labels: [0, 1], noise: seededStepNoise(1) })).rejects.toThrow(/learns sigma/);
  });
});
