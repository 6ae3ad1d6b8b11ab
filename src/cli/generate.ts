/**
 * `dit generate`: class → PNG, end to end.
 *   dit generate --model builtin --class ID_OR_NAME [--seed K] [--cfg S] [--steps N] [--sampler …] --output OUT.png
 *   dit generate --model builtin --list-classes
 * Defaults as the reference sample.py: cfg 4.0, 250 steps, ddpm, seed 0; respacing str(N).
 */
import { encodePng } from '../app/png.ts';
import { className, resolveClass } from '../data/imagenet.ts';
import type { BrowserHost } from '../host/browser-host.ts';
import { parseDitConfig } from '../model/config.ts';
import type { DitSampleRequest } from '../worker/headless-engine.ts';
import type { NoiseSpec } from '../worker/noise-source.ts';
import type { HostTensorF32 } from '../worker/tensors.ts';
import { parseVaeConfig } from '../model/vae-config.ts';
import { numberOption, parseArgs, type ParsedArgs, UsageError } from './args.ts';
import { BUILTIN_CONFIG, BUILTIN_WEIGHTS, builtinClasses } from './builtin-model.ts';
import { readJson, writeFileAtomic } from './files.ts';
import { hubModelFiles, localModelFiles } from './model-files.ts';
import { progressPrinter } from './progress.ts';
import { parseSampler, readNoiseFile } from './sample.ts';

export const GENERATE_OPTIONS = {
  values: ['model', 'class', 'cfg', 'steps', 'sampler', 'seed', 'noise', 'size', 'hub-url', 'repo', 'revision', 'transformer', 'vae', 'cache-dir', 'dtype', 'output', 'chromium'],
  flags: ['quiet', 'list-classes', 'verbose'],
};

/** Pixels in [-1, 1] (NCHW, batch 1) → RGBA8 with round(255 · clamp(x/2 + 0.5, 0, 1)). */
export function imageToRgba(image: Float32Array, height: number, width: number): Uint8Array {
  const plane = height * width;
  const rgba = new Uint8Array(plane * 4);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) rgba[i * 4 + c] = Math.round(255 * Math.min(1, Math.max(0, image[c * plane + i] / 2 + 0.5)));
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}

interface Prepared {
  modelName: string;
  /** Loads the model into the host's engine; returns what the sampling and decoding calls need. */
  load(host: BrowserHost): Promise<{ ditId: string; vaeId: string | null; scaling: number }>;
  numClasses: number;
  known: number[] | null;
  inChannels: number;
  inputSize: number;
}

async function prepareBuiltin(): Promise<Prepared> {
  const config = parseDitConfig(readJson(BUILTIN_CONFIG, 'built-in config'));
  return {
    modelName: 'builtin', numClasses: config.num_classes, known: builtinClasses().map((c) => c.id), inChannels: config.in_channels, inputSize: config.input_size,
    load: async (host) => ({ ditId: await host.call<string>('loadDit', host.serveFile(BUILTIN_WEIGHTS), config), vaeId: null, scaling: 1 }),
  };
}

async function prepareHub(a: ParsedArgs): Promise<Prepared> {
  const size = numberOption(a, 'size', 256);
  if (size !== 256 && size !== 512) throw new UsageError(`--size must be 256 or 512, got ${size}`);
  const dtype = a.values.get('dtype') ?? 'f32';
  if (dtype !== 'f32' && dtype !== 'f16') throw new UsageError(`--dtype must be f32 or f16, got "${dtype}"`);
  const transformer = a.values.get('transformer');
  const vae = a.values.get('vae');
  if ((transformer === undefined) !== (vae === undefined)) throw new UsageError('give --transformer and --vae together');
  const files = transformer && vae
    ? await localModelFiles(transformer, vae)
    : await hubModelFiles({
      hubUrl: a.values.get('hub-url'), repo: a.values.get('repo') ?? `facebook/DiT-XL-2-${size}`, revision: a.values.get('revision'),
      cacheDir: a.values.get('cache-dir'), onProgress: progressPrinter(a.flags.has('quiet')),
    });
  const vaeConfig = parseVaeConfig(files.vaeConfig);
  if (vaeConfig.latent_channels !== files.config.in_channels) throw new Error(`the VAE takes ${vaeConfig.latent_channels}-channel latents, the transformer makes ${files.config.in_channels}`);
  return {
    modelName: files.name, numClasses: files.config.num_classes, known: null, inChannels: files.config.in_channels, inputSize: files.config.input_size,
    load: async (host) => ({
      ditId: await host.call<string>('loadDit', host.serveSource(files.transformer), files.config, { f16: dtype === 'f16' }),
      vaeId: await host.call<string>('loadVae', host.serveSource(files.vae), files.vaeConfig),
      scaling: vaeConfig.scaling_factor,
    }),
  };
}

