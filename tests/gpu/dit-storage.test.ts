/** DiT weights stored as halves, and adaLN weights split across several bindings. */
import { describe, expect, it } from 'vitest';
import { parseDitConfig } from '../../src/model/config.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { f32ToF16Bits } from '../../src/gpu/half.ts';
import { toInt32, writeSafetensors, type TensorToWrite } from '../../src/weights/safetensors.ts';
import { relativeError } from '../support/compare.ts';
import { fixture, loadJson, loadSafetensors } from '../support/fixtures.ts';
import { useBrowserHost } from '../support/gpu-host.ts';

const host = useBrowserHost();
const tmp = mkdtempSync(join(tmpdir(), 'dit-storage-'));

/** bfloat16 bits of a float32, rounded to nearest even. */
function bf16Bits(v: number): number {
  const u = new Uint32Array(Float32Array.of(v).buffer)[0];
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The fixture's weights re-saved with every tensor as F16 or BF16 (a test helper's copy). */
function halfCopy(dtype: 'F16' | 'BF16'): string {
  const file = loadSafetensors('dit/dit-small-p4.safetensors');
  const out: Record<string, TensorToWrite> = {};
  for (const name of file.names()) {
    const values = file.float32(name);
    out[name] = { dtype, shape: file.entry(name).shape, data: Uint16Array.from(values, (v) => (dtype === 'F16' ? f32ToF16Bits(v) : bf16Bits(v))) };
  }
  const path = join(tmp, `dit-small-p4.${dtype}.safetensors`);
  writeFileSync(path, writeSafetensors(out));
  return path;
}

async function forward(opts: { f16?: boolean; maxBindingBytes?: number }, weights = fixture('dit/dit-small-p4.safetensors')) {
  const config = parseDitConfig(loadJson('dit/dit-small-p4.config.json'));
  const io = loadSafetensors('dit/dit-small-p4.io.safetensors');
  const id = await host().api.engine.loadDit(host().serveFile(weights), config, opts);
  const res = await host().api.engine.ditForward(id, { shape: io.entry('x').shape, data: io.float32('x') }, io.float32('t'), toInt32(io.raw('y')), {});
  return { out: res.out.data, ref: io.float32('out') };
}

describe('DiT weight storage', () => {
  it('adaLN split into one binding per block still matches the fixture at 1e-4', async () => {
    // 6·96·96·4 bytes per block: a 40 kB limit forces a group per layer.
    const { out, ref } = await forward({ maxBindingBytes: 40_000 });
    expect(relativeError(out, ref)).toBeLessThan(1e-4);
  });

  it('F16 and BF16 copies of the fixture load and match within their precision', async () => {
    const f16 = await forward({}, halfCopy('F16'));
    expect(relativeError(f16.out, f16.ref)).toBeLessThan(5e-3);
    const bf16 = await forward({}, halfCopy('BF16'));
    const err = relativeError(bf16.out, bf16.ref);
    expect(err).toBeLessThan(3e-2);
    expect(err).toBeGreaterThan(relativeError(f16.out, f16.ref)); // 8 mantissa bits, not 11
  });

  it('f16 weight storage stays within half precision of the fixture', async () => {
    const { out, ref } = await forward({ f16: true });
    const err = relativeError(out, ref);
    expect(err).toBeLessThan(5e-3);
    expect(err).toBeGreaterThan(1e-6); // it really ran on rounded weights
  });
});
