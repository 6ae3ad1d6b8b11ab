import { describe, expect, it } from 'vitest';
import { pngBlobFor, pngFileName, pngTextFor } from '../../../src/app/download';
import { downscaleFrame } from '../../../src/app/gallery';
import { classifyFiles } from '../../../src/app/local-files';
import { readPngText } from '../../../src/app/png';
import type { FinishedRun } from '../../../src/app/state/run';

const file = (name: string, body = '') => new File([body], name);

describe('classifyFiles', () => {
  it('sorts a diffusers folder into transformer / VAE weights and configs', async () => {
    const roles = await classifyFiles([
      { file: file('config.json', '{}'), path: 'DiT-XL-2-256/transformer/config.json' },
      { file: file('diffusion_pytorch_model.safetensors'), path: 'DiT-XL-2-256/transformer/diffusion_pytorch_model.safetensors' },
      { file: file('config.json', '{}'), path: 'DiT-XL-2-256/vae/config.json' },
      { file: file('diffusion_pytorch_model.safetensors'), path: 'DiT-XL-2-256/vae/diffusion_pytorch_model.safetensors' },
      { file: file('README.md'), path: 'DiT-XL-2-256/README.md' },
    ]);
    expect(roles.transformer).toBeDefined();
    expect(roles.vae).toBeDefined();
    expect(roles.transformer).not.toBe(roles.vae);
    expect(roles.transformerConfig).toBeDefined();
    expect(roles.vaeConfig).toBeDefined();
    expect(roles.ignored).toEqual(['DiT-XL-2-256/README.md']);
  });

  it('tells two loose config.json files apart by their contents', async () => {
    const t = file('config.json', JSON.stringify({ _class_name: 'DiTTransformer2DModel', patch_size: 2 }));
    const v = file('config.json', JSON.stringify({ _class_name: 'AutoencoderKL', latent_channels: 4 }));
    const roles = await classifyFiles([
      { file: v, path: 'config.json' },
      { file: t, path: 'config.json' },
      { file: file('dit.safetensors'), path: 'dit.safetensors' },
      { file: file('sd-vae-ft-ema.safetensors'), path: 'sd-vae-ft-ema.safetensors' },
    ]);
    expect(roles.transformerConfig).toBe(t);
    expect(roles.vaeConfig).toBe(v);
    expect(roles.transformer?.name).toBe('dit.safetensors');
    expect(roles.vae?.name).toBe('sd-vae-ft-ema.safetensors');
  });
});

describe('download', () => {
  const run: FinishedRun = {
    params: { classId: 281, cfgScale: 4.5, steps: 50, sampler: 'dpm++', seed: 42 },
    model: { kind: 'hub', hubUrl: 'https://huggingface.co', repo: 'facebook/DiT-XL-2-256', revision: 'main' },
    modelId: 'dit-xl-2-256',
    modelName: 'DiT-XL/2 256',
    elapsedMs: 1234,
  };

  it('writes the parameters into PNG text chunks', async () => {
    const image = { width: 2, height: 2, rgba: new Uint8ClampedArray(16).fill(200) };
    const blob = await pngBlobFor(image, run);
    expect(blob.type).toBe('image/png');
    const text = readPngText(new Uint8Array(await blob.arrayBuffer()));
    expect(text).toMatchObject({
      class_id: '281',
      class_name: 'tabby, tabby cat',
      cfg_scale: '4.5',
      steps: '50',
      sampler: 'dpm++',
      seed: '42',
      model: 'facebook/DiT-XL-2-256@main',
    });
    expect(JSON.parse(text.parameters)).toMatchObject({ classId: 281, cfgScale: 4.5, seed: 42 });
    expect(pngTextFor(run).Software).toBe('DiT Studio');
    expect(pngFileName(run)).toBe('dit-281-tabby-cfg4.5-dpmpp50-seed42.png');
  });

  it('downscales frames by whole factors', () => {
    const rgba = new Uint8ClampedArray(4 * 4 * 4);
    for (let i = 0; i < 16; i++) rgba.set([i * 10, 0, 0, 255], i * 4);
    const f = downscaleFrame({ width: 4, height: 4, rgba }, 2);
    expect([f.width, f.height]).toEqual([2, 2]);
    expect(f.rgba[0]).toBe(Math.round((0 + 10 + 40 + 50) / 4));
    const same = { width: 4, height: 4, rgba };
    expect(downscaleFrame(same, 4)).toBe(same);
  });
});
