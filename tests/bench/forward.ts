/** Whole-model entries: DiT-S/2 forward at batch 2 (the CFG pair) with the peer, a CFG sampling step, DiT-XL/2. */
import { closeSync, existsSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { forwardEntry, SEED, sampleStepEntry, TINY } from '../../src/engine/bench/entries.ts';
import { presetConfig, type DitConfig } from '../../src/model/config.ts';
import type { HostTensorF32 } from '../../src/gpu/host-tensor.ts';
import { writeSafetensors } from '../../src/weights/safetensors.ts';
import { ditCheckpointShapes, randomDitInputs, randomDitWeights } from '../support/random-dit.ts';
import { randn } from '../support/random.ts';
import { type BenchContext, cachePath, cacheUrl, type Entry, wanted } from './context.ts';
import { comparePeer } from './peer/compare.ts';
import { summarize } from '../../src/engine/bench/stats.ts';
import { kernelShares, kernelSharesTable } from '../../src/engine/bench/profile.ts';

interface Loaded {
  id: string;
  config: DitConfig;
  weightsPath: string;
}

const loaded = new Map<string, Loaded>();

/** A DiT with random weights (seeded), written under the cache and loaded into the engine once. */
async function load(ctx: BenchContext, key: string, config: DitConfig): Promise<Loaded> {
  const have = loaded.get(key);
  if (have) return have;
  const weightsPath = cachePath(`dit-${key}-random.safetensors`);
  writeFileSync(weightsPath, writeSafetensors(randomDitWeights(config, SEED)));
  const id = await ctx.host.api.engine.loadDit(cacheUrl(ctx, weightsPath), config);
  const m = { id, config, weightsPath };
  loaded.set(key, m);
  return m;
}

async function forwardEntryOf(ctx: BenchContext, name: string, m: Loaded, N: number, withPeer: boolean): Promise<Entry> {
  const c = m.config;
  const { x, t, y } = randomDitInputs(c, N, SEED + 1);
  const xs: HostTensorF32 = { shape: [N, c.in_channels, c.input_size, c.input_size], data: x };
  const r = await ctx.host.api.bench.benchDitForward(m.id, xs, t, y, { warmup: ctx.opts.warmup, runs: ctx.opts.runs });
  const entry = forwardEntry(name, c, N, r);
  ctx.log(`  ours: ${entry.ours_ms} ms (${entry.gflops} GFLOP/s, GPU-only ${entry.gpu_gflops} GFLOP/s, ${r.calls.dispatches} dispatches, ${r.calls.submits} submits)`);
  if (ctx.opts.profile) {
    const dispatches = await ctx.host.api.bench.profileDitForward(m.id, xs, t, y);
    if (dispatches) {
      const shares = kernelShares(dispatches);
      const ms = dispatches.reduce((a, d) => a + d.ms, 0);
      Object.assign(entry, { profile: shares, profile_ms: ms });
      ctx.log(`  profile (one pass per dispatch, ${ms.toFixed(0)} ms in all):\n${kernelSharesTable(shares)}`);
    } else ctx.log('  profile: no timestamp queries on this adapter');
  }
  if (withPeer) {
    Object.assign(entry, await comparePeer(ctx, name, { name, kind: 'dit', spec: { ...c, batch: N }, weights: m.weightsPath }, {
      x: { type: 'float32', shape: xs.shape, data: x },
      t: { type: 'float32', shape: [N], data: t },
      y: { type: 'int64', shape: [N], data: BigInt64Array.from(y, (v) => BigInt(v)) },
    }, 'out', { out: r.out.data, ms: summarize(r.times).medianMs }));
  }
  return entry;
}

async function sampleStepEntryOf(ctx: BenchContext, m: Loaded, name: string): Promise<Entry> {
  const steps = 1 + ctx.opts.warmup + ctx.opts.runs;
  const r = await ctx.host.api.bench.benchDitSample(m.id, {
    labels: Int32Array.of(7 % m.config.num_classes), respacing: String(steps), sampler: 'ddpm', cfgScale: 4, seed: SEED,
  });
  // Step 0 is untimed; the next `warmup` steps are warm-up.
  const entry = sampleStepEntry(name, m.config, r, ctx.opts.warmup);
  ctx.log(`  ours: ${entry.ours_ms} ms/step (${entry.dispatches_per_step} dispatches, ${entry.submits_per_step} submit per step)`);
  return entry;
}

const half = new Float32Array(1);
const halfBits = new Uint32Array(half.buffer);

/** float32 → IEEE half bits, round to nearest even (no NaN/overflow handling beyond clamping to ±inf). */
export function toHalf(v: number): number {
  half[0] = v;
  const x = halfBits[0];
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 112;
  let m = x & 0x7fffff;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    m = (m | 0x800000) >>> (1 - e);
    return sign | ((m + 0xfff + ((m >>> 13) & 1)) >>> 13);
  }
  const h = sign | (e << 10) | (m >>> 13);
  const rest = m & 0x1fff;
  return rest > 0x1000 || (rest === 0x1000 && (h & 1)) ? h + 1 : h;
}

