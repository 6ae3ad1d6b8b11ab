/**
 * `dit decode` end to end (the command line, its headless Chromium, the worker, the kernels)
 * against the PyTorch fixtures, banded against whole, and against the CPU reference decoder on
 * configurations the fixtures do not cover. Tolerance per tensor, as the fixture README states:
 * max |a − b| ≤ 1e-4 · max(1, max |ref|).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVaeConfig, type VaeConfig, vaeIntermediateNames } from '../../src/model/vae-config.ts';
import { safetensorsSource } from '../../src/model/safetensors-source.ts';
import type { DecodedImage } from '../../src/engine/vae-runner.ts';
import { SafetensorsFile, writeSafetensors, type TensorToWrite } from '../../src/weights/safetensors.ts';
import * as ref from '../reference/vae-ops.ts';
import { vaeDecodeCpu, vaeWeightsCpu } from '../reference/vae.ts';
import { runCli } from '../support/cli.ts';
import { scaledMaxAbsError } from '../support/compare.ts';
import { fixture, loadJson, loadSafetensors } from '../support/fixtures.ts';
import { useBrowserHost } from '../support/gpu-host.ts';
import { randn } from '../support/random.ts';
import { asLdmCheckpoint, randomVaeWeights } from '../support/random-vae.ts';

const TOL = 1e-4;
const tmp = mkdtempSync(join(tmpdir(), 'vae-decode-'));
const readOut = (path: string) => SafetensorsFile.fromBytes(readFileSync(path));
const vae = (f: string) => fixture(`vae/${f}`);

/** Runs `dit decode` and returns its output file; the command must succeed silently. */
async function decode(weights: string, config: string, inputs: string, extra: string[] = []): Promise<SafetensorsFile> {
  const output = join(mkdtempSync(join(tmp, 'out-')), 'out.safetensors');
  const r = await runCli(['decode', '--weights', weights, '--config', config, '--inputs', inputs, '--output', output, ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return readOut(output);
}

/** Every tensor of `want` (but z) is in `got` with its shape and within tolerance; returns the errors. */
function expectMatches(got: SafetensorsFile, want: { names(): string[]; entry(n: string): { shape: number[] }; float32(n: string): ArrayLike<number> }): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const n of want.names().filter((name) => name !== 'z')) {
    expect(got.has(n), `${n} is in the output`).toBe(true);
    expect(got.entry(n).shape, n).toEqual(want.entry(n).shape);
    errors[n] = scaledMaxAbsError(got.float32(n), want.float32(n));
    expect(errors[n], n).toBeLessThan(TOL);
  }
  return errors;
}

// Whole decodes, shared by the fixture and the banding tests (each runs once, whichever asks first).
const whole = new Map<string, Promise<SafetensorsFile>>();
const wholeDecode = (name: string, weights = `${name}.safetensors`) => {
  const key = `${name}|${weights}`;
  if (!whole.has(key)) whole.set(key, decode(vae(weights), vae(`${name}.config.json`), vae(`${name}.io.safetensors`), ['--intermediates']));
  return whole.get(key)!;
};

describe('dit decode matches the PyTorch fixtures', () => {
  for (const [name, weights] of [['tiny', 'tiny.safetensors'], ['tiny', 'tiny.legacy.safetensors'], ['small', 'small.safetensors']]) {
    it(`${weights}: sample and every intermediate`, async () => {
      const got = await wholeDecode(name, weights);
      const io = loadSafetensors(`vae/${name}.io.safetensors`);
      const c = parseVaeConfig(loadJson(`vae/${name}.config.json`));
      expect(got.names().sort()).toEqual(['sample', ...vaeIntermediateNames(c)].sort());
      const errors = expectMatches(got, io);
      expect(Object.keys(errors).length).toBe(io.names().length - 1);
    });
  }
});

describe('a banded decode equals the whole one', () => {
  for (const [name, tile] of [['small', 1], ['small', 2], ['tiny', 3]] as const) {
    it(`${name} --tile ${tile}: sample and every intermediate`, async () => {
      const banded = await decode(vae(`${name}.safetensors`), vae(`${name}.config.json`), vae(`${name}.io.safetensors`), ['--tile', String(tile), '--intermediates']);
      const reference = await wholeDecode(name);
      expect(banded.names().sort()).toEqual(reference.names().sort());
      expectMatches(banded, reference);
      expectMatches(banded, loadSafetensors(`vae/${name}.io.safetensors`));
    });
  }
});

