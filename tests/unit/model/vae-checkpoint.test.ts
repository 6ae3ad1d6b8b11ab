/** Reading a VAE checkpoint: every decode-path tensor is read, nothing else, whatever the layout. */
import { describe, expect, it } from 'vitest';
import { readVaeCheckpoint } from '../../../src/model/vae-checkpoint.ts';
import { parseVaeConfig } from '../../../src/model/vae-config.ts';
import { safetensorsSource } from '../../../src/model/safetensors-source.ts';
import { SafetensorsFile, writeSafetensors } from '../../../src/weights/safetensors.ts';
import { loadJson, loadSafetensors, tensorSource } from '../../support/fixtures.ts';
import { asLdmCheckpoint } from '../../support/random-vae.ts';

describe('readVaeCheckpoint', () => {
  const cases: [string, string, number, number][] = [
    ['tiny', 'tiny.safetensors', 70, 402_071],
    ['tiny', 'tiny.legacy.safetensors', 70, 402_071],
    ['small', 'small.safetensors', 138, 819_191],
  ];
  for (const [name, weights, tensors, params] of cases) {
    it(`reads all ${tensors} tensors (${params} parameters) of ${weights}`, async () => {
      const keys: string[] = [];
      const file = loadSafetensors(`vae/${weights}`);
      await readVaeCheckpoint(tensorSource(`vae/${weights}`), parseVaeConfig(loadJson(`vae/${name}.config.json`)), keys);
      expect(keys.length).toBe(tensors);
      expect([...keys].sort()).toEqual(file.names().sort());
      expect(keys.reduce((n, k) => n + file.float32(k).length, 0)).toBe(params);
    });
  }

  it('reads an LDM checkpoint under first_stage_model. to the same values, ignoring other keys', async () => {
    const c = parseVaeConfig(loadJson('vae/tiny.config.json'));
    const ldm = SafetensorsFile.fromBytes(writeSafetensors(asLdmCheckpoint(loadSafetensors('vae/tiny.safetensors'), 2, 'first_stage_model.')));
    const keys: string[] = [];
    const a = await readVaeCheckpoint(safetensorsSource(ldm), c, keys);
    const b = await readVaeCheckpoint(tensorSource('vae/tiny.safetensors'), c);
    expect(a.layout).toBe('ldm');
    expect(keys).toContain('first_stage_model.decoder.up.0.block.0.nin_shortcut.weight');
    expect(keys.length).toBe(70);
    expect(a.upBlocks[1].resnets[0].shortcut!.weight).toEqual(b.upBlocks[1].resnets[0].shortcut!.weight);
    expect(a.midAttention.qkv.weight).toEqual(b.midAttention.qkv.weight);
    expect(a.upBlocks[0].upsampler!.bias).toEqual(b.upBlocks[0].upsampler!.bias);
  });
});
