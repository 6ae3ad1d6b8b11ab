/** Runs the peer on the same inputs as ours, checks it against our output, and reports both. */
import { writeSafetensors, type TensorToWrite } from '../../../src/weights/safetensors.ts';
import { writeFileSync } from 'node:fs';
import { type BenchContext, cachePath, cacheUrl, writeRaw } from '../context.ts';
import { ratio, round, summarize } from '../../../src/engine/bench/stats.ts';
import { ensureOnnx, type OnnxJob } from './peer.ts';
import type { FeedType } from './ort-runner.ts';

export const PEER_TOLERANCE = 1e-3;

export interface PeerFeedData {
  type: FeedType;
  shape: number[];
  data: Float32Array | BigInt64Array;
}

/** Writes a weights file for an ONNX job (under the cache) and returns its path. */
export function writeWeights(name: string, tensors: Record<string, TensorToWrite>): string {
  const path = cachePath('data', `${name}.weights.safetensors`);
  writeFileSync(path, writeSafetensors(tensors));
  return path;
}

/**
 * The peer's fields of an entry: its medians per execution provider, the ratios to ours, and
 * the check of its output against ours (relative error ≤ PEER_TOLERANCE, before any timing).
 */
export async function comparePeer(
  ctx: BenchContext,
  entry: string,
  job: OnnxJob,
  feeds: Record<string, PeerFeedData>,
  output: string,
  ours: { out: Float32Array; ms: number },
): Promise<Record<string, unknown>> {
  if (!ctx.peer) return { peer_skipped: ctx.peerMissing ?? 'peer disabled' };
  let model: string;
  try {
    model = ensureOnnx([job], ctx.log)[job.name];
  } catch (e) {
    return { peer_skipped: (e as Error).message };
  }
  const feedRefs: Record<string, { type: FeedType; shape: number[]; url: string }> = {};
  for (const [name, f] of Object.entries(feeds)) {
    feedRefs[name] = { type: f.type, shape: f.shape, url: cacheUrl(ctx, writeRaw(cachePath('data', entry, `${name}.bin`), f.data)) };
  }
  const referenceUrl = cacheUrl(ctx, writeRaw(cachePath('data', entry, 'ours.bin'), ours.out));
  const results = await ctx.peer.run({
    modelUrl: cacheUrl(ctx, model), feeds: feedRefs, output, referenceUrl, tolerance: PEER_TOLERANCE,
    providers: ['webgpu', 'wasm'], warmup: ctx.opts.warmup, runs: ctx.opts.runs,
  });
  const fields: Record<string, unknown> = {};
  const check: Record<string, unknown> = { tolerance: PEER_TOLERANCE };
  for (const r of results) {
    const key = r.provider === 'webgpu' ? 'webgpu' : 'wasm';
    check[key] = { rel_err: r.relErr === undefined ? null : Number(r.relErr.toPrecision(3)), ok: r.ok, ...(r.error ? { error: r.error } : {}) };
    if (r.ok && r.times) {
      const s = summarize(r.times);
      fields[`ort_${key}_ms`] = round(s.medianMs);
      fields[`ort_${key}_min_ms`] = round(s.minMs);
      fields[`ratio_${key}`] = round(ratio(s.medianMs, ours.ms));
      fields[`ort_${key}_session_ms`] = round(r.createMs ?? NaN);
      if (key === 'wasm' && r.wasmThreads !== undefined) fields.ort_wasm_threads = r.wasmThreads;
    }
    ctx.log(`  ort ${key}: ${r.ok ? `${round(summarize(r.times!).medianMs)} ms (rel err ${check[key] && (check[key] as { rel_err: number }).rel_err})` : `FAILED: ${r.error}`}`);
  }
  fields.peer_check = check;
  return fields;
}