/**
 * DiT-XL/2 random weights, streamed to a file once and kept in the cache. Stored as F16 (1.35 GB):
 * the headless engine's loadDit fetches the whole file into one ArrayBuffer, and Chromium fails
 * that fetch for the 2.7 GB f32 file ("Failed to fetch"). The engine converts to f32 on load, so
 * what runs on the GPU is the same f32 model.
 */
function writeXlWeights(c: DitConfig): string {
  const path = cachePath('dit-xl2-random-f16.safetensors');
  if (existsSync(path)) return path;
  const shapes = ditCheckpointShapes(c);
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, { shape }] of Object.entries(shapes)) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: 'F16', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const fd = openSync(`${path}.tmp`, 'w');
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(json.length), true);
  writeSync(fd, len);
  writeSync(fd, new TextEncoder().encode(json));
  let seed = SEED;
  for (const { shape, scale } of Object.values(shapes)) {
    const data = randn(seed++, shape.reduce((a, b) => a * b, 1), scale);
    const h = new Uint16Array(data.length);
    for (let i = 0; i < data.length; i++) h[i] = toHalf(data[i]);
    writeSync(fd, new Uint8Array(h.buffer));
  }
  closeSync(fd);
  renameSync(`${path}.tmp`, path);
  return path;
}

export async function forwardEntries(ctx: BenchContext): Promise<Entry[]> {
  const out: Entry[] = [];
  // The quick run (a smoke test) uses a tiny DiT; the others DiT-S/2 as issue 9 sets it.
  const [key, config] = ctx.opts.quick ? ['tiny', TINY] as const : ['s2', presetConfig('DiT-S/2', 32)] as const;
  if (wanted(ctx, `dit-${key}-forward-b2`)) {
    ctx.log(`dit-${key}-forward-b2`);
    out.push(await forwardEntryOf(ctx, `dit-${key}-forward-b2`, await load(ctx, key, config), 2, true));
  }
  if (wanted(ctx, `dit-${key}-cfg-step`)) {
    ctx.log(`dit-${key}-cfg-step`);
    out.push(await sampleStepEntryOf(ctx, await load(ctx, key, config), `dit-${key}-cfg-step`));
  }
  if (ctx.opts.quick) return out;
  if (wanted(ctx, 'dit-xl2-forward-b2')) {
    if (!ctx.opts.full) {
      out.push({ name: 'dit-xl2-forward-b2', measures: 'DiT-XL/2 forward at batch 2', skipped: 'slow: run with --full' });
    } else {
      ctx.log('dit-xl2-forward-b2 (writing 1.35 GB of random f16 weights the first time)');
      const config = presetConfig('DiT-XL/2', 32);
      const weightsPath = writeXlWeights(config);
      const id = await ctx.host.api.engine.loadDit(cacheUrl(ctx, weightsPath), config);
      const e = await forwardEntryOf(ctx, 'dit-xl2-forward-b2', { id, config, weightsPath }, 2, false);
      e.weights_note = 'random weights stored F16 in the file (the engine\'s loadDit cannot fetch a 2.7 GB file in one piece), f32 on the GPU';
      e.peer_skipped = 'not exported: a 2.7 GB ONNX needs external-data files; the peer is compared on DiT-S/2';
      out.push(e);
    }
  }
  return out;
}
