/**
 * VAE decode at the real SD-VAE shape (diffusers' AutoencoderKL decoder of sd-vae-ft-mse, random
 * weights with diffusers' names): latent [1, 4, 32, 32] → image [1, 3, 256, 256], and [1, 4, 64, 64]
 * → 512 × 512. Timed in the engine worker (`benchVaeDecode`): the latent written from the CPU, the
 * decode's submissions (bounded work each, so no submission trips Chromium's GPU watchdog), the
 * sample read back to the CPU. Peak GPU bytes are the engine Allocator's: the VAE's weights plus
 * what the decode allocates. --full only: one decode is ~0.6 TFLOP (256 px) or ~2.5 TFLOP (512 px),
 * minutes each on SwiftShader.
 */
import { writeFileSync } from 'node:fs';
import { writeSafetensors, type TensorToWrite } from '../../src/weights/safetensors.ts';
import { randn } from '../support/random.ts';
import { type BenchContext, cachePath, cacheUrl, type Entry, wanted } from './context.ts';
import { NO_PEER } from '../../src/engine/bench/report.ts';
import { round, summarize } from '../../src/engine/bench/stats.ts';

/** diffusers' config of stabilityai/sd-vae-ft-mse (the VAE DiT uses). */
export const SD_VAE_CONFIG = {
  _class_name: 'AutoencoderKL', act_fn: 'silu', block_out_channels: [128, 256, 512, 512],
  down_block_types: ['DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D', 'DownEncoderBlock2D'],
  up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D'],
  in_channels: 3, out_channels: 3, latent_channels: 4, layers_per_block: 2, norm_num_groups: 32, sample_size: 256, scaling_factor: 0.18215,
};

/** Shapes of the decoder half of an AutoencoderKL checkpoint (diffusers names). */
export function vaeDecoderShapes(cfg = SD_VAE_CONFIG): Record<string, number[]> {
  const s: Record<string, number[]> = {};
  const L = cfg.latent_channels;
  const conv = (name: string, o: number, i: number, k: number) => { s[`${name}.weight`] = [o, i, k, k]; s[`${name}.bias`] = [o]; };
  const norm = (name: string, c: number) => { s[`${name}.weight`] = [c]; s[`${name}.bias`] = [c]; };
  const resnet = (name: string, i: number, o: number) => {
    norm(`${name}.norm1`, i); conv(`${name}.conv1`, o, i, 3); norm(`${name}.norm2`, o); conv(`${name}.conv2`, o, o, 3);
    if (i !== o) conv(`${name}.conv_shortcut`, o, i, 1);
  };
  const rev = [...cfg.block_out_channels].reverse();
  const top = rev[0];
  conv('post_quant_conv', L, L, 1);
  conv('decoder.conv_in', top, L, 3);
  resnet('decoder.mid_block.resnets.0', top, top);
  norm('decoder.mid_block.attentions.0.group_norm', top);
  for (const p of ['to_q', 'to_k', 'to_v', 'to_out.0']) { s[`decoder.mid_block.attentions.0.${p}.weight`] = [top, top]; s[`decoder.mid_block.attentions.0.${p}.bias`] = [top]; }
  resnet('decoder.mid_block.resnets.1', top, top);
  let prev = top;
  rev.forEach((ch, i) => {
    for (let j = 0; j <= cfg.layers_per_block; j++) resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? prev : ch, ch);
    if (i < rev.length - 1) conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, ch, ch, 3);
    prev = ch;
  });
  norm('decoder.conv_norm_out', prev);
  conv('decoder.conv_out', cfg.out_channels, prev, 3);
  return s;
}

export function vaeDecodeFlops(px: number): number {
  // Only the convolutions (they dominate): 2·k²·Cin·Cout per output pixel.
  const shapes = vaeDecoderShapes();
  let flops = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    if (shape.length !== 4 || !name.endsWith('.weight')) continue;
    const m = /up_blocks\.(\d)/.exec(name);
    let res = px / 8;
    if (m) res = (px / 8) * 2 ** Number(m[1]) * (name.includes('upsamplers') ? 2 : 1);
    if (/conv_norm_out|conv_out/.test(name)) res = px;
    flops += 2 * shape[1] * shape[0] * shape[2] * shape[3] * res * res;
  }
  return flops;
}

