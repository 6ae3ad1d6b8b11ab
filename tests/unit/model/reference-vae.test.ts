/** The CPU VAE decoder (used for configurations without fixtures) must itself match PyTorch. */
import { describe, expect, it } from 'vitest';
import { parseVaeConfig } from '../../../src/model/vae-config.ts';
import { vaeDecodeCpu, vaeWeightsCpu } from '../../reference/vae.ts';
import { scaledMaxAbsError } from '../../support/compare.ts';
import { loadJson, loadSafetensors, tensorSource } from '../../support/fixtures.ts';

describe('CPU reference VAE decode', () => {
  for (const [name, weights] of [['tiny', 'tiny.safetensors'], ['tiny', 'tiny.legacy.safetensors'], ['small', 'small.safetensors']]) {
    it(`matches every tensor of the PyTorch fixture ${weights}`, async () => {
      const c = parseVaeConfig(loadJson(`vae/${name}.config.json`));
      const io = loadSafetensors(`vae/${name}.io.safetensors`);
      const got = vaeDecodeCpu(await vaeWeightsCpu(tensorSource(`vae/${weights}`), c), c, io.float32('z'), io.entry('z').shape);
      const names = io.names().filter((n) => n !== 'z');
      expect(names.length).toBeGreaterThanOrEqual(7);
      for (const n of names) {
        expect(got[n].shape, n).toEqual(io.entry(n).shape);
        // float64 against float64-rounded-to-float32: far below the 1e-4 tolerance.
        expect(scaledMaxAbsError(got[n].data, io.float32(n)), n).toBeLessThan(1e-6);
      }
    });
  }
});
