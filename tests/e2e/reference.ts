/**
 * What the reference code (CPU DiT forward, the sampling loop, the CPU VAE decoder) makes for
 * the settings the e2e tests choose in the UI, as RGB bytes: the app's downloaded PNG must match
 * it within ±1 per value. Covers the built-in model (pixel space, 32×32) and the tiny Hub model
 * (8×8×4 latent + tiny VAE, 16×16).
 */
import { readFileSync } from 'node:fs';
import { BUILTIN_CONFIG, BUILTIN_WEIGHTS } from '../../src/cli/builtin-model.ts';
import { parseDitConfig, type DitConfig } from '../../src/model/config.ts';
import { safetensorsSource } from '../../src/model/safetensors-source.ts';
import { parseVaeConfig } from '../../src/model/vae-config.ts';
import { sampleLoop, type SamplerKind } from '../reference/sampling-loop.ts';
import { initialLatent, seededStepNoise } from '../../src/sampling/noise.ts';
import { SpacedDiffusion } from '../../src/sampling/schedule.ts';
import { SafetensorsFile } from '../../src/weights/safetensors.ts';
import { ditForwardCpu, materialize, type Tensors } from '../reference/dit.ts';
import { vaeDecodeCpu, vaeWeightsCpu } from '../reference/vae.ts';
import { loadJson, tensorSource } from '../support/fixtures.ts';

export interface ReferenceParams {
  classId: number;
  steps: number;
  sampler: SamplerKind;
  seed: number;
  cfgScale: number;
}


async function sample(w: Tensors, c: DitConfig, p: ReferenceParams): Promise<Float32Array> {
  const { final } = await sampleLoop({
    model: (x, t, y) => Float32Array.from(ditForwardCpu(w, c, x, Float32Array.from(t), Int32Array.from(y))),
    schedule: SpacedDiffusion.fromRespacing(String(p.steps)),
    sampler: p.sampler,
    z: initialLatent(p.seed, c.in_channels * c.input_size ** 2),
    labels: [p.classId],
    channels: c.in_channels,
    cfgScale: p.cfgScale,
    numClasses: c.num_classes,
    noise: seededStepNoise(p.seed),
    keepSteps: false,
  });
  return final;
}

/** Planar [-1, 1] pixels (3, H, W) → interleaved RGB bytes, round(255 · clamp(x/2 + 0.5)). */
function toRgb(data: ArrayLike<number>, h: number, w: number): Uint8Array {
  const plane = h * w;
  const rgb = new Uint8Array(plane * 3);
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = Math.round(255 * Math.min(1, Math.max(0, data[ch * plane + i] / 2 + 0.5)));
  }
  return rgb;
}

/** The built-in model (public/models/builtin): pixel space, no VAE. */
export async function builtinReference(p: ReferenceParams): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const c = parseDitConfig(JSON.parse(readFileSync(BUILTIN_CONFIG, 'utf8')));
  const w = await materialize(safetensorsSource(SafetensorsFile.fromBytes(readFileSync(BUILTIN_WEIGHTS))));
  const final = await sample(w, c, p);
  return { width: c.input_size, height: c.input_size, rgb: toRgb(final, c.input_size, c.input_size) };
}

/** The tiny DiT + tiny VAE that tests/support/hub-fixtures.ts serves as a Hub repo. */
export async function tinyHubReference(p: ReferenceParams): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const c = parseDitConfig(loadJson('dit/dit-tiny.config.json'));
  const w = await materialize(tensorSource('dit/dit-tiny.safetensors'));
  const final = await sample(w, c, p);
  const vc = parseVaeConfig(loadJson('vae/tiny.config.json'));
  const z = Float32Array.from(final, (v) => v / vc.scaling_factor);
  const { sample: img } = vaeDecodeCpu(await vaeWeightsCpu(tensorSource('vae/tiny.safetensors'), vc), vc, z, [1, c.in_channels, c.input_size, c.input_size]);
  const [, , H, W] = img.shape;
  return { width: W, height: H, rgb: toRgb(img.data, H, W) };
}

/** RGB bytes of RGBA pixels. */
export function rgbOf(rgba: ArrayLike<number>): Uint8Array {
  const n = rgba.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let ch = 0; ch < 3; ch++) rgb[i * 3 + ch] = rgba[i * 4 + ch];
  return rgb;
}

/** The largest |a − b| over two byte arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
