/** The CPU DiT reference (used for configurations without fixtures) must itself match PyTorch. */
import { describe, expect, it } from 'vitest';
import { parseDitConfig } from '../../../src/model/config.ts';
import { asOfficialLayout } from '../../../src/model/dit-layout.ts';
import { toInt32 } from '../../../src/weights/safetensors.ts';
import { ditForwardCpu, materialize } from '../../reference/dit.ts';
import { relativeError } from '../../support/compare.ts';
import { loadJson, loadSafetensors, tensorSource } from '../../support/fixtures.ts';

describe('CPU reference DiT forward', () => {
  for (const [name, weights] of [['dit-tiny', 'dit-tiny.safetensors'], ['dit-tiny', 'dit-tiny.diffusers.safetensors'], ['dit-small-p4', 'dit-small-p4.safetensors']]) {
    it(`matches the PyTorch fixture ${weights}`, async () => {
      const c = parseDitConfig(loadJson(`dit/${name}.config.json`));
      const io = loadSafetensors(`dit/${name}.io.safetensors`);
      const { source } = asOfficialLayout(tensorSource(`dit/${weights}`));
      const out = ditForwardCpu(await materialize(source), c, io.float32('x'), io.float32('t'), toInt32(io.raw('y')));
      expect(relativeError(out, io.float32('out'))).toBeLessThan(1e-5);
    });
  }
});