/** A decode longer than this is timed once (no warm-up decode; recording still untimed). */
const LONG_DECODE_MS = 20 * 60_000;

const MiB = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;

interface BenchDecode {
  times: number[];
  once: boolean;
  sample: { shape: number[]; data: Float32Array };
  calls: { dispatches: number; submits: number };
  decodeBytes: number;
  workPerSubmit: number;
}

/** Random weights of the SD-VAE decoder written under the cache and loaded once; returns its id and weight bytes. */
async function loadRandomVae(ctx: BenchContext): Promise<{ id: string; weightBytes: number }> {
  const tensors: Record<string, TensorToWrite> = {};
  let seed = 500;
  for (const [key, shape] of Object.entries(vaeDecoderShapes())) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? n / shape[0] : 0;
    tensors[key] = { dtype: 'F32', shape, data: key.includes('norm') && key.endsWith('.weight') ? new Float32Array(n).fill(1) : randn(seed++, n, fanIn ? 1 / Math.sqrt(fanIn) : 0.02) };
  }
  const path = cachePath('vae-decoder-random.safetensors');
  writeFileSync(path, writeSafetensors(tensors));
  const before = await ctx.host.api.engine.memoryStats();
  const id = await ctx.host.api.engine.loadVae(cacheUrl(ctx, path), SD_VAE_CONFIG);
  const after = await ctx.host.api.engine.memoryStats();
  return { id, weightBytes: after.liveBytes - before.liveBytes };
}

export async function vaeEntries(ctx: BenchContext): Promise<Entry[]> {
  const out: Entry[] = [];
  let vae: { id: string; weightBytes: number } | null = null;
  for (const px of [256, 512]) {
    const name = `vae-decode-${px}px`;
    if (!wanted(ctx, name)) continue;
    ctx.log(name);
    vae ??= await loadRandomVae(ctx);
    const h = px / 8;
    const z = { shape: [1, 4, h, h], data: randn(600, 4 * h * h) };
    // The first decode after recording is the warm-up; on a machine where one decode takes many
    // minutes it is the only one, and the entry says so.
    const r = await ctx.host.api.bench.benchVaeDecode(vae.id, z, { warmup: ctx.opts.warmup, runs: ctx.opts.runs, onceOverMs: LONG_DECODE_MS });
    const timing = r.once
      ? `ONE timed run, no warm-up decode (the decode recorded and its pipelines compiled before timing): ${Math.round(r.times[0] / 60_000)} min per decode here, over the ${LONG_DECODE_MS / 60_000} min above which the bench times a decode once`
      : `median of ${ctx.opts.runs} timed runs after ${ctx.opts.warmup} warm-up`;
    const s = summarize(r.times);
    const flops = vaeDecodeFlops(px);
    const entry: Entry = {
      name,
      measures: `SD-VAE decode of one latent [1,4,${h},${h}] to a ${px}×${px} image (random weights, diffusers decoder names), timed in the worker: latent from the CPU to the sample read back; ${timing}`,
      ours_ms: round(s.medianMs), ours_min_ms: round(s.minMs), runs: s.runs, ...NO_PEER,
      gflop: round(flops / 1e9), gflops: round(flops / (s.medianMs * 1e6)),
      peak_gpu_mib: MiB(vae.weightBytes + r.decodeBytes), vae_weights_mib: MiB(vae.weightBytes), decode_activations_mib: MiB(r.decodeBytes),
      dispatches: r.calls.dispatches, submits: r.calls.submits,
      submits_note: `the decode in submissions of at most ${r.workPerSubmit / 1e9} GFLOP (estimated), each awaited, then the sample's readback`,
      peer_skipped: 'no VAE peer (the peer is compared on DiT)',
    };
    if (!r.sample.data.every(Number.isFinite)) entry.warning = 'the decoded sample has non-finite values';
    ctx.log(`  ours: ${entry.ours_ms} ms (${entry.gflops} GFLOP/s, ${r.calls.dispatches} dispatches, ${r.calls.submits} submits, peak ${entry.peak_gpu_mib} MiB)`);
    out.push(entry);
  }
  return out;
}
