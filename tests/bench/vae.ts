/**
 * VAE decode at the real SD-VAE shape for 256 px (latent [1, 4, 32, 32] → image [1, 3, 256, 256]),
 * random weights with diffusers' AutoencoderKL decoder names (post_quant_conv + decoder.*).
 *
 * THE VAE IS BEING WRITTEN: until the engine offers `loadVae(weightsUrl, config)` and
 * `vaeDecode(id, z, opts)`, this entry is reported as skipped. Once they land it runs as is;
 * with an engine-side `benchVaeDecode(id, z, timing)` (returning { times }) it is timed in the
 * worker like the forward, otherwise around the host call (then it includes the transfer of the
 * image between Node and the page, and says so).
 */
import { writeFileSync } from 'node:fs';
import { writeSafetensors, type TensorToWrite } from '../../src/weights/safetensors.ts';
import { randn } from '../support/random.ts';
import { type BenchContext, cachePath, cacheUrl, type Entry } from './context.ts';
import { round, summarize } from './stats.ts';

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

export async function vaeEntries(ctx: BenchContext): Promise<Entry[]> {
  const name = 'vae-decode-256px';
  const measures = 'SD-VAE decode of one latent [1,4,32,32] to a 256×256 image (random weights, diffusers decoder names)';
  const methods = await ctx.host.call<string[]>('methods');
  if (!methods.includes('loadVae') || !methods.includes('vaeDecode')) {
    return [{ name, measures, skipped: 'the engine has no loadVae/vaeDecode yet (the VAE is being written); this entry runs once they land' }];
  }
  ctx.log(name);
  const tensors: Record<string, TensorToWrite> = {};
  let seed = 500;
  for (const [key, shape] of Object.entries(vaeDecoderShapes())) {
    const n = shape.reduce((a, b) => a * b, 1);
    const fanIn = shape.length > 1 ? n / shape[0] : 0;
    tensors[key] = { dtype: 'F32', shape, data: key.includes('norm') && key.endsWith('.weight') ? new Float32Array(n).fill(1) : randn(seed++, n, fanIn ? 1 / Math.sqrt(fanIn) : 0.02) };
  }
  const path = cachePath('vae-decoder-random.safetensors');
  writeFileSync(path, writeSafetensors(tensors));
  const id = await ctx.host.call<string>('loadVae', cacheUrl(ctx, path), SD_VAE_CONFIG);
  const z = { shape: [1, 4, 32, 32], data: randn(600, 4 * 32 * 32) };
  let times: number[];
  let how: string;
  if (methods.includes('benchVaeDecode')) {
    times = (await ctx.host.call<{ times: number[] }>('benchVaeDecode', id, z, { warmup: ctx.opts.warmup, runs: ctx.opts.runs })).times;
    how = 'timed in the worker: latent from the CPU to the image read back';
  } else {
    times = [];
    for (let i = 0; i < ctx.opts.warmup + ctx.opts.runs; i++) {
      const t0 = performance.now();
      await ctx.host.call('vaeDecode', id, z, {});
      if (i >= ctx.opts.warmup) times.push(performance.now() - t0);
    }
    how = 'timed around the host call: includes moving the image between Node and the page';
  }
  const s = summarize(times);
  const flops = vaeDecodeFlops(256);
  return [{ name, measures: `${measures}; ${how}`, ours_ms: round(s.medianMs), runs: s.runs, gflop: round(flops / 1e9), gflops: round(flops / (s.medianMs * 1e6)), peer_skipped: 'no VAE peer (the peer is compared on DiT)' }];
}
