/** VAE config parsing, checkpoint key layouts and the band plan (no GPU). */
import { describe, expect, it } from 'vitest';
import { evenBands, planVaeDecode } from '../../../src/model/vae-bands.ts';
import { DEFAULT_SCALING_FACTOR, levelChannels, parseVaeConfig, upscaleFactor } from '../../../src/model/vae-config.ts';
import { detectVaeLayout, fileKey, vaeSource } from '../../../src/model/vae-layout.ts';
import { MappedSource } from '../../../src/model/tensor-source.ts';
import { loadJson } from '../../support/fixtures.ts';

const SD = { block_out_channels: [128, 256, 512, 512], layers_per_block: 2, norm_num_groups: 32, latent_channels: 4, out_channels: 3 };

describe('parseVaeConfig', () => {
  it('reads the fixture configs and the real SD-VAE shape, with diffusers defaults', () => {
    const tiny = parseVaeConfig(loadJson('vae/tiny.config.json'));
    expect(tiny).toEqual({ block_out_channels: [32, 64], layers_per_block: 1, norm_num_groups: 8, latent_channels: 4, out_channels: 3, scaling_factor: 0.18215 });
    // Old Hub vae/config.json files have no scaling_factor: SD's 0.18215 (diffusers' default).
    const sd = parseVaeConfig({ block_out_channels: [128, 256, 512, 512], layers_per_block: 2 });
    expect(sd.norm_num_groups).toBe(32);
    expect(sd.scaling_factor).toBe(DEFAULT_SCALING_FACTOR);
    expect(DEFAULT_SCALING_FACTOR).toBe(0.18215);
    expect(upscaleFactor(sd)).toBe(8);
    expect([0, 1, 2, 3].map((L) => levelChannels(sd, L))).toEqual([[4, 512], [512, 512], [512, 256], [256, 128]]);
    expect(parseVaeConfig({ ...SD, scaling_factor: 0.13025 }).scaling_factor).toBe(0.13025);
  });

  const bad: [string, unknown, RegExp][] = [
    ['not an object', [1, 2], /not a JSON object/],
    ['no block_out_channels (e.g. a DiT config)', { input_size: 32, hidden_size: 384 }, /block_out_channels/],
    ['channels not divisible by the groups', { ...SD, norm_num_groups: 48 }, /not divisible by norm_num_groups 48/],
    ['another activation', { ...SD, act_fn: 'gelu' }, /act_fn "gelu" is not supported/],
    ['another up block', { ...SD, up_block_types: ['UpDecoderBlock2D', 'UpDecoderBlock2D', 'UpDecoderBlock2D', 'AttnUpDecoderBlock2D'] }, /AttnUpDecoderBlock2D/],
    ['another class', { ...SD, _class_name: 'AutoencoderTiny' }, /only AutoencoderKL/],
    ['no post_quant_conv', { ...SD, use_post_quant_conv: false }, /use_post_quant_conv/],
    ['no mid-block attention', { ...SD, mid_block_add_attention: false }, /mid_block_add_attention/],
    ['spatial norm', { ...SD, norm_type: 'spatial' }, /norm_type/],
    ['a fractional width', { ...SD, layers_per_block: 1.5 }, /layers_per_block/],
  ];
  for (const [what, raw, message] of bad) it(`refuses ${what}`, () => expect(() => parseVaeConfig(raw)).toThrow(message));
});

