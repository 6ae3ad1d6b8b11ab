/** The benchmarks' results format (src/engine/bench/report.ts), shared by `npm run bench --json` and the app's page. */
import { describe, expect, it } from 'vitest';
import { benchTable, type BenchReport, NO_PEER, parseBenchReport, reportAdapter, reportJson } from '../../../src/engine/bench/report.ts';
import { gpuFields } from '../../../src/engine/bench/entries.ts';

const report = (entries: BenchReport['entries']): BenchReport => ({
  adapter: reportAdapter({ vendor: 'google', architecture: 'swiftshader', description: '', features: ['timestamp-query'], maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 }),
  date: '2026-12-04T06:00:00.000Z', mode: 'quick', runs: 3, warmup: 1, peer: null, kernel_choices: {}, machine: {}, entries,
});

describe('benchmark reports', () => {
  it('reads back what it writes: the adapter with its limits, the date, every entry with ours and both peer times', () => {
    const r = report([
      { name: 'dit-tiny-forward-b2', measures: 'm', ours_ms: 50, ort_webgpu_ms: 400, ort_wasm_ms: 5 },
      { name: 'dit-tiny-cfg-step', measures: 'm', ours_ms: 40, ...NO_PEER },
      { name: 'memory-x', measures: 'm', ours_ms: null, ...NO_PEER },
      { name: 'dit-xl2-forward-b2', measures: 'm', skipped: 'slow' },
    ]);
    expect(parseBenchReport(reportJson(r))).toEqual(r);
    expect(r.adapter.limits).toEqual({ maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 30 });
  });

  it('refuses a file without the fields the consumers read, naming the field', () => {
    const ok = report([{ name: 'a', measures: '', ours_ms: 1, ...NO_PEER }]);
    const text = (patch: (r: Record<string, unknown>) => void) => {
      const r = JSON.parse(reportJson(ok));
      patch(r);
      return JSON.stringify(r);
    };
    expect(() => parseBenchReport(text((r) => { delete r.date; }))).toThrow(/date/);
    expect(() => parseBenchReport(text((r) => { (r.adapter as Record<string, unknown>).limits = undefined; }))).toThrow(/adapter.limits/);
    expect(() => parseBenchReport(text((r) => { delete (r.entries as Record<string, unknown>[])[0].ort_wasm_ms; }))).toThrow(/a: ort_webgpu_ms and ort_wasm_ms/);
    expect(() => parseBenchReport(text((r) => { (r.entries as Record<string, unknown>[])[0].ours_ms = 'fast'; }))).toThrow(/a.ours_ms/);
    expect(() => parseBenchReport(text((r) => { r.entries = []; }))).toThrow(/entries/);
  });

  it('prints the GPU-only rate of every entry in its own column', () => {
    const t = benchTable([{ name: 'k', measures: '', ours_ms: 2, ...NO_PEER, ...gpuFields(4e6, [1, 2, 3]) }]);
    const [head, , row] = t.split('\n');
    expect(head.split(' | ')[6]).toBe('GPU-only GFLOP/s');
    expect(row.split(' | ')[6]).toBe('2');
    expect(row).toContain('GPU-only (timestamps) 2 ms');
  });

  it('has no GPU-only rate when a run lacks its timestamps', () => {
    expect(gpuFields(1e9, [1, null, 2])).toEqual({ gpu_ms: null, gpu_gflops: null });
    expect(gpuFields(1e9, [])).toEqual({ gpu_ms: null, gpu_gflops: null });
    expect(gpuFields(1e9, [4, 2, 3])).toEqual({ gpu_ms: 3, gpu_gflops: 333 });
  });
});