/** A random-weight VAE of config c written to disk, with a latent z [B, latent, h, w]. */
function hiddenVae(label: string, c: VaeConfig, zShape: number[], seed: number) {
  const dir = mkdtempSync(join(tmp, `${label}-`));
  const weights = randomVaeWeights(c, seed);
  const z = randn(seed + 1, zShape.reduce((a, b) => a * b, 1), 1 / 0.18215);
  writeFileSync(join(dir, 'w.safetensors'), writeSafetensors(weights));
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ _class_name: 'AutoencoderKL', ...c }));
  writeFileSync(join(dir, 'io.safetensors'), writeSafetensors({ z: { dtype: 'F32', shape: zShape, data: z } }));
  const src = safetensorsSource(SafetensorsFile.fromBytes(readFileSync(join(dir, 'w.safetensors'))));
  return { dir, z, want: async () => vaeDecodeCpu(await vaeWeightsCpu(src, c), c, z, zShape) };
}

describe('dit decode on configurations without fixtures (CPU reference)', () => {
  const configs: [string, VaeConfig, number[], string[]][] = [
    ['3 up blocks [16, 24, 40], 8 groups, a 3x5 latent, batch 2',
      { block_out_channels: [16, 24, 40], layers_per_block: 1, norm_num_groups: 8, latent_channels: 4, out_channels: 3, scaling_factor: 0.18215 }, [2, 4, 3, 5], []],
    ['2 up blocks [12, 20] of 1 resnet, 4 groups, 3 latent and 5 output channels, a 6x2 latent in bands of 4',
      { block_out_channels: [12, 20], layers_per_block: 0, norm_num_groups: 4, latent_channels: 3, out_channels: 5, scaling_factor: 0.18215 }, [1, 3, 6, 2], ['--tile', '4']],
    ['4 up blocks [8, 8, 16, 24] of 3 resnets, 2 groups, a 2x3 latent in bands of 1',
      { block_out_channels: [8, 8, 16, 24], layers_per_block: 2, norm_num_groups: 2, latent_channels: 4, out_channels: 3, scaling_factor: 0.18215 }, [1, 4, 2, 3], ['--tile', '1']],
  ];
  configs.forEach(([label, c, zShape, extra], i) => {
    it(label, async () => {
      const v = hiddenVae(`cfg${i}`, c, zShape, 100 + i * 50);
      const got = await decode(join(v.dir, 'w.safetensors'), join(v.dir, 'c.json'), join(v.dir, 'io.safetensors'), [...extra, '--intermediates']);
      const want = await v.want();
      const f = 2 ** (c.block_out_channels.length - 1);
      expect(got.entry('sample').shape).toEqual([zShape[0], c.out_channels, zShape[2] * f, zShape[3] * f]);
      expectMatches(got, { names: () => Object.keys(want), entry: (n) => want[n], float32: (n) => want[n].data });
    });
  });
});

describe('original LDM key names', () => {
  it('an LDM-named copy of the tiny weights (first_stage_model., 1x1-conv q/k/v/proj_out, extra keys) gives the same sample', async () => {
    const tiny = loadSafetensors('vae/tiny.safetensors');
    const path = join(tmp, 'tiny.ldm.safetensors');
    writeFileSync(path, writeSafetensors(asLdmCheckpoint(tiny, 2, 'first_stage_model.')));
    const got = await decode(path, vae('tiny.config.json'), vae('tiny.io.safetensors'));
    expect(Array.from(got.float32('sample'))).toEqual(Array.from((await wholeDecode('tiny')).float32('sample')));
    expect(scaledMaxAbsError(got.float32('sample'), loadSafetensors('vae/tiny.io.safetensors').float32('sample'))).toBeLessThan(TOL);
  });
});

