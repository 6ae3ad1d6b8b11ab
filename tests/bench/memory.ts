/**
 * Peak GPU memory of generating DiT-XL/2 images the way the app does (sampling one image with
 * guidance, a batch-2 forward, then the SD-VAE decode of its latent), counted by the engine's own
 * Allocator WITHOUT running anything: the engine's real code (uploadDitWeights, uploadVaeWeights,
 * SampleRunner, VaeRunner: weights, activations, the step's buffers, recorded programs' uniforms)
 * runs against a null WebGPU device that allocates nothing and computes nothing. Every byte comes
 * from the Allocator's accounting of the buffers that code asks for, so it follows the code's sizes.
 * Dispatches and submits are counted on the same null device.
 */
import { type NullCounts, type NullLimits, nullGpu } from '../support/null-gpu.ts';
import { PipelineCache } from '../../src/gpu/kernel.ts';
import { Allocator } from '../../src/gpu/tensor.ts';
import { type DitConfig, presetConfig } from '../../src/model/config.ts';
import { uploadDitWeights } from '../../src/model/dit.ts';
import type { TensorSource } from '../../src/model/tensor-source.ts';
import { planVaeDecode } from '../../src/model/vae-bands.ts';
import { parseVaeConfig } from '../../src/model/vae-config.ts';
import { uploadVaeWeights } from '../../src/model/vae-weights.ts';
import { SampleRunner } from '../../src/sampling/gpu-sampler.ts';
import { VaeRunner } from '../../src/engine/vae-runner.ts';
import { ditCheckpointShapes } from '../support/random-dit.ts';
import { NO_PEER } from '../../src/engine/bench/report.ts';
import { type BenchContext, type Entry, wanted } from './context.ts';
import { SD_VAE_CONFIG, vaeDecoderShapes } from './vae.ts';

/** A checkpoint of zeros with these names and shapes. */
function zeroCheckpoint(shapes: Record<string, number[]>): TensorSource {
  return {
    names: () => Object.keys(shapes),
    has: (n) => n in shapes,
    shape: (n) => shapes[n],
    float32: async (n) => new Float32Array(shapes[n].reduce((a, b) => a * b, 1)),
  };
}

const ditZeros = (c: DitConfig) => zeroCheckpoint(Object.fromEntries(Object.entries(ditCheckpointShapes(c)).map(([n, s]) => [n, s.shape])));

export interface GenerationPlan {
  ditWeightBytes: number;
  vaeWeightBytes: number;
  /** Peak of sampling above the weights (activations, step buffers, uniforms). */
  samplingBytes: number;
  /** Peak of the first decode above the weights. */
  decodeBytes: number;
  /** What the VaeRunner keeps after a decode (its recorded decode, for the next latent of that shape). */
  keptDecodeBytes: number;
  /** Peak of the first image (sampling, then decode). */
  firstImagePeakBytes: number;
  /** Peak of two images in a row: the second one samples with the first decode's buffers still held. */
  peakBytes: number;
  dispatchesPerStep: number;
  submitsPerStep: number;
  decodeDispatches: number;
  decodeSubmits: number;
  /** Latent rows of each VAE band. */
  vaeBands: number[];
}

/**
 * Weights of DiT (f32 or f16 storage) and SD-VAE, then two images as the app makes them: sample
 * (2 DDPM steps, guidance) and decode, twice, on the null device.
 */
export async function generationPlan(c: DitConfig, f16: boolean, limits: NullLimits): Promise<GenerationPlan> {
  const counts: NullCounts = { dispatches: 0, submits: 0 };
  const gpu = nullGpu(limits, counts);
  const alloc = new Allocator(gpu);
  const pipelines = new PipelineCache(gpu);
  const dit = await uploadDitWeights(alloc, ditZeros(c), c, { f16, maxBindingBytes: limits.maxStorageBufferBindingSize });
  const ditWeightBytes = alloc.liveBytes;
  const vaeConfig = parseVaeConfig(SD_VAE_CONFIG);
  const vae = new VaeRunner(gpu, alloc, pipelines, await uploadVaeWeights(alloc, zeroCheckpoint(vaeDecoderShapes()), vaeConfig));
  const weightBytes = alloc.liveBytes;
  const latent = c.in_channels * c.input_size ** 2;
  const z = { shape: [1, c.in_channels, c.input_size, c.input_size], data: new Float32Array(latent) };

  let step: NullCounts = { dispatches: 0, submits: 0 };
  const sample = async () => {
    let before = { ...counts };
    await new SampleRunner(gpu, alloc, pipelines, dit).sample({
      labels: Int32Array.of(1), z: new Float32Array(latent), respacing: '2', sampler: 'ddpm', cfgScale: 4,
      stepNoise: (_k, rows) => new Float32Array(rows * latent),
      onStep: () => { step = { dispatches: counts.dispatches - before.dispatches, submits: counts.submits - before.submits }; before = { ...counts }; },
    });
  };
  // Peak above the weights of one stage, measured from what is live when it starts.
  const stage = async (run: () => Promise<unknown>) => {
    alloc.peakBytes = alloc.liveBytes;
    await run();
    return alloc.peakBytes;
  };

  const samplingPeak = await stage(sample);
  const before = { ...counts };
  const decodePeak = await stage(() => vae.decode(z));
  const decodeCalls = { dispatches: counts.dispatches - before.dispatches, submits: counts.submits - before.submits };
  const keptDecodeBytes = alloc.liveBytes - weightBytes;
  const bands = vae.plan(1, c.input_size, c.input_size, {}).latentBands;
  const secondPeak = Math.max(await stage(sample), await stage(() => vae.decode(z)));
  return {
    ditWeightBytes, vaeWeightBytes: weightBytes - ditWeightBytes,
    samplingBytes: samplingPeak - weightBytes, decodeBytes: decodePeak - weightBytes, keptDecodeBytes,
    firstImagePeakBytes: Math.max(samplingPeak, decodePeak), peakBytes: Math.max(samplingPeak, decodePeak, secondPeak),
    dispatchesPerStep: step.dispatches, submitsPerStep: step.submits,
    // The decode's submissions, less the readback of its sample (one per band).
    decodeDispatches: decodeCalls.dispatches, decodeSubmits: decodeCalls.submits - bands.length,
    vaeBands: bands,
  };
}

