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
import { numberOption, parseArgs, UsageError } from './args.ts';
import { BUILTIN_CONFIG, BUILTIN_WEIGHTS, builtinClasses } from './builtin-model.ts';
import { readJson, writeFileAtomic } from './files.ts';
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

export async function generateCommand(argv: string[], startHost: () => Promise<BrowserHost>, out: (s: string) => void): Promise<void> {
  const a = parseArgs(argv, GENERATE_OPTIONS);
  const model = a.values.get('model') ?? 'hub';
  if (model !== 'builtin' && model !== 'hub') throw new UsageError(`--model must be builtin or hub, got "${model}"`);
  if (model !== 'builtin') throw new Error('Hub models need the VAE and the Hub loader, which this build does not include yet; use --model builtin');
  const classes = builtinClasses();
  if (a.flags.has('list-classes')) {
    out(classes.map((c) => `${c.id}\t${c.name}\n`).join(''));
    return;
  }
  const output = a.values.get('output');
  if (!output) throw new UsageError('--output is required');
  const classArg = a.values.get('class');
  if (classArg === undefined) throw new UsageError('--class is required');
  const known = classes.map((c) => c.id);
  const classId = resolveClass(classArg, null);
  if (classId === null) throw new UsageError(`unknown class "${classArg}": give an ImageNet id (0-999) or name`);
  if (!known.includes(classId)) throw new UsageError(`the built-in model does not know class ${classId} (${className(classId)}); run --list-classes`);
  const cfgScale = numberOption(a, 'cfg', 4)!;
  const steps = numberOption(a, 'steps', 250)!;
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) throw new UsageError(`--steps must be an integer in 1..1000, got ${steps}`);
  const sampler = parseSampler(a.values.get('sampler') ?? 'ddpm');
  if (a.values.has('noise') && a.values.has('seed')) throw new UsageError('give at most one of --noise FILE and --seed K');
  const seed = numberOption(a, 'seed', 0)!;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
  const noise: NoiseSpec = a.values.has('noise') ? readNoiseFile(a.values.get('noise')!) : { seed };
  const config = parseDitConfig(readJson(BUILTIN_CONFIG, 'built-in config'));

  const host = await startHost();
  let image: HostTensorF32;
  try {
    const id = await host.call<string>('loadDit', host.serveFile(BUILTIN_WEIGHTS), config);
    const req: DitSampleRequest = { labels: Int32Array.of(classId), respacing: String(steps), sampler, cfgScale, noise };
    image = (await host.call<{ final: HostTensorF32 }>('ditSample', id, req)).final;
  } finally {
    await host.close();
  }
  const [, , H, W] = image.shape;
  const png = await encodePng({ width: W, height: H, rgba: imageToRgba(image.data, H, W) }, {
    'dit:class_id': String(classId), 'dit:class_name': className(classId), 'dit:cfg': String(cfgScale),
    'dit:steps': String(steps), 'dit:sampler': sampler, 'dit:seed': a.values.has('noise') ? 'noise file' : String(seed), 'dit:model': 'builtin',
  }, { alpha: false });
  writeFileAtomic(output, png);
}
