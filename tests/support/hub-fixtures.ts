/** The tiny DiT + tiny VAE as a Hub repo: safetensors at refs/pr/1, PyTorch .bin (legacy VAE names) at main. */
import { readFileSync } from 'node:fs';
import type { HubRepos } from './hub-server.ts';
import { fixture } from './fixtures.ts';

export const TINY_REPO = 'test-org/DiT-tiny';

export function tinyHubRepos(): HubRepos {
  const configs = {
    'transformer/config.json': readFileSync(fixture('hub/transformer-config.json')),
    'vae/config.json': readFileSync(fixture('vae/tiny.config.json')),
  };
  return {
    [TINY_REPO]: {
      'refs/pr/1': {
        ...configs,
        'transformer/diffusion_pytorch_model.safetensors': readFileSync(fixture('dit/dit-tiny.diffusers.safetensors')),
        'vae/diffusion_pytorch_model.safetensors': readFileSync(fixture('vae/tiny.safetensors')),
      },
      main: {
        ...configs,
        'transformer/diffusion_pytorch_model.bin': readFileSync(fixture('hub/dit-tiny.diffusers.bin')),
        'vae/diffusion_pytorch_model.bin': readFileSync(fixture('hub/vae-tiny.legacy.bin')),
      },
    },
  };
}
