/**
 * The benchmarks' results, one format for `npm run bench -- --json FILE` and the app's benchmark
 * page: the adapter, the date, the mode and every entry (ours and the peer's medians, GPU-only
 * rates, notes), with the text table both print and the check that a file has those fields.
 */
import type { AdapterSummary } from '../api.ts';

/** One benchmark entry. `ort_*_ms` are null when the peer has no time for it (none, failed or absent). */
export interface BenchEntry {
  name: string;
  /** What the time measures, in words. */
  measures: string;
  /** Null for an entry that is counted, not timed (memory). */
  ours_ms?: number | null;
  ort_webgpu_ms?: number | null;
  ort_wasm_ms?: number | null;
  ratio_webgpu?: number;
  ratio_wasm?: number;
  /** The GPU's own time (timestamp queries, median) and the rate it gives. */
  gpu_ms?: number | null;
  gpu_gflops?: number | null;
  skipped?: string;
  [field: string]: unknown;
}

export interface ReportAdapter {
  vendor: string;
  architecture: string;
  description: string;
  features: string[];
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
}

export interface BenchReport {
  adapter: ReportAdapter;
  /** ISO 8601. */
  date: string;
  mode: 'quick' | 'default' | 'full';
  runs: number;
  warmup: number;
  /** onnxruntime-web's version and settings; null when it did not run. */
  peer: unknown;
  /** The kernels the autotune chose per shape (matmul K x N; attention queries per invocation), as the entries ran. */
  kernel_choices: unknown;
  /** Where it ran (the command line: Node's platform and CPUs; the page: the browser). */
  machine: Record<string, unknown>;
  entries: BenchEntry[];
}

export function reportAdapter(a: AdapterSummary): ReportAdapter {
  return {
    vendor: a.vendor, architecture: a.architecture, description: a.description, features: a.features,
    limits: { maxStorageBufferBindingSize: a.maxStorageBufferBindingSize, maxBufferSize: a.maxBufferSize },
  };
}

/** The peer's fields of an entry it has no time for. */
export const NO_PEER = { ort_webgpu_ms: null, ort_wasm_ms: null } as const;

/** A report's JSON text, as `--json FILE` writes it and the page offers it. */
export function reportJson(report: BenchReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown): boolean => v === null || isNum(v);

/**
 * A report read back from JSON text, checked for the fields every consumer reads: the adapter
 * (names, features, limits), a date, and entries each with a name, and unless skipped `ours_ms`
 * and both peer times (each a number, or null where there is none). Throws naming the first field
 * that is wrong.
 */
export function parseBenchReport(text: string): BenchReport {
  const r = JSON.parse(text) as BenchReport;
  const fail = (what: string) => { throw new Error(`not a benchmark report: ${what}`); };
  const a = r?.adapter;
  if (!a || typeof a.vendor !== 'string' || typeof a.architecture !== 'string' || typeof a.description !== 'string') fail('adapter');
  if (!Array.isArray(a.features) || !a.features.every((f) => typeof f === 'string')) fail('adapter.features');
  if (!a.limits || !isNum(a.limits.maxStorageBufferBindingSize) || !isNum(a.limits.maxBufferSize)) fail('adapter.limits');
  if (typeof r.date !== 'string' || Number.isNaN(Date.parse(r.date))) fail('date');
  if (!Array.isArray(r.entries) || r.entries.length === 0) fail('entries');
  for (const e of r.entries) {
    if (typeof e?.name !== 'string') fail('an entry without a name');
    if (e.skipped !== undefined) continue;
    if (!numOrNull(e.ours_ms)) fail(`${e.name}.ours_ms`);
    if (!numOrNull(e.ort_webgpu_ms) || !numOrNull(e.ort_wasm_ms)) fail(`${e.name}: ort_webgpu_ms and ort_wasm_ms must be numbers or null`);
  }
  return r;
}

const cell = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The table `npm run bench` prints (markdown). */
export function benchTable(entries: BenchEntry[]): string {
  const head = ['entry', 'ours ms', 'ORT webgpu ms', 'ORT wasm ms', 'webgpu/ours', 'wasm/ours', 'GPU-only GFLOP/s', 'notes'];
  const rows = entries.map((e) => {
    const notes: string[] = [];
    if (e.skipped) notes.push(`skipped: ${e.skipped}`);
    if (e.gpu_ms !== undefined && e.gpu_ms !== null) notes.push(`GPU-only (timestamps) ${e.gpu_ms} ms`);
    if (e.ours_gpu_ms !== undefined) notes.push(`replayed ${e.ours_gpu_ms} ms`);
    if (e.gflops !== undefined) notes.push(`${e.gflops} GFLOP/s`);
    if (e.dispatches !== undefined) notes.push(`${e.dispatches} dispatches, ${e.submits} submits`);
    if (e.dispatches_per_step !== undefined) notes.push(`${e.dispatches_per_step} dispatches, ${e.submits_per_step} submits per step`);
    if (e.peak_gpu_mib !== undefined) notes.push(`peak GPU ${e.peak_gpu_mib} MiB (weights ${e.vae_weights_mib}, decode ${e.decode_activations_mib})`);
    if (e.f32_peak_mib !== undefined) {
      notes.push(`DiT + VAE peak: f32 ${e.f32_peak_mib} MiB (weights ${e.f32_weights_mib}, activations ${e.f32_activations_mib}), f16 DiT weights ${e.f16_peak_mib} MiB (weights ${e.f16_weights_mib})`);
      notes.push(`VAE bands: ${e.vae_bands} under the adapter's limit, ${e.vae_bands_128mib} under 128 MiB`);
    }
    const check = e.peer_check as Record<string, { ok: boolean; rel_err: number | null; error?: string }> | undefined;
    for (const k of ['webgpu', 'wasm']) {
      const c = check?.[k];
      if (c && !c.ok) notes.push(`ORT ${k} failed: ${c.error}`);
      else if (c) notes.push(`ORT ${k} rel err ${c.rel_err}`);
    }
    if (e.lazy_ms !== undefined) notes.push(`pipelines on first use ${e.lazy_ms} ms; autotune ${e.tune_ms} ms`);
    if (e.peer_skipped) notes.push(`peer: ${e.peer_skipped}`);
    return [e.name, cell(e.ours_ms), cell(e.ort_webgpu_ms), cell(e.ort_wasm_ms), cell(e.ratio_webgpu), cell(e.ratio_wasm), cell(e.gpu_gflops), notes.join('; ')];
  });
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
