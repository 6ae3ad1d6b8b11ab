/**
 * `dit sample` end to end: the reference loops (DDPM, DDIM) from the fixtures on every step, and
 * other labels / guidance scales / step counts / samplers against the CPU loop driven by the CPU
 * DiT reference. Tolerance ‖a − b‖ / ‖b‖ ≤ 1e-4 (fixture README).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDitConfig } from '../../src/model/config.ts';
import { sampleLoop, type SamplerKind } from '../reference/sampling-loop.ts';
import { initialLatent, seededStepNoise } from '../../src/sampling/noise.ts';
import { SpacedDiffusion } from '../../src/sampling/schedule.ts';
import { SafetensorsFile } from '../../src/weights/safetensors.ts';
import { ditForwardCpu, materialize } from '../reference/dit.ts';
import { runCli } from '../support/cli.ts';
import { relativeError } from '../support/compare.ts';
import { fixture, loadJson, loadSafetensors, tensorSource } from '../support/fixtures.ts';

const TOL = 1e-4;
const tmp = mkdtempSync(join(tmpdir(), 'dit-sample-'));
const tiny = (f: string) => fixture(`dit/${f}`);
const config = parseDitConfig(loadJson('dit/dit-tiny.config.json'));
const weights = await materialize(tensorSource('dit/dit-tiny.safetensors'));
const LATENT = 4 * 8 * 8;

function sampleArgs(output: string, extra: string[]): string[] {
  return ['sample', '--weights', tiny('dit-tiny.safetensors'), '--config', tiny('dit-tiny.config.json'), '--output', output, ...extra];
}

async function sample(name: string, extra: string[]): Promise<SafetensorsFile> {
  const output = join(tmp, `${name}.safetensors`);
  const r = await runCli(sampleArgs(output, extra));
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return SafetensorsFile.fromBytes(readFileSync(output));
}

describe('dit sample reproduces the reference loops', () => {
  for (const sampler of ['ddpm', 'ddim']) {
    it(`loop-tiny-${sampler}10: every step and the final sample`, async () => {
      const io = loadSafetensors(`dit/loop-tiny-${sampler}10.io.safetensors`);
      const got = await sample(`loop-${sampler}`, ['--labels', '3,7', '--respacing', '10', '--sampler', sampler, '--cfg', '4', '--noise', tiny(`loop-tiny-${sampler}10.io.safetensors`)]);
      expect(got.entry('final').shape).toEqual([2, 4, 8, 8]);
      expect(got.entry('samples').shape).toEqual([10, 2, 4, 8, 8]);
      expect(relativeError(got.float32('final'), io.float32('final'))).toBeLessThan(TOL);
      const ref = io.float32('samples'); // (10, 4, ...): compare the conditional half
      const ours = got.float32('samples');
      for (let k = 0; k < 10; k++) {
        const want = ref.subarray(k * 4 * LATENT, k * 4 * LATENT + 2 * LATENT);
        expect(relativeError(ours.subarray(k * 2 * LATENT, (k + 1) * 2 * LATENT), want), `step ${k}`).toBeLessThan(TOL);
      }
    });
  }
});

describe('dit sample against the CPU loop on other settings (seeded noise)', () => {
  const cases: [string, SamplerKind, string, number, number[], string][] = [
    ['ddpm', 'ddpm', '7', 1.5, [0, 9, 4], 'guidance 1.5, 3 labels, 7 steps'],
    ['ddim', 'ddim', 'ddim5', 7, [2], 'ddim5 respacing, guidance 7'],
    ['dpm++', 'dpm++', '6', 3, [5, 1], 'DPM-Solver++(2M), 6 steps'],
    ['ddpm', 'ddpm', '4', 1, [8, 8], 'guidance 1 skips the null half'],
  ];
  for (const [cli, kind, respacing, cfg, labels, label] of cases) {
    it(label, async () => {
      const seed = 1234 + labels.length;
      const got = await sample(`seeded-${cli}-${respacing}`, ['--labels', labels.join(','), '--respacing', respacing, '--sampler', cli, '--cfg', String(cfg), '--seed', String(seed)]);
      const want = await sampleLoop({
        model: (x, t, y) => Float32Array.from(ditForwardCpu(weights, config, x, Float32Array.from(t), Int32Array.from(y))),
        schedule: SpacedDiffusion.fromRespacing(respacing), sampler: kind, z: initialLatent(seed, labels.length * LATENT),
        labels, channels: 4, cfgScale: cfg, numClasses: config.num_classes, noise: seededStepNoise(seed),
      });
      expect(relativeError(got.float32('final'), want.final)).toBeLessThan(TOL);
    });
  }

  it('the same seed gives the same latent twice', async () => {
    const args = ['--labels', '1', '--respacing', '3', '--sampler', 'ddpm', '--cfg', '2', '--seed', '99'];
    const a = await sample('seed-a', args);
    const b = await sample('seed-b', args);
    expect(Array.from(a.float32('final'))).toEqual(Array.from(b.float32('final')));
    const c = await sample('seed-c', args.map((v) => (v === '99' ? '100' : v)));
    expect(relativeError(c.float32('final'), a.float32('final'))).toBeGreaterThan(0.1);
  });
});

describe('dit sample refuses bad input with no output written', () => {
  const bad: [string, string[], RegExp][] = [
    ['a label ≥ num_classes', ['--labels', '3,10', '--respacing', '10', '--sampler', 'ddim', '--cfg', '4', '--seed', '0'], /class 10 is outside 0..9/],
    ['an unknown sampler', ['--labels', '3', '--respacing', '10', '--sampler', 'euler', '--cfg', '4', '--seed', '0'], /unknown sampler "euler"/],
    ['noise of the wrong shape', ['--labels', '3', '--respacing', '10', '--sampler', 'ddpm', '--cfg', '4', '--noise', tiny('loop-tiny-ddpm10.io.safetensors')], /noise z has shape \[2,4,8,8\], expected \[1,4,8,8\]/],
    ['a malformed respacing', ['--labels', '3', '--respacing', 'ddim7x', '--sampler', 'ddim', '--cfg', '4', '--seed', '0'], /respacing|ddim|invalid|cannot/i],
    ['both noise and seed', ['--labels', '3', '--respacing', '10', '--sampler', 'ddim', '--cfg', '4', '--seed', '0', '--noise', tiny('loop-tiny-ddpm10.io.safetensors')], /exactly one of --noise/],
  ];
  for (const [what, args, message] of bad) {
    it(what, async () => {
      const output = join(tmp, `bad-${what.replace(/\W+/g, '-')}.safetensors`);
      const r = await runCli(sampleArgs(output, args));
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(existsSync(output)).toBe(false);
    });
  }

  it('a noise file without step_noise for DDPM', async () => {
    const io = loadSafetensors('dit/loop-tiny-ddpm10.io.safetensors');
    const p = join(tmp, 'z-only.safetensors');
    const { writeSafetensors } = await import('../../src/weights/safetensors.ts');
    writeFileSync(p, writeSafetensors({ z: { dtype: 'F32', shape: [2, 4, 8, 8], data: io.float32('z') } }));
    const output = join(tmp, 'z-only.out.safetensors');
    const r = await runCli(sampleArgs(output, ['--labels', '3,7', '--respacing', '10', '--sampler', 'ddpm', '--cfg', '4', '--noise', p]));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/step_noise/);
    expect(existsSync(output)).toBe(false);
  });
});
