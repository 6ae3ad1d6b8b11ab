/**
 * The autotune: it times every candidate kernel for a shape, keeps one, records it for the
 * adapter (IndexedDB), and what runs afterwards is still the exact computation.
 */
import { describe, expect, it } from 'vitest';
import { ATTENTION_VARIANTS } from '../../src/gpu/attention-tiles.ts';
import { MATMUL_TILES, tileName } from '../../src/gpu/matmul-tiles.ts';
import type { KernelResult, KernelRun } from '../support/lab/lab.ts';
import * as ref from '../reference/ops.ts';
import { expectClose } from '../support/compare.ts';
import { useBrowserHost } from '../support/gpu-host.ts';
import { randn } from '../support/random.ts';

const host = useBrowserHost();
const f32 = (shape: number[], seed: number, scale = 1) => ({ shape, data: randn(seed, shape.reduce((a, b) => a * b, 1), scale) });
type Choices = { matmul: Record<string, string>; attention: Record<string, number> };

describe('kernel autotune', () => {
  it('picks one of the matmul candidates per shape, saves it for the adapter, and the layer stays exact', async () => {
    expect(await host().api.engine.kernelChoices()).toEqual({ matmul: {}, attention: {} });
    const [M, N, K] = [100, 72, 40];
    const x = f32([M, K], 1);
    const w = f32([N, K], 2, 0.3);
    const b = f32([N], 3);
    const res = await host().api.lab.runKernel({ kernel: 'matmul', inputs: { x, w, b }, outputs: { y: [M, N] }, params: { M, N, K, autotune: 1 } } satisfies KernelRun);
    expectClose(res.outputs.y.data, ref.linear(x.data, w.data, b.data, M, N, K), 1e-4, 1e-5);

    const chosen = await host().api.engine.kernelChoices();
    expect(Object.keys(chosen.matmul)).toEqual([`${K}x${N}`]);
    expect(MATMUL_TILES.map(tileName)).toContain(chosen.matmul[`${K}x${N}`]);
    expect(await host().api.engine.savedKernelChoices()).toEqual(chosen);
  });

  it('leaves layers with few rows (the adaLN and timestep MLPs) on the default tile, untimed', async () => {
    const before = await host().api.engine.kernelChoices();
    const [M, N, K] = [2, 24, 16];
    const x = f32([M, K], 4);
    const w = f32([N, K], 5);
    const b = f32([N], 6);
    const res = await host().api.lab.runKernel({ kernel: 'matmul', inputs: { x, w, b }, outputs: { y: [M, N] }, params: { M, N, K, autotune: 1 } } satisfies KernelRun);
    expectClose(res.outputs.y.data, ref.linear(x.data, w.data, b.data, M, N, K), 1e-4, 1e-5);
    expect(await host().api.engine.kernelChoices()).toEqual(before);
  });

  it('picks an attention kernel per shape (query rows of the vec4 kernel, or flash), and attention stays exact', async () => {
    const [B, T, H, hd] = [2, 70, 2, 16];
    const qkv = f32([B * T, 3 * H * hd], 7, 1.5);
    const res = await host().api.lab.runKernel({ kernel: 'attention', inputs: { qkv }, outputs: { o: [B * T, H * hd] }, params: { B, T, H, headDim: hd, autotune: 1 } } satisfies KernelRun);
    expectClose(res.outputs.o.data, ref.attention(qkv.data, B, T, H, hd), 1e-4, 1e-5);
    const chosen = await host().api.engine.kernelChoices();
    expect(ATTENTION_VARIANTS).toContain(chosen.attention[`${T}t-${H}h-${hd}d`]);
    expect(await host().api.engine.savedKernelChoices()).toEqual(chosen);
  });
});