export async function generateCommand(argv: string[], startHost: () => Promise<BrowserHost>, out: (s: string) => void): Promise<void> {
  const a = parseArgs(argv, GENERATE_OPTIONS);
  const model = a.values.get('model') ?? 'hub';
  if (model !== 'builtin' && model !== 'hub') throw new UsageError(`--model must be builtin or hub, got "${model}"`);
  if (a.flags.has('list-classes')) {
    if (model !== 'builtin') throw new UsageError('--list-classes lists the built-in model\'s classes: add --model builtin');
    out(builtinClasses().map((c) => `${c.id}\t${c.name}\n`).join(''));
    return;
  }
  const output = a.values.get('output');
  if (!output) throw new UsageError('--output is required');
  const classArg = a.values.get('class');
  if (classArg === undefined) throw new UsageError('--class is required');
  const cfgScale = numberOption(a, 'cfg', 4)!;
  const steps = numberOption(a, 'steps', 250)!;
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) throw new UsageError(`--steps must be an integer in 1..1000, got ${steps}`);
  const sampler = parseSampler(a.values.get('sampler') ?? 'ddpm');
  if (a.values.has('noise') && a.values.has('seed')) throw new UsageError('give at most one of --noise FILE and --seed K');
  const seed = numberOption(a, 'seed', 0)!;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
  const noise: NoiseSpec = a.values.has('noise') ? readNoiseFile(a.values.get('noise')!) : { seed };

  const prepared = model === 'builtin' ? await prepareBuiltin() : await prepareHub(a);
  const classId = resolveClass(classArg, null);
  if (classId === null) throw new UsageError(`unknown class "${classArg}": give an ImageNet id (0-999) or name`);
  if (classId >= prepared.numClasses) throw new UsageError(`class ${classId} is out of range: this model has ${prepared.numClasses} classes`);
  if (prepared.known && !prepared.known.includes(classId)) throw new UsageError(`the built-in model does not know class ${classId} (${className(classId)}); run --list-classes`);
  if ('z' in noise) {
    const want = [1, prepared.inChannels, prepared.inputSize, prepared.inputSize];
    if (noise.z.shape.join() !== want.join()) throw new Error(`noise z has shape [${noise.z.shape}], expected [${want}]`);
  }

  const host = await startHost();
  let image: HostTensorF32;
  try {
    const { ditId, vaeId, scaling } = await prepared.load(host);
    const req: DitSampleRequest = { labels: Int32Array.of(classId), respacing: String(steps), sampler, cfgScale, noise };
    const latent = (await host.call<{ final: HostTensorF32 }>('ditSample', ditId, req)).final;
    image = vaeId
      ? (await host.call<Record<string, HostTensorF32>>('vaeDecode', vaeId, { shape: latent.shape, data: latent.data.map((v) => v / scaling) })).sample
      : latent;
  } finally {
    await host.close();
  }
  const [, , H, W] = image.shape;
  const png = await encodePng({ width: W, height: H, rgba: imageToRgba(image.data, H, W) }, {
    'dit:class_id': String(classId), 'dit:class_name': className(classId), 'dit:cfg': String(cfgScale),
    'dit:steps': String(steps), 'dit:sampler': sampler, 'dit:seed': a.values.has('noise') ? 'noise file' : String(seed), 'dit:model': prepared.modelName,
  }, { alpha: false });
  writeFileAtomic(output, png);
}
