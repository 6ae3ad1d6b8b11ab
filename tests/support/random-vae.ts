/**
 * Random VAE decoder weights (diffusers names, the fixtures' init scales) for configurations
 * without fixtures, and the LDM-named copy of a checkpoint a test can feed the loader.
 */
import { resnetsPerUpBlock, upBlockChannels, type VaeConfig } from '../../src/model/vae-config.ts';
import type { SafetensorsFile, TensorToWrite } from '../../src/weights/safetensors.ts';
import { randn } from './random.ts';

export function randomVaeWeights(c: VaeConfig, seed: number): Record<string, TensorToWrite> {
  const out: Record<string, TensorToWrite> = {};
  let s = seed;
  const add = (name: string, shape: number[], scale: number, offset = 0) => {
    out[name] = { dtype: 'F32', shape, data: randn(s++, shape.reduce((a, b) => a * b, 1), scale).map((v) => v + offset) };
  };
  const conv = (name: string, cout: number, cin: number, k: number) => {
    add(`${name}.weight`, [cout, cin, k, k], Math.min(0.2, Math.max(0.05, 1 / Math.sqrt(cin * k * k))));
    add(`${name}.bias`, [cout], 0.05);
  };
  const norm = (name: string, C: number) => { add(`${name}.weight`, [C], 0.1, 1); add(`${name}.bias`, [C], 0.05); };
  const resnet = (name: string, cin: number, cout: number) => {
    norm(`${name}.norm1`, cin);
    conv(`${name}.conv1`, cout, cin, 3);
    norm(`${name}.norm2`, cout);
    conv(`${name}.conv2`, cout, cout, 3);
    if (cin !== cout) conv(`${name}.conv_shortcut`, cout, cin, 1);
  };
  const R = upBlockChannels(c);
  conv('post_quant_conv', c.latent_channels, c.latent_channels, 1);
  conv('decoder.conv_in', R[0], c.latent_channels, 3);
  resnet('decoder.mid_block.resnets.0', R[0], R[0]);
  const attn = 'decoder.mid_block.attentions.0';
  norm(`${attn}.group_norm`, R[0]);
  for (const [p, scale] of [['to_q', 0.2], ['to_k', 0.2], ['to_v', 0.1], ['to_out.0', 0.1]] as const) {
    add(`${attn}.${p}.weight`, [R[0], R[0]], scale);
    add(`${attn}.${p}.bias`, [R[0]], 0.05);
  }
  resnet('decoder.mid_block.resnets.1', R[0], R[0]);
  R.forEach((width, i) => {
    for (let j = 0; j < resnetsPerUpBlock(c); j++) resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? R[Math.max(0, i - 1)] : width, width);
    if (i < R.length - 1) conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, width, width, 3);
  });
  norm('decoder.conv_norm_out', c.block_out_channels[0]);
  conv('decoder.conv_out', c.out_channels, c.block_out_channels[0], 3);
  return out;
}

/**
 * The same tensors under original LDM names (up blocks reversed, attn_1 with [C, C, 1, 1] 1x1-conv
 * projections, nin_shortcut, norm_out), each key prefixed, plus unrelated tensors a full
 * checkpoint carries (encoder, quant_conv, a UNet weight) that the loader must ignore.
 */
function ldmKey(name: string, n: number): string {
  const attn: Record<string, string> = { group_norm: 'norm', to_q: 'q', to_k: 'k', to_v: 'v', 'to_out.0': 'proj_out' };
  return name
    .replace(/^decoder\.mid_block\.attentions\.0\.(group_norm|to_q|to_k|to_v|to_out\.0)\./, (_, p: string) => `decoder.mid.attn_1.${attn[p]}.`)
    .replace(/^decoder\.mid_block\.resnets\.(\d)\./, (_, i: string) => `decoder.mid.block_${Number(i) + 1}.`)
    .replace(/^decoder\.up_blocks\.(\d+)\.resnets\./, (_, i: string) => `decoder.up.${n - 1 - Number(i)}.block.`)
    .replace(/^decoder\.up_blocks\.(\d+)\.upsamplers\.0\./, (_, i: string) => `decoder.up.${n - 1 - Number(i)}.upsample.`)
    .replace('.conv_shortcut.', '.nin_shortcut.')
    .replace(/^decoder\.conv_norm_out\./, 'decoder.norm_out.');
}

export function asLdmCheckpoint(file: SafetensorsFile, numUpBlocks: number, prefix: string): Record<string, TensorToWrite> {
  const out: Record<string, TensorToWrite> = {};
  for (const name of file.names()) {
    let shape = file.entry(name).shape;
    if (/attentions\.0\.(to_q|to_k|to_v|to_out\.0)\.weight$/.test(name)) shape = [...shape, 1, 1];
    out[prefix + ldmKey(name, numUpBlocks)] = { dtype: 'F32', shape, data: file.float32(name) };
  }
  out[`${prefix}encoder.conv_in.weight`] = { dtype: 'F32', shape: [2, 3, 3, 3], data: new Float32Array(54).fill(7) };
  out[`${prefix}quant_conv.bias`] = { dtype: 'F32', shape: [8], data: new Float32Array(8).fill(7) };
  out['model.diffusion_model.out.2.bias'] = { dtype: 'F32', shape: [4], data: new Float32Array(4).fill(7) };
  return out;
}
