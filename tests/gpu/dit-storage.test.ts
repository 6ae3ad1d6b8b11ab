/** DiT weights stored as halves, and adaLN weights split across several bindings. */
import { describe, expect, it } from 'vitest';
import { parseDitConfig } from '../../src/model/config.ts';
import { toInt32 } from '../../src/weights/safetensors.ts';
import { relativeError } from '../support/compare.ts';
import { fixture, loadJson, loadSafetensors } from '../support/fixtures.ts';
import { useBrowserHost } from '../support/gpu-host.ts';

const host = useBrowserHost();

async function forward(opts: { f16?: boolean; maxBindingBytes?: number }) {
  const config = parseDitConfig(loadJson('dit/dit-small-p4.config.json'));
  const io = loadSafetensors('dit/dit-small-p4.io.safetensors');
  const id = await host().call<string>('loadDit', host().serveFile(fixture('dit/dit-small-p4.safetensors')), config, opts);
  const res = await host().call<Record<string, { data: Float32Array }>>('ditForward', id, { shape: io.entry('x').shape, data: io.float32('x') }, io.float32('t'), toInt32(io.raw('y')), {});
  return { out: res.out.data, ref: io.float32('out') };
}

describe('DiT weight storage', () => {
  it('adaLN split into one binding per block still matches the fixture at 1e-4', async () => {
    // 6·96·96·4 bytes per block: a 40 kB limit forces a group per layer.
    const { out, ref } = await forward({ maxBindingBytes: 40_000 });
    expect(relativeError(out, ref)).toBeLessThan(1e-4);
  });

  it('f16 weight storage stays within half precision of the fixture', async () => {
    const { out, ref } = await forward({ f16: true });
    const err = relativeError(out, ref);
    expect(err).toBeLessThan(5e-3);
    expect(err).toBeGreaterThan(1e-6); // it really ran on rounded weights
  });
});
