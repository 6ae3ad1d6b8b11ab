/**
 * PipelineCache.prepare (src/gpu/kernel.ts): every missing pipeline starts compiling at once, a
 * pipeline being compiled is never asked for twice, progress counts up, and get() afterwards
 * compiles nothing; a pipeline whose compile failed is left to get().
 */
import { describe, expect, it } from 'vitest';
import { type KernelSpec, PipelineCache, pipelineKey } from '../../../src/gpu/kernel.ts';
import { nullGpu } from '../../support/null-gpu.ts';

const spec = (name: string, constants?: Record<string, number>): KernelSpec => ({ name, source: `// ${name}`, params: {}, constants });

/** A device whose async compiles finish when the test says so. */
function deferredDevice() {
  const gpu = nullGpu({ maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 });
  const pending: { label: string; resolve: () => void; reject: (e: Error) => void }[] = [];
  const syncCreated: string[] = [];
  Object.assign(gpu.device, {
    createComputePipelineAsync: (d: GPUComputePipelineDescriptor) => new Promise<GPUComputePipeline>((resolve, reject) => {
      pending.push({ label: d.label ?? '', resolve: () => resolve({ label: d.label } as GPUComputePipeline), reject });
    }),
    createComputePipeline: (d: GPUComputePipelineDescriptor) => {
      syncCreated.push(d.label ?? '');
      return { label: d.label } as GPUComputePipeline;
    },
  });
  return { gpu, pending, syncCreated };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('PipelineCache.prepare', () => {
  it('compiles every missing pipeline at once, counts progress, and get() then compiles nothing', async () => {
    const { gpu, pending, syncCreated } = deferredDevice();
    const cache = new PipelineCache(gpu);
    const specs = [spec('a.wgsl'), spec('b.wgsl', { MODE: 1 }), spec('b.wgsl', { MODE: 2 }), spec('a.wgsl')];
    const progress: string[] = [];
    const done = cache.prepare(specs, (p) => progress.push(`${p.done}/${p.total}`));
    await flush();
    expect(pending.map((p) => p.label)).toEqual(['a.wgsl', 'b.wgsl', 'b.wgsl']); // all started, the duplicate once
    // A second caller waits for the same compiles instead of starting its own.
    let secondDone = false;
    const second = cache.prepare([spec('b.wgsl', { MODE: 2 })]).then((p) => { secondDone = true; return p; });
    await flush();
    expect(pending).toHaveLength(3);
    pending.forEach((p) => p.resolve());
    expect(await done).toEqual({ done: 3, total: 3 });
    expect(await second).toEqual({ done: 0, total: 0 });
    expect(secondDone).toBe(true);
    expect(progress).toEqual(['0/3', '1/3', '2/3', '3/3']);
    for (const s of specs) cache.get(s);
    expect(syncCreated).toEqual([]);
    expect([...cache.compiledOnUse]).toEqual([]);
    expect(cache.size).toBe(3);
    // Prepared already: nothing to do.
    expect(await cache.prepare(specs)).toEqual({ done: 0, total: 0 });
  });

  it('leaves a pipeline whose compile failed to get(), which creates it where it is used', async () => {
    const { gpu, pending, syncCreated } = deferredDevice();
    const cache = new PipelineCache(gpu);
    const bad = spec('bad.wgsl');
    const done = cache.prepare([bad]);
    await flush();
    pending[0].reject(new Error('GPUPipelineError'));
    expect(await done).toEqual({ done: 1, total: 1 });
    await cache.settled();
    cache.get(bad);
    expect(syncCreated).toEqual(['bad.wgsl']);
    expect([...cache.compiledOnUse]).toEqual([pipelineKey(bad)]);
  });
});
