/**
 * The peer, page side: onnxruntime-web in its own cross-origin-isolated page of the bench's
 * Chromium (same GPU process and adapter as the engine). Loaded by the bench as /bench/peer.js;
 * onnxruntime-web itself is served from its npm package's dist/ under /ort/.
 *
 * A timed run starts from inputs on the CPU (fresh ort.Tensors over typed arrays) and ends with
 * the output's values on the CPU, as the engine's forward does. Each execution provider's output
 * is checked against the engine's before it is timed.
 */
import type * as Ort from 'onnxruntime-web';

export type FeedType = 'float32' | 'int64';

export interface PeerFeed {
  type: FeedType;
  shape: number[];
  /** Raw little-endian values (float32, or int64). */
  url: string;
}

export interface PeerJob {
  modelUrl: string;
  feeds: Record<string, PeerFeed>;
  output: string;
  /** The engine's output for the same inputs (raw float32), the check's reference. */
  referenceUrl: string;
  tolerance: number;
  providers: ('webgpu' | 'wasm')[];
  warmup: number;
  runs: number;
}

export interface ProviderResult {
  provider: string;
  ok: boolean;
  error?: string;
  relErr?: number;
  createMs?: number;
  times?: number[];
  /** ort.env.wasm.numThreads once a session exists. */
  wasmThreads?: number;
}

export interface PeerInfo {
  ortVersion: string;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  /** Threads asked of the wasm provider; null: onnxruntime-web's default (see each entry's ort_wasm_threads). */
  wasmThreadsRequested: number | null;
  webgpuAdapter: { vendor: string; architecture: string; description: string } | null;
}

let ort: typeof Ort;

async function bytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function init(opts: { wasmThreads?: number }): Promise<PeerInfo> {
  const ortUrl = '/ort/ort.webgpu.min.mjs';
  ort = (await import(/* @vite-ignore */ ortUrl)) as typeof Ort;
  ort.env.wasm.wasmPaths = '/ort/';
  if (opts.wasmThreads) ort.env.wasm.numThreads = opts.wasmThreads;
  ort.env.logLevel = 'error';
  const adapter = 'gpu' in navigator ? await navigator.gpu.requestAdapter() : null;
  return {
    ortVersion: ort.env.versions?.web ?? 'unknown',
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    wasmThreadsRequested: opts.wasmThreads || null,
    webgpuAdapter: adapter ? { vendor: adapter.info.vendor, architecture: adapter.info.architecture, description: adapter.info.description } : null,
  };
}

function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return Number.isFinite(num) ? Math.sqrt(num / den) : Infinity;
}

async function runProvider(job: PeerJob, provider: 'webgpu' | 'wasm', model: Uint8Array, feedData: Record<string, ArrayBuffer>, reference: Float32Array): Promise<ProviderResult> {
  const makeFeeds = (): Record<string, Ort.Tensor> => {
    const feeds: Record<string, Ort.Tensor> = {};
    for (const [name, f] of Object.entries(job.feeds)) {
      const data = f.type === 'int64' ? new BigInt64Array(feedData[name].slice(0)) : new Float32Array(feedData[name].slice(0));
      feeds[name] = new ort.Tensor(f.type, data, f.shape);
    }
    return feeds;
  };
  const once = async (): Promise<Float32Array> => {
    const out = await session.run(makeFeeds());
    const t = out[job.output];
    const values = (await t.getData()) as Float32Array;
    for (const v of Object.values(out)) v.dispose();
    return values;
  };
  let session: Ort.InferenceSession;
  const t0 = performance.now();
  try {
    session = await ort.InferenceSession.create(model, { executionProviders: [provider] });
  } catch (e) {
    return { provider, ok: false, error: `session: ${(e as Error).message ?? String(e)}` };
  }
  const createMs = performance.now() - t0;
  const wasmThreads = ort.env.wasm.numThreads;
  try {
    // The check (also the first warm-up run).
    const first = await once();
    const relErr = relativeError(first, reference);
    if (!(relErr <= job.tolerance)) return { provider, ok: false, relErr, createMs, error: `output differs from the engine's: relative error ${relErr}` };
    for (let i = 1; i < job.warmup; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < job.runs; i++) {
      const s = performance.now();
      await once();
      times.push(performance.now() - s);
    }
    return { provider, ok: true, relErr, createMs, times, wasmThreads };
  } catch (e) {
    return { provider, ok: false, createMs, error: `run: ${(e as Error).message ?? String(e)}` };
  } finally {
    await session.release();
  }
}

async function run(job: PeerJob): Promise<ProviderResult[]> {
  const model = new Uint8Array(await bytes(job.modelUrl));
  const feedData: Record<string, ArrayBuffer> = {};
  for (const [name, f] of Object.entries(job.feeds)) feedData[name] = await bytes(f.url);
  const reference = new Float32Array(await bytes(job.referenceUrl));
  const results: ProviderResult[] = [];
  for (const p of job.providers) results.push(await runProvider(job, p, model, feedData, reference));
  return results;
}

(globalThis as unknown as { peer: unknown }).peer = { init, run, ready: true };
