/**
 * The autotune: for each shape a model uses, time every candidate kernel on this device and keep
 * the fastest in the device's kernel choices (kernel-choices.ts: MatmulTiles, AttentionTiles), so
 * the programs recorded afterwards use it. Once per shape per device (engine/tuning-store.ts
 * persists the choices); a few seconds on SwiftShader for DiT-S/2, milliseconds on a GPU.
 *
 * Candidates are timed in interleaved rounds (minimum per candidate), so a burst of load on a
 * shared machine does not favour whichever ran first; candidates far behind after the first
 * round are dropped.
 */
import { type AttentionShape, AttentionTiles, attentionKey, attentionVariantName, attentionVariants } from './attention-tiles.ts';
import { checked, type Gpu } from './device.ts';
import { dryGpu, KernelCollector } from './dry-run.ts';
import type { PipelineCache } from './kernel.ts';
import { kMultiple, MATMUL_TILES, type MatmulShape, type MatmulTile, shapeKey, tileName } from './matmul-tiles.ts';
import { attention, linear, type LinearWeight, uploadLinear } from './ops.ts';
import { Program } from './program.ts';
import { Allocator } from './tensor.ts';

/** Matmul rows the candidates are timed at: enough to fill workgroups, few enough to stay quick on a CPU adapter. */
const TUNE_ROWS = 256;
/** A timed run repeats the dispatch until it takes about this long (submit overhead, timer granularity). */
const TARGET_MS = 20;
const ROUNDS = 3;
/** After the first round, candidates slower than this multiple of the best are not timed again. */
const PRUNE = 1.5;

export interface TuneResult {
  kernel: 'matmul' | 'attention';
  shape: string;
  chosen: string;
  /** Best time of each candidate (ms per dispatch); null when it failed on this device. */
  times: Record<string, number | null>;
}

/** A deterministic, non-zero fill (values do not matter for timing, only that they are finite). */
function fill(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(seed + i * 0.618) * 0.5;
  return a;
}

type Record1 = (prog: Program) => void;

/** ms per dispatch of `record`, repeated `reps` times in one submission. */
async function timeOnce(gpu: Gpu, pipelines: PipelineCache, alloc: Allocator, record: Record1, reps: number): Promise<number> {
  const prog = new Program(gpu, pipelines, alloc);
  for (let i = 0; i < reps; i++) record(prog);
  prog.finish();
  const t0 = performance.now();
  prog.submit();
  await gpu.device.queue.onSubmittedWorkDone();
  const ms = performance.now() - t0;
  prog.destroy();
  return ms / reps;
}