describe('VAE key layouts', () => {
  it('detects diffusers, legacy and LDM (with or without first_stage_model.)', () => {
    expect(detectVaeLayout(['decoder.mid_block.attentions.0.to_q.weight'])).toEqual({ layout: 'diffusers', prefix: '' });
    expect(detectVaeLayout(['decoder.mid_block.attentions.0.query.weight'])).toEqual({ layout: 'legacy', prefix: '' });
    expect(detectVaeLayout(['decoder.mid.attn_1.q.weight'])).toEqual({ layout: 'ldm', prefix: '' });
    expect(detectVaeLayout(['first_stage_model.decoder.mid.attn_1.q.weight'])).toEqual({ layout: 'ldm', prefix: 'first_stage_model.' });
    expect(() => detectVaeLayout(['model.diffusion_model.input_blocks.0.0.weight'])).toThrow(/unknown VAE weight layout.*model\.diffusion_model/);
  });

  it('maps diffusers names to LDM keys (up blocks reversed, nin_shortcut, norm_out, attn_1)', () => {
    const k = (name: string) => fileKey('ldm', 'first_stage_model.', name, 4);
    expect(k('post_quant_conv.weight')).toBe('first_stage_model.post_quant_conv.weight');
    expect(k('decoder.conv_in.bias')).toBe('first_stage_model.decoder.conv_in.bias');
    expect(k('decoder.mid_block.resnets.0.norm1.weight')).toBe('first_stage_model.decoder.mid.block_1.norm1.weight');
    expect(k('decoder.mid_block.resnets.1.conv2.bias')).toBe('first_stage_model.decoder.mid.block_2.conv2.bias');
    expect(k('decoder.mid_block.attentions.0.group_norm.weight')).toBe('first_stage_model.decoder.mid.attn_1.norm.weight');
    expect(k('decoder.mid_block.attentions.0.to_out.0.weight')).toBe('first_stage_model.decoder.mid.attn_1.proj_out.weight');
    expect(k('decoder.up_blocks.0.resnets.2.conv1.weight')).toBe('first_stage_model.decoder.up.3.block.2.conv1.weight');
    expect(k('decoder.up_blocks.3.resnets.0.conv_shortcut.weight')).toBe('first_stage_model.decoder.up.0.block.0.nin_shortcut.weight');
    expect(k('decoder.up_blocks.1.upsamplers.0.conv.bias')).toBe('first_stage_model.decoder.up.2.upsample.conv.bias');
    expect(k('decoder.conv_norm_out.weight')).toBe('first_stage_model.decoder.norm_out.weight');
    expect(k('decoder.conv_out.weight')).toBe('first_stage_model.decoder.conv_out.weight');
    expect(fileKey('legacy', '', 'decoder.mid_block.attentions.0.to_v.bias', 4)).toBe('decoder.mid_block.attentions.0.value.bias');
    expect(fileKey('legacy', '', 'decoder.mid_block.attentions.0.group_norm.bias', 4)).toBe('decoder.mid_block.attentions.0.group_norm.bias');
  });

  it('reads LDM 1x1-conv attention projections [C, C, 1, 1] as [C, C]', () => {
    const t = (shape: number[]) => ({ shape, read: async () => new Float32Array(shape.reduce((a, b) => a * b, 1)) });
    const src = vaeSource(new MappedSource(new Map([
      ['decoder.mid.attn_1.q.weight', t([8, 8, 1, 1])],
      ['decoder.mid.attn_1.q.bias', t([8])],
      ['decoder.conv_in.weight', t([8, 4, 3, 3])],
    ])), 2);
    expect(src.layout).toBe('ldm');
    expect(src.shape('decoder.mid_block.attentions.0.to_q.weight')).toEqual([8, 8]);
    expect(src.shape('decoder.mid_block.attentions.0.to_q.bias')).toEqual([8]);
    expect(src.shape('decoder.conv_in.weight')).toEqual([8, 4, 3, 3]);
    expect(src.keyOf('decoder.mid_block.attentions.0.to_k.weight')).toBe('decoder.mid.attn_1.k.weight');
  });
});

describe('band plan', () => {
  const sd = parseVaeConfig(SD);
  const MiB = 2 ** 20;

  it('splits rows evenly, the last band shorter', () => {
    expect(evenBands(7, 3)).toEqual([3, 3, 1]);
    expect(evenBands(4, 4)).toEqual([4]);
    expect(evenBands(4, 9)).toEqual([4]);
  });

  it('keeps a 256x256 decode whole under 128 MiB and bands 512x512 (256 MiB at 256 ch x 512²)', () => {
    expect(planVaeDecode(sd, 1, 32, 32, 128 * MiB).latentBands).toEqual([32]);
    // Largest per latent row at 512 px: level 3 holds 256 ch x 8 rows x 512 cols (4 MiB per latent row).
    const p = planVaeDecode(sd, 1, 64, 64, 128 * MiB);
    expect(p.latentBands).toEqual([32, 32]);
    expect(planVaeDecode(sd, 1, 64, 64, 100 * MiB).latentBands).toEqual([22, 22, 20]);
    expect(p.queryChunk).toBe(4096);
  });

  it('honours tileRows, and refuses bands past the limit', () => {
    expect(planVaeDecode(sd, 1, 5, 3, 128 * MiB, 2).latentBands).toEqual([2, 2, 1]);
    expect(() => planVaeDecode(sd, 1, 64, 64, 128 * MiB, 64)).toThrow(/use at most 32/);
    expect(() => planVaeDecode(sd, 1, 64, 64, 128 * MiB, 0)).toThrow(/positive integer/);
    expect(() => planVaeDecode(sd, 64, 64, 64, 64 * MiB)).toThrow(/too wide/);
  });

  it('chunks the attention queries when the score matrix would not fit', () => {
    const p = planVaeDecode(sd, 1, 64, 64, 32 * MiB);
    expect(p.queryChunk).toBe(2048); // 2048 x 4096 x 4 B = 32 MiB
  });
});