describe('dit decode refuses bad input with one clear line and no output file', () => {
  const base = (output: string) => ['decode', '--weights', vae('tiny.safetensors'), '--config', vae('tiny.config.json'), '--inputs', vae('tiny.io.safetensors'), '--output', output];
  const swap = (from: string, to: string) => (o: string) => base(o).map((a) => (a === from ? to : a));
  const writeTemp = (file: string, tensors: Record<string, TensorToWrite>) => {
    const p = join(tmp, file);
    writeFileSync(p, writeSafetensors(tensors));
    return p;
  };
  const tinyWithout = (drop: string, reshape?: [string, number[]]) => {
    const file = loadSafetensors('vae/tiny.safetensors');
    const kept: Record<string, TensorToWrite> = {};
    for (const n of file.names()) {
      if (n === drop) continue;
      const shape = reshape?.[0] === n ? reshape[1] : file.entry(n).shape;
      kept[n] = { dtype: 'F32', shape, data: file.float32(n) };
    }
    return kept;
  };
  const z = loadSafetensors('vae/tiny.io.safetensors').float32('z');
  const bad: [string, (out: string) => string[], RegExp][] = [
    ['a missing weights file', swap(vae('tiny.safetensors'), join(tmp, 'nope.safetensors')), /weights file not found/],
    ['weights that do not match the config', (o) => {
      const p = join(tmp, 'wider.json');
      writeFileSync(p, JSON.stringify({ ...(loadJson('vae/tiny.config.json') as object), block_out_channels: [32, 48] }));
      return swap(vae('tiny.config.json'), p)(o);
    }, /tensor "decoder\.conv_in\.weight" has shape \[64,4,3,3\], expected \[48,4,3,3\]/],
    ['inputs without z', swap(vae('tiny.io.safetensors'), writeTemp('no-z.safetensors', { x: { dtype: 'F32', shape: [4], data: new Float32Array(4) } })), /no tensor "z"/],
    ['z with the wrong channel count', swap(vae('tiny.io.safetensors'), writeTemp('z3.safetensors', { z: { dtype: 'F32', shape: [1, 3, 4, 4], data: z.subarray(0, 48) } })), /z has shape \[1,3,4,4\], expected \[B, 4, h, w\]/],
    ['z that is not 4-D', swap(vae('tiny.io.safetensors'), writeTemp('z2d.safetensors', { z: { dtype: 'F32', shape: [4, 16], data: z } })), /z has shape \[4,16\]/],
    ['an unsupported config', (o) => {
      const p = join(tmp, 'gelu.json');
      writeFileSync(p, JSON.stringify({ ...(loadJson('vae/tiny.config.json') as object), act_fn: 'gelu' }));
      return swap(vae('tiny.config.json'), p)(o);
    }, /act_fn "gelu" is not supported/],
    ['--tile 0', (o) => [...base(o), '--tile', '0'], /--tile must be a positive integer/],
    ['weights in an unknown layout', swap(vae('tiny.safetensors'), writeTemp('odd.safetensors', { 'model.foo': { dtype: 'F32', shape: [2], data: new Float32Array(2) } })), /unknown VAE weight layout/],
    ['a missing tensor, named with its expected shape', swap(vae('tiny.safetensors'), writeTemp('missing.safetensors', tinyWithout('decoder.up_blocks.1.resnets.0.conv_shortcut.weight'))),
      /tensor "decoder\.up_blocks\.1\.resnets\.0\.conv_shortcut\.weight" is missing from the weights \(expected shape \[32,64,1,1\]\)/],
    ['a mis-shaped tensor, named with both shapes', swap(vae('tiny.safetensors'), writeTemp('misshaped.safetensors', tinyWithout('', ['decoder.conv_out.weight', [3, 32, 9]]))),
      /tensor "decoder\.conv_out\.weight" has shape \[3,32,9\], expected \[3,32,3,3\]/],
    ['a mis-shaped LDM tensor, named by its file key', (o) => {
      const ldm = asLdmCheckpoint(loadSafetensors('vae/tiny.safetensors'), 2, '');
      ldm['decoder.up.0.block.0.nin_shortcut.weight'].shape = [32, 64];
      return swap(vae('tiny.safetensors'), writeTemp('ldm-bad.safetensors', ldm))(o);
    }, /tensor "decoder\.up\.0\.block\.0\.nin_shortcut\.weight" \(decoder\.up_blocks\.1\.resnets\.0\.conv_shortcut\.weight\) has shape \[32,64\], expected \[32,64,1,1\]/],
  ];
  for (const [what, args, message] of bad) {
    it(what, async () => {
      const output = join(tmp, `bad-${what.replace(/\W+/g, '-')}.safetensors`);
      const r = await runCli(args(output));
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(existsSync(output)).toBe(false);
    });
  }
});

