/**
 * `dit forward` end to end (the command line, its headless Chromium, the worker, the kernels)
 * against the PyTorch fixtures, and against the CPU reference on configurations the fixtures
 * do not cover. Tolerance: ‖a − b‖ / ‖b‖ ≤ 1e-4, as the fixture README states.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DitConfig, outChannels } from '../../src/model/config.ts';
import { safetensorsSource } from '../../src/model/safetensors-source.ts';
import { SafetensorsFile, writeSafetensors } from '../../src/weights/safetensors.ts';
import { ditForwardCpu, materialize } from '../reference/dit.ts';
import * as ref from '../reference/ops.ts';
import { runCli } from '../support/cli.ts';
import { relativeError } from '../support/compare.ts';
import { fixture, loadJson, loadSafetensors } from '../support/fixtures.ts';
import { inputsFile, randomDitInputs, randomDitWeights } from '../support/random-dit.ts';

const TOL = 1e-4;
const tmp = mkdtempSync(join(tmpdir(), 'dit-forward-'));
const readOut = (path: string) => SafetensorsFile.fromBytes(readFileSync(path));

describe('dit forward matches the PyTorch fixtures', () => {
  const cases = [
    ['dit-tiny', 'dit-tiny.safetensors'],
    ['dit-tiny', 'dit-tiny.diffusers.safetensors'],
    ['dit-small-p4', 'dit-small-p4.safetensors'],
  ];
  for (const [name, weights] of cases) {
    it(`${weights}: out, out_cfg and every intermediate`, async () => {
      const output = join(tmp, `${weights}.out.safetensors`);
      const r = await runCli(['forward', '--weights', fixture(`dit/${weights}`), '--config', fixture(`dit/${name}.config.json`),
        '--inputs', fixture(`dit/${name}.io.safetensors`), '--output', output, '--cfg', '4', '--intermediates']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const got = readOut(output);
      const io = loadSafetensors(`dit/${name}.io.safetensors`);
      const names = ['out', 'out_cfg', 't_freq', 't_emb', 'y_emb', 'c', 'tokens_in', 'block0_out', 'blocks_out', 'final_tokens'];
      expect(got.names().sort()).toEqual([...names].sort());
      for (const n of names) {
        expect(got.entry(n).shape, n).toEqual(io.entry(n).shape);
        expect(relativeError(got.float32(n), io.float32(n)), n).toBeLessThan(TOL);
      }
    });
  }
});

describe('dit forward on configurations without fixtures (CPU reference)', () => {
  const configs: [string, DitConfig, number][] = [
    ['patch 8, 3 heads, batch 3', { input_size: 16, patch_size: 8, in_channels: 4, hidden_size: 48, depth: 2, num_heads: 3, num_classes: 7, learn_sigma: true }, 3],
    ['patch 2, 5 heads of dim 8, batch 6, 12x12', { input_size: 12, patch_size: 2, in_channels: 4, hidden_size: 40, depth: 1, num_heads: 5, num_classes: 1000, learn_sigma: true }, 6],
    ['3 channels, no learned sigma, batch 1', { input_size: 8, patch_size: 4, in_channels: 3, hidden_size: 36, depth: 2, num_heads: 6, num_classes: 5, learn_sigma: false }, 1],
  ];
  for (const [label, c, N] of configs) {
    it(label, async () => {
      const dir = mkdtempSync(join(tmp, 'cfg-'));
      const weights = randomDitWeights(c, N * 31);
      writeFileSync(join(dir, 'w.safetensors'), writeSafetensors(weights));
      writeFileSync(join(dir, 'c.json'), JSON.stringify(c));
      writeFileSync(join(dir, 'io.safetensors'), inputsFile(c, N, 5));
      const even = N % 2 === 0;
      const args = ['forward', '--weights', join(dir, 'w.safetensors'), '--config', join(dir, 'c.json'), '--inputs', join(dir, 'io.safetensors'), '--output', join(dir, 'out.safetensors')];
      const r = await runCli(even ? [...args, '--cfg', '2.5', '--cfg-channels', 'all'] : args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const got = readOut(join(dir, 'out.safetensors'));
      const src = await materialize(safetensorsSource(SafetensorsFile.fromBytes(writeSafetensors(weights))));
      const { x, t, y } = randomDitInputs(c, N, 5);
      const want = ditForwardCpu(src, c, x, t, y);
      expect(got.entry('out').shape).toEqual([N, outChannels(c), c.input_size, c.input_size]);
      expect(relativeError(got.float32('out'), want)).toBeLessThan(TOL);
      if (even) {
        const half = x.length / 2;
        const doubled = Float32Array.from(x, (_, i) => x[i % half]);
        const cond = Float32Array.from(ditForwardCpu(src, c, doubled, t, y));
        const hw = c.input_size ** 2;
        expect(relativeError(got.float32('out_cfg'), ref.cfgCombine(cond, N / 2, outChannels(c), hw, c.in_channels, 2.5))).toBeLessThan(TOL);
      }
    });
  }
});

describe('dit forward refuses bad input with one clear line and no output file', () => {
  const tiny = (f: string) => fixture(`dit/${f}`);
  const base = (output: string) => ['forward', '--weights', tiny('dit-tiny.safetensors'), '--config', tiny('dit-tiny.config.json'), '--inputs', tiny('dit-tiny.io.safetensors'), '--output', output];
  const bad: [string, (out: string) => string[], RegExp][] = [
    ['a missing weights file', (o) => base(o).map((a) => (a === tiny('dit-tiny.safetensors') ? join(tmp, 'nope.safetensors') : a)), /weights file not found/],
    ['a config that does not match the weights', (o) => base(o).map((a) => (a === tiny('dit-tiny.config.json') ? tiny('dit-small-p4.config.json') : a)), /shape|expected/],
    ['a config with fewer blocks than the weights (depth 1 against depth 2)', (o) => {
      const p = join(tmp, 'depth1.config.json');
      writeFileSync(p, JSON.stringify({ ...(loadJson('dit/dit-tiny.config.json') as object), depth: 1 }));
      return base(o).map((a) => (a === tiny('dit-tiny.config.json') ? p : a));
    }, /more blocks than the config's depth 1: first surplus tensor "blocks\.1\./],
    ['inputs without y', (o) => {
      const io = loadSafetensors('dit/dit-tiny.io.safetensors');
      const p = join(tmp, 'no-y.safetensors');
      writeFileSync(p, writeSafetensors({ x: { dtype: 'F32', shape: io.entry('x').shape, data: io.float32('x') }, t: { dtype: 'F32', shape: [4], data: io.float32('t') } }));
      return base(o).map((a) => (a === tiny('dit-tiny.io.safetensors') ? p : a));
    }, /no tensor "y"/],
    ['weights in an unknown layout', (o) => {
      const p = join(tmp, 'odd.safetensors');
      writeFileSync(p, writeSafetensors({ 'model.foo': { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }));
      return base(o).map((a) => (a === tiny('dit-tiny.safetensors') ? p : a));
    }, /unknown DiT weight layout/],
    ['a truncated weights file', (o) => {
      const p = join(tmp, 'truncated.safetensors');
      writeFileSync(p, readFileSync(tiny('dit-tiny.safetensors')).subarray(0, 5000));
      return base(o).map((a) => (a === tiny('dit-tiny.safetensors') ? p : a));
    }, /truncated|past the end|data ends/],
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

  it('a missing tensor is named with its expected shape', async () => {
    const file = loadSafetensors('dit/dit-tiny.safetensors');
    const kept: Record<string, { dtype: 'F32'; shape: number[]; data: Float32Array }> = {};
    for (const n of file.names()) if (n !== 'blocks.1.mlp.fc2.weight') kept[n] = { dtype: 'F32', shape: file.entry(n).shape, data: file.float32(n) };
    const p = join(tmp, 'missing.safetensors');
    writeFileSync(p, writeSafetensors(kept));
    const output = join(tmp, 'missing.out.safetensors');
    const r = await runCli(base(output).map((a) => (a === tiny('dit-tiny.safetensors') ? p : a)));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/"blocks\.1\.mlp\.fc2\.weight" is missing.*\[64,256\]/);
    expect(existsSync(output)).toBe(false);
  });
});
