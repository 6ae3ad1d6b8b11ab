/** The engine entry points that `npm run bench` uses: the lab's ditBlock and CPU-to-CPU timing, timed forwards and sampling steps. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DitConfig } from '../../src/model/config.ts';
import { writeSafetensors } from '../../src/weights/safetensors.ts';
import type { KernelResult } from '../support/lab/lab.ts';
import type { HostTensorF32 } from '../../src/gpu/host-tensor.ts';
import * as ref from '../reference/ops.ts';
import { relativeError } from '../support/compare.ts';
import { fixture, loadJson, loadSafetensors } from '../support/fixtures.ts';
import { useBrowserHost } from '../support/gpu-host.ts';
import { randomDitInputs, randomDitWeights } from '../support/random-dit.ts';
import { randn } from '../support/random.ts';

const host = useBrowserHost();

describe('bench entry points', () => {
  it('lab ditBlock computes one adaLN-Zero block (checked against the CPU reference), with both timings', async () => {
    const [N, T, D, H] = [2, 16, 32, 2];
    const rows = N * T;
    const x = randn(1, rows * D);
    const mod = randn(2, N * 8 * D, 0.5);
    const w = (s: number, o: number, i: number) => ({ w: randn(s, o * i, 1 / Math.sqrt(i)), b: randn(s + 50, o, 0.1) });
    const qkv = w(3, 3 * D, D), proj = w(4, D, D), fc1 = w(5, 4 * D, D), fc2 = w(6, D, 4 * D);
    const f32 = (a: Float64Array) => Float32Array.from(a);
    const gated = (base: Float32Array, v: Float64Array, off: number) => base.map((b, i) => b + mod[Math.floor(i / D / T) * 8 * D + off + (i % D)] * v[i]);
    const h1 = f32(ref.layerNormModulate(x, mod, rows, D, T, 8 * D, 0, D));
    const a = f32(ref.attention(f32(ref.linear(h1, qkv.w, qkv.b, rows, 3 * D, D)), N, T, H, D / H));
    const x1 = gated(x, ref.linear(a, proj.w, proj.b, rows, D, D), 2 * D);
    const h2 = f32(ref.layerNormModulate(x1, mod, rows, D, T, 8 * D, 3 * D, 4 * D));
    const f = f32(ref.linear(h2, fc1.w, fc1.b, rows, 4 * D, D).map(ref.geluTanh));
    const want = gated(x1, ref.linear(f, fc2.w, fc2.b, rows, D, 4 * D), 5 * D);

    const lin = (name: string, l: { w: Float32Array; b: Float32Array }, o: number, i: number) => ({
      [`${name}.weight`]: { shape: [o, i], data: l.w }, [`${name}.bias`]: { shape: [o], data: l.b },
    });
    const r = await host().api.lab.runKernel({
      kernel: 'ditBlock',
      inputs: { x: { shape: [rows, D], data: x }, modulation: { shape: [N, 8 * D], data: mod }, ...lin('attn.qkv', qkv, 3 * D, D), ...lin('attn.proj', proj, D, D), ...lin('mlp.fc1', fc1, 4 * D, D), ...lin('mlp.fc2', fc2, D, 4 * D) },
      outputs: { x: [rows, D] }, params: { N, T, D, heads: H }, repeats: 3, ioTiming: { inputs: ['x', 'modulation'], warmup: 1, runs: 3 },
    });
    expect(relativeError(r.outputs.x.data, want)).toBeLessThan(1e-5);
    expect(r.timesMs).toHaveLength(3);
    expect(r.ioTimesMs).toHaveLength(3);
    // SwiftShader offers timestamp queries: every replay has the GPU's own time too.
    expect(r.passTimesMs).toHaveLength(3);
    expect(r.passTimesMs!.every((t) => t !== null && t > 0)).toBe(true);
    expect([...r.timesMs!, ...r.ioTimesMs!].every((t) => t >= 0)).toBe(true);
  });

  it('times forwards and sampling steps in the worker and counts their GPU calls', async () => {
    const c: DitConfig = { input_size: 8, patch_size: 2, in_channels: 4, hidden_size: 32, depth: 2, num_heads: 2, num_classes: 10, learn_sigma: true };
    const dir = mkdtempSync(join(tmpdir(), 'dit-bench-'));
    writeFileSync(join(dir, 'w.safetensors'), writeSafetensors(randomDitWeights(c, 3)));
    const h = host();
    const id = await h.api.engine.loadDit(h.serveFile(join(dir, 'w.safetensors')), c);
    const { x, t, y } = randomDitInputs(c, 2, 4);
    const xs = { shape: [2, 4, 8, 8], data: x };
    const plain = await h.api.engine.ditForward(id, xs, t, y, {});
    const timed = await h.api.bench.benchDitForward(id, xs, t, y, { warmup: 1, runs: 3 });
    expect(timed.times).toHaveLength(3);
    expect(timed.gpuTimes.every((t) => t !== null && t > 0)).toBe(true);
    expect(timed.gpuTimes).toHaveLength(3);
    expect(timed.out.data).toEqual(plain.out.data);
    // 7 per block + 11 around them; the forward's submission and the readback's.
    expect(timed.calls).toMatchObject({ dispatches: 7 * 2 + 11, submits: 2 });

    // The profile: every dispatch of one forward, timed in a pass of its own, in order.
    const profile = (await h.api.bench.profileDitForward(id, xs, t, y))!;
    expect(profile).toHaveLength(timed.calls.dispatches);
    expect(profile.every((d) => d.label.endsWith('.wgsl') && d.ms >= 0 && d.workgroups.every((n) => n >= 1))).toBe(true);
    expect(profile.filter((d) => d.label.startsWith('attention')).length).toBe(c.depth);
    expect(profile.filter((d) => d.work > 0).length).toBeGreaterThanOrEqual(4 * c.depth);
    // Profiling leaves the forward as it was: one pass for its dispatches again.
    const again = await h.api.engine.ditForward(id, xs, t, y, {});
    expect(again.out.data).toEqual(plain.out.data);

    const s = await h.api.bench.benchDitSample(id, {
      labels: Int32Array.of(3), respacing: '4', sampler: 'ddpm', cfgScale: 4, seed: 1,
    });
    expect(s.steps).toBe(4);
    expect(s.stepTimes).toHaveLength(3);
    expect(s.stepGpuTimes).toHaveLength(3);
    expect(s.stepGpuTimes.every((t) => t !== null && t > 0)).toBe(true);
    expect(s.calls.every((k) => k.dispatches === 7 * 2 + 13 && k.submits === 1)).toBe(true);
    const mem = await h.api.engine.memoryStats();
    expect(mem.peakBytes).toBeGreaterThanOrEqual(mem.liveBytes);
    expect(mem.liveBytes).toBeGreaterThan(0);
  });

  it('times VAE decodes in the worker: the first is a warm-up, or the only time when it is over onceOverMs', async () => {
    const h = host();
    const io = loadSafetensors('vae/small.io.safetensors');
    const z = { shape: io.entry('z').shape, data: io.float32('z') };
    const id = await h.api.engine.loadVae(h.serveFile(fixture('vae/small.safetensors')), loadJson('vae/small.config.json'));
    type Bench = { times: number[]; once: boolean; sample: HostTensorF32; calls: { dispatches: number; submits: number }; decodeBytes: number };
    const timed = await h.api.bench.benchVaeDecode(id, z, { warmup: 1, runs: 2, onceOverMs: 1e9 });
    expect(timed.once).toBe(false);
    expect(timed.times).toHaveLength(2);
    expect(timed.calls.submits).toBe(2); // this small decode is one piece, then the sample's readback
    // Three slots of the largest activation (2 x 32 x 64 x 64 f32) at least.
    expect(timed.decodeBytes).toBeGreaterThanOrEqual(3 * 2 * 32 * 64 * 64 * 4);
    const once = await h.api.bench.benchVaeDecode(id, z, { warmup: 1, runs: 3, onceOverMs: 0 });
    expect(once.once).toBe(true);
    expect(once.times).toHaveLength(1);
    expect(once.decodeBytes).toBe(timed.decodeBytes);
    expect(Array.from(once.sample.data)).toEqual(Array.from(timed.sample.data));
  });
});