export const MiB = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;

const SMALL_LIMIT = 128 * 2 ** 20;

/** The SD-VAE decode alone under a buffer limit: its bands and its peak above the weights, or why it cannot be planned. */
async function decodeUnder(px: number, adapter: NullLimits, limit: number): Promise<{ bands: number; bytes: number } | string> {
  const c = parseVaeConfig(SD_VAE_CONFIG);
  const h = px / 8;
  try {
    const bands = planVaeDecode(c, 1, h, h, limit).latentBands.length;
    const gpu = nullGpu(adapter);
    const alloc = new Allocator(gpu);
    const vae = new VaeRunner(gpu, alloc, new PipelineCache(gpu), await uploadVaeWeights(alloc, zeroCheckpoint(vaeDecoderShapes()), c));
    const weights = alloc.liveBytes;
    await vae.decode({ shape: [1, 4, h, h], data: new Float32Array(4 * h * h) }, { maxBufferBytes: limit });
    return { bands, bytes: alloc.peakBytes - weights };
  } catch (e) {
    return (e as Error).message;
  }
}

export async function memoryEntries(ctx: BenchContext, adapter: NullLimits): Promise<Entry[]> {
  const out: Entry[] = [];
  const bindingLimit = Math.min(adapter.maxBufferSize, adapter.maxStorageBufferBindingSize);
  for (const px of [256, 512]) {
    const name = `memory-dit-xl2-${px}px-cfg`;
    if (!wanted(ctx, name)) continue;
    ctx.log(name);
    const c = presetConfig('DiT-XL/2', px / 8);
    let f32: GenerationPlan;
    let f16: GenerationPlan;
    try {
      f32 = await generationPlan(c, false, adapter);
      f16 = await generationPlan(c, true, adapter);
    } catch (e) {
      out.push({ name, measures: 'peak GPU bytes of DiT-XL/2 sampling + SD-VAE decode', skipped: `does not fit this adapter: ${(e as Error).message}` });
      continue;
    }
    const part = (p: GenerationPlan) => ({
      peak_mib: MiB(p.peakBytes), first_image_peak_mib: MiB(p.firstImagePeakBytes),
      weights_mib: MiB(p.ditWeightBytes + p.vaeWeightBytes), dit_weights_mib: MiB(p.ditWeightBytes), vae_weights_mib: MiB(p.vaeWeightBytes),
      activations_mib: MiB(p.peakBytes - p.ditWeightBytes - p.vaeWeightBytes),
    });
    const small = await decodeUnder(px, adapter, SMALL_LIMIT);
    const e32 = part(f32);
    const e16 = part(f16);
    out.push({
      name,
      ours_ms: null, ...NO_PEER,
      measures: `peak GPU memory of generating DiT-XL/2 images at ${px}px as the app does (sampling with guidance: batch-2 forward on a ${px / 8}×${px / 8} latent; then the SD-VAE decode to ${px}×${px}), two images in a row, counted by the engine's Allocator on a null device (not run)`,
      f32_peak_mib: e32.peak_mib, f32_weights_mib: e32.weights_mib, f32_activations_mib: e32.activations_mib,
      f16_peak_mib: e16.peak_mib, f16_weights_mib: e16.weights_mib, f16_activations_mib: e16.activations_mib,
      f32: e32, f16: e16,
      f16_note: 'f16 = DiT linear weights stored as halves (uploadDitWeights {f16: true}, f32 arithmetic); the VAE\'s weights and every activation stay f32',
      sampling_activations_mib: MiB(f32.samplingBytes),
      vae_decode_activations_mib: MiB(f32.decodeBytes),
      vae_kept_after_decode_mib: MiB(f32.keptDecodeBytes),
      peak_note: 'peak over two images: the VaeRunner keeps its recorded decode (image-sized activations) for the next latent, so the second image samples with them held; first_image_peak_mib is without',
      vae_bands: f32.vaeBands.length,
      vae_bands_binding_limit_mib: MiB(bindingLimit),
      vae_bands_128mib: typeof small === 'string' ? `cannot decode: ${small}` : small.bands,
      vae_decode_activations_128mib_mib: typeof small === 'string' ? null : MiB(small.bytes),
      vae_decode_dispatches: f32.decodeDispatches, vae_decode_submits: f32.decodeSubmits,
      dispatches_per_step: f32.dispatchesPerStep, submits_per_step: f32.submitsPerStep,
    });
    ctx.log(`  f32 peak ${e32.peak_mib} MiB (weights ${e32.weights_mib}), f16 peak ${e16.peak_mib} MiB (weights ${e16.weights_mib}); VAE ${f32.vaeBands.length} band(s), ${typeof small === 'string' ? small : small.bands} under 128 MiB`);
  }
  return out;
}