describe('the engine API', () => {
  const host = useBrowserHost();
  const io = loadSafetensors('vae/small.io.safetensors');
  const z = { shape: io.entry('z').shape, data: io.float32('z') };
  const load = () => host().api.engine.loadVae(host().serveFile(vae('small.safetensors')), loadJson('vae/small.config.json'));

  it('bands automatically when a buffer would pass the limit, with the same result', async () => {
    const id = await load();
    const wholeOut = await host().api.engine.vaeDecode(id, z, {});
    // 300 kB per buffer: 2 latent rows per band for small (2 x 32 ch x 8 rows x 64 cols x 4 B = 256 KiB at the top level).
    const auto = await host().api.engine.vaeDecode(id, z, { maxBufferBytes: 300_000 });
    expect(auto.sample.shape).toEqual([2, 3, 64, 64]);
    expect(scaledMaxAbsError(auto.sample.data, wholeOut.sample.data)).toBeLessThan(TOL);
    expect(scaledMaxAbsError(auto.sample.data, io.float32('sample'))).toBeLessThan(TOL);
    // The limit reaches the planner: under 128 KiB not even one latent row fits.
    await expect(host().api.engine.vaeDecode(id, z, { maxBufferBytes: 100_000 })).rejects.toThrow(/too wide to decode/);
  });

  it('submits the decode in pieces of bounded work, bit for bit the one-submission decode', async () => {
    const id = await load();
    type Bench = { sample: { shape: number[]; data: Float32Array }; calls: { dispatches: number; submits: number } };
    const once = { warmup: 0, runs: 1 };
    const decodeWith = (opts: object) => host().api.bench.benchVaeDecode(id, z, once, opts);
    const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    // The small VAE on its 2 x 8 x 8 latent is ~1.9 GFLOP: at most 1e8 per submission is at least 19
    // submissions. Unbanded, its top-level convs (1.5e8 each) are also split into row dispatches.
    for (const [banding, bands] of [[{}, 1], [{ tileRows: 3 }, 3]] as const) {
      const whole = await decodeWith({ ...banding, workPerSubmit: Infinity });
      const pieces = await decodeWith({ ...banding, workPerSubmit: 1e8 });
      expect(whole.calls.submits).toBe(1 + bands); // the decode, then one readback per band of sample
      expect(pieces.calls.submits).toBeGreaterThanOrEqual(19 + bands);
      if (bands === 1) expect(pieces.calls.dispatches).toBeGreaterThan(whole.calls.dispatches);
      expect(bits(pieces.sample.data).equals(bits(whole.sample.data))).toBe(true);
      expect(scaledMaxAbsError(pieces.sample.data, io.float32('sample'))).toBeLessThan(TOL);
    }
    // The default budget leaves a decode this small in one submission.
    expect((await decodeWith({})).calls.submits).toBe(2);
  });

  it('decodes to RGBA8 images: round(255 · clamp(sample / 2 + 0.5, 0, 1)), alpha 255', async () => {
    const id = await load();
    const images = await host().api.engine.vaeDecodeImages(id, z, {});
    expect(images.map((im) => [im.width, im.height, im.rgba.length])).toEqual([[64, 64, 64 * 64 * 4], [64, 64, 64 * 64 * 4]]);
    const sample = io.float32('sample');
    const want = ref.toRgba(sample, 2, 3, 64, 64);
    let nearTies = 0;
    images.forEach((im, n) => {
      const got = new Uint32Array(im.rgba.buffer, im.rgba.byteOffset, 64 * 64);
      for (let i = 0; i < got.length; i++) {
        const w = want[n * 64 * 64 + i];
        if (got[i] === w) continue;
        // Only a channel whose exact value is within the decode's error of a .5 boundary may differ, by 1.
        for (let c = 0; c < 3; c++) {
          const exact = 255 * Math.min(1, Math.max(0, sample[(n * 3 + c) * 4096 + i] / 2 + 0.5));
          const diff = Math.abs(((got[i] >>> (8 * c)) & 255) - ((w >>> (8 * c)) & 255));
          if (diff === 0) continue;
          expect(diff).toBe(1);
          expect(Math.abs((exact % 1) - 0.5)).toBeLessThan(255 * TOL);
          nearTies++;
        }
      }
      expect(got.every((p) => p >>> 24 === 255)).toBe(true);
    });
    expect(nearTies).toBeLessThan(10);
  });
});