/** Times every candidate; returns the best time per candidate name (null: failed). */
async function race(gpu: Gpu, pipelines: PipelineCache, alloc: Allocator, candidates: [string, Record1][]): Promise<Record<string, number | null>> {
  const best: Record<string, number | null> = {};
  const reps: Record<string, number> = {};
  for (const [name, record] of candidates) {
    try {
      // The warm-up compiles the pipeline unless prepareCandidates did (not timed: compile times
      // differ between candidates); the first timed run sizes the repeat count.
      await checked(gpu, `autotune (${name})`, () => timeOnce(gpu, pipelines, alloc, record, 1));
      const first = await timeOnce(gpu, pipelines, alloc, record, 1);
      reps[name] = Math.min(64, Math.max(1, Math.ceil(TARGET_MS / Math.max(first, 1e-3))));
      best[name] = first;
    } catch (e) {
      if (gpu.lostReason) throw e;
      best[name] = null; // e.g. a workgroup size or storage size this adapter does not allow
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    const fastest = Math.min(...Object.values(best).filter((v): v is number => v !== null));
    for (const [name, record] of candidates) {
      const b = best[name];
      if (b === null || b > PRUNE * fastest) continue;
      best[name] = Math.min(b, await timeOnce(gpu, pipelines, alloc, record, reps[name]));
    }
  }
  return best;
}

function fastestOf(times: Record<string, number | null>, what: string): string {
  let name: string | null = null;
  for (const [n, ms] of Object.entries(times)) if (ms !== null && (name === null || ms < (times[name] as number))) name = n;
  if (name === null) throw new Error(`autotune: no kernel ran for ${what}`);
  return name;
}

/** The shapes not tuned yet, one per choice key. */
function matmulTodo(pipelines: PipelineCache, shapes: readonly MatmulShape[]): Map<string, MatmulShape> {
  const todo = new Map<string, MatmulShape>();
  for (const s of shapes) if (!pipelines.matmulTiles.isTuned(s)) todo.set(shapeKey(s), s);
  return todo;
}

function attentionTodo(pipelines: PipelineCache, shapes: readonly AttentionShape[]): Map<string, AttentionShape> {
  const todo = new Map<string, AttentionShape>();
  for (const s of shapes) if (!pipelines.attentionTiles.isTuned(s) && AttentionTiles.tunable(s)) todo.set(attentionKey(s), { ...s, batch: 1 });
  return todo;
}

const matmulCandidates = (gpu: Gpu, s: MatmulShape): MatmulTile[] =>
  MATMUL_TILES.filter((t) => (t.kernel !== 'subgroup' || gpu.features.subgroups) && s.K % kMultiple(t) === 0);

/**
 * Compiles every candidate the autotune will time for these shapes at once (PipelineCache.prepare),
 * instead of one after another in each candidate's untimed warm-up: the candidates are recorded on
 * a dry device, which names their pipelines.
 */
export async function prepareCandidates(gpu: Gpu, pipelines: PipelineCache, shapes: { matmul: readonly MatmulShape[]; attention: readonly AttentionShape[] }): Promise<void> {
  const dry = dryGpu(gpu);
  const collector = new KernelCollector(dry, pipelines.choices);
  const alloc = new Allocator(dry);
  const prog = new Program(dry, collector, alloc);
  for (const s of matmulTodo(pipelines, shapes.matmul).values()) {
    const M = Math.min(s.M, TUNE_ROWS);
    const Np = Math.ceil(s.N / 8) * 8;
    const lw: LinearWeight = { wt: alloc.tensor([s.K, s.f16 ? Np / 2 : Np], 'w'), bias: alloc.tensor([s.N], 'b'), inFeatures: s.K, outFeatures: s.N, paddedOut: Np, f16: s.f16 };
    for (const tile of matmulCandidates(gpu, s)) linear(prog, alloc.tensor([M, s.K], 'x'), lw, alloc.tensor([M, s.N], 'y'), M, { tile });
  }
  for (const s of attentionTodo(pipelines, shapes.attention).values()) {
    const D = s.heads * s.headDim;
    for (const v of attentionVariants(s, gpu.limits)) attention(prog, alloc.tensor([s.tokens, 3 * D], 'qkv'), alloc.tensor([s.tokens, D], 'o'), s, v);
  }
  await pipelines.prepare(collector.specs);
}

export async function autotuneMatmuls(gpu: Gpu, pipelines: PipelineCache, shapes: MatmulShape[]): Promise<TuneResult[]> {
  const tiles = pipelines.matmulTiles;
  const todo = matmulTodo(pipelines, shapes);
  const results: TuneResult[] = [];
  for (const [key, s] of todo) {
    const alloc = new Allocator(gpu);
    try {
      const M = Math.min(s.M, TUNE_ROWS);
      const lw = uploadLinear(alloc, fill(s.N * s.K, 1), fill(s.N, 2), s.N, s.K, 'tune', s.f16);
      const x = alloc.upload(fill(M * s.K, 3), [M, s.K], 'tune.x');
      const y = alloc.tensor([M, s.N], 'tune.y');
      const times = await race(gpu, pipelines, alloc, matmulCandidates(gpu, s).map((tile) => [tileName(tile), (prog) => linear(prog, x, lw, y, M, { tile })]));
      const chosen = fastestOf(times, `matmul ${key}`);
      tiles.set(s, MATMUL_TILES.find((t) => tileName(t) === chosen)!);
      results.push({ kernel: 'matmul', shape: key, chosen, times });
    } finally {
      alloc.freeAll();
    }
  }
  return results;
}

export async function autotuneAttention(gpu: Gpu, pipelines: PipelineCache, shapes: AttentionShape[]): Promise<TuneResult[]> {
  const tiles = pipelines.attentionTiles;
  const todo = attentionTodo(pipelines, shapes);
  const results: TuneResult[] = [];
  for (const [key, s] of todo) {
    const alloc = new Allocator(gpu);
    try {
      const D = s.heads * s.headDim;
      const qkv = alloc.upload(fill(s.tokens * 3 * D, 4), [s.tokens, 3 * D], 'tune.qkv');
      const o = alloc.tensor([s.tokens, D], 'tune.o');
      const variants = attentionVariants(s, gpu.limits);
      const times = await race(gpu, pipelines, alloc, variants.map((v) => [attentionVariantName(v), (prog) => attention(prog, qkv, o, s, v)]));
      const chosen = fastestOf(times, `attention ${key}`);
      tiles.set(s, variants.find((v) => attentionVariantName(v) === chosen)!);
      results.push({ kernel: 'attention', shape: key, chosen, times });
    } finally {
      alloc.freeAll();
    }
  }
  return results;
}
