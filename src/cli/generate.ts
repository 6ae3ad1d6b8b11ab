/**
 * `dit generate`: class → PNG, end to end.
 *   dit generate --model builtin --class ID_OR_NAME [--seed K] [--cfg S] [--steps N] [--sampler …] --output OUT.png
 *   --seed / --cfg / --blend-weight lists make a grid (grid.ts); --blend CLASS mixes a second class in.
 *   dit generate --model builtin --list-classes
 * Defaults as the reference sample.py: cfg 4.0, 250 steps, ddpm, seed 0; respacing str(N).
 */
import { encodePng } from '../app/png.ts';
import { className, resolveClass } from '../data/imagenet.ts';
import type { Frame, ModelSpec, PictureParams } from '../engine/api.ts';
import type { BrowserHost } from '../host/browser-host.ts';
import { classLabelError } from '../model/class-label.ts';
import { numTokens, parseDitConfig } from '../model/config.ts';
import { ditRepoForSize } from '../model/hub-models.ts';
import { parseVaeConfig } from '../model/vae-config.ts';
import type { NoiseSpec } from '../sampling/noise-source.ts';
import { bytesSource } from '../weights/source.ts';
import { numberOption, parseArgs, type ParsedArgs, UsageError } from './args.ts';
import { BUILTIN_CONFIG, builtinClasses } from './builtin-model.ts';
import { checkOutputPath, readJson, writeFileAtomic } from './files.ts';
import { composeGrid, type GridSpec, gridLayout, gridText, numberList } from './grid.ts';
import { hubModelFiles, localModelFiles } from './model-files.ts';
import { progressPrinter } from './progress.ts';
import { parseSampler, readNoiseFile } from './sample.ts';

export const GENERATE_OPTIONS = {
  values: ['model', 'class', 'cfg', 'steps', 'sampler', 'seed', 'noise', 'blend', 'blend-weight', 'size', 'hub-url', 'repo', 'revision', 'transformer', 'vae', 'cache-dir', 'dtype', 'output', 'chromium'],
  flags: ['quiet', 'list-classes', 'verbose'],
};

interface Prepared {
  modelName: string;
  /** The engine's model spec, with the files served by this host. */
  spec(host: BrowserHost): ModelSpec;
  numClasses: number;
  known: number[] | null;
  inChannels: number;
  inputSize: number;
  /** Tokens per picture (sizes the batches of a grid). */
  tokens: number;
}

/** Tokens of all pictures in one sampling run of a grid: 8 pictures of DiT-XL/2 512 (16 rows with guidance). */
const MAX_BATCH_TOKENS = 8192;

function prepareBuiltin(): Prepared {
  const config = parseDitConfig(readJson(BUILTIN_CONFIG, 'built-in config'));
  return {
    modelName: 'builtin', numClasses: config.num_classes, known: builtinClasses().map((c) => c.id), inChannels: config.in_channels, inputSize: config.input_size, tokens: numTokens(config),
    spec: () => ({ kind: 'builtin' }),
  };
}

const json = (value: unknown, name: string) => bytesSource(new TextEncoder().encode(JSON.stringify(value)), name);

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
      hubUrl: a.values.get('hub-url'), repo: a.values.get('repo') ?? ditRepoForSize(size), revision: a.values.get('revision'),
      cacheDir: a.values.get('cache-dir'), onProgress: progressPrinter(a.flags.has('quiet')),
    });
  const vaeConfig = parseVaeConfig(files.vaeConfig);
  if (vaeConfig.latent_channels !== files.config.in_channels) throw new Error(`the VAE takes ${vaeConfig.latent_channels}-channel latents, the transformer makes ${files.config.in_channels}`);
  return {
    modelName: files.name, numClasses: files.config.num_classes, known: null, inChannels: files.config.in_channels, inputSize: files.config.input_size, tokens: numTokens(files.config),
    // The files are on this machine (downloaded and verified, or local): the page reads them
    // from this host and keeps no copy in the browser's cache.
    spec: (host) => ({
      kind: 'urls', name: files.name, dtype, cache: false, transformerName: files.transformer.name, vaeName: files.vae.name,
      transformerUrl: host.serveSource(files.transformer), transformerConfigUrl: host.serveSource(json(files.config, 'transformer config')),
      vaeUrl: host.serveSource(files.vae), vaeConfigUrl: host.serveSource(json(files.vaeConfig, 'VAE config')),
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
  checkOutputPath(output);
  const classArg = a.values.get('class');
  if (classArg === undefined) throw new UsageError('--class is required');
  const cfgScales = numberList('cfg', a.values.get('cfg') ?? '4');
  const steps = numberOption(a, 'steps', 250)!;
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) throw new UsageError(`--steps must be an integer in 1..1000, got ${steps}`);
  const sampler = parseSampler(a.values.get('sampler') ?? 'ddpm');
  if (a.values.has('noise') && a.values.has('seed')) throw new UsageError('give at most one of --noise FILE and --seed K');
  const seeds = numberList('seed', a.values.get('seed') ?? '0');
  for (const seed of seeds) if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
  const blendArg = a.values.get('blend');
  if (a.values.has('blend-weight') && blendArg === undefined) throw new UsageError('--blend-weight needs --blend CLASS');
  const blendWeights = blendArg === undefined ? null : numberList('blend-weight', a.values.get('blend-weight') ?? '0.5');
  for (const w of blendWeights ?? []) if (!(w >= 0 && w <= 1)) throw new UsageError(`--blend-weight must be in [0, 1], got ${w}`);
  const noise: NoiseSpec | null = a.values.has('noise') ? readNoiseFile(a.values.get('noise')!) : null;
  if (noise && (cfgScales.length > 1 || (blendWeights?.length ?? 0) > 1)) throw new UsageError('--noise gives the noise of one picture: a grid needs --seed');

  const prepared = model === 'builtin' ? await prepareBuiltin() : await prepareHub(a);
  const classId = checkedClass('class', classArg, prepared);
  const blendId = blendArg === undefined ? null : checkedClass('blend', blendArg, prepared);
  if (noise && 'z' in noise) {
    const want = [1, prepared.inChannels, prepared.inputSize, prepared.inputSize];
    if (noise.z.shape.join() !== want.join()) throw new Error(`noise z has shape [${noise.z.shape}], expected [${want}]`);
  }
  const grid: GridSpec = { classId, seeds, cfgScales, blend: blendId === null ? null : { classId: blendId, weights: blendWeights! } };
  const layout = gridLayout(grid);

  const host = await startHost();
  let image: Frame;
  try {
    // The same load and generate as the app's worker; a grid is batched runs of its pictures.
    await host.api.engine.load(prepared.spec(host));
    if (noise) {
      image = (await host.api.engine.generate({ ...layout.pictures[0], steps, sampler }, undefined, noise)).image;
    } else {
      const images: Frame[] = [];
      for (const pictures of pictureBatches(layout.pictures, prepared.tokens)) images.push(...(await host.api.engine.generateBatch({ pictures, steps, sampler })).images);
      image = composeGrid(images, layout.rows, layout.columns);
    }
  } finally {
    await host.close();
  }
  const isGrid = layout.pictures.length > 1;
  const png = await encodePng(image, {
    'dit:class_id': String(classId), 'dit:class_name': className(classId), 'dit:cfg': cfgScales.join(','),
    'dit:steps': String(steps), 'dit:sampler': sampler, 'dit:seed': noise ? 'noise file' : seeds.join(','), 'dit:model': prepared.modelName,
    ...(grid.blend ? { 'dit:blend_class_id': String(grid.blend.classId), 'dit:blend_class_name': className(grid.blend.classId), 'dit:blend_weight': grid.blend.weights.join(',') } : {}),
    ...(isGrid ? gridText(layout, grid) : {}),
  }, { alpha: false });
  writeFileAtomic(output, png);
}

/** A class option (`--class`, `--blend`) as an id the model knows. */
function checkedClass(option: string, arg: string, prepared: Prepared): number {
  const id = resolveClass(arg, null);
  if (id === null) throw new UsageError(`unknown ${option === 'class' ? 'class' : `--${option} class`} "${arg}": give an ImageNet id (0-999) or name`);
  const outside = classLabelError(id, prepared.numClasses);
  if (outside) throw new UsageError(option === 'class' ? outside : `--${option}: ${outside}`);
  if (prepared.known && !prepared.known.includes(id)) throw new UsageError(`the built-in model does not know ${option === 'class' ? 'class' : `--${option} class`} ${id} (${className(id)}); run --list-classes`);
  return id;
}

/** Pictures per sampling run, bounded so a large grid of a large model stays within memory. */
function pictureBatches(pictures: PictureParams[], tokens: number): PictureParams[][] {
  const per = Math.max(1, Math.floor(MAX_BATCH_TOKENS / tokens));
  const out: PictureParams[][] = [];
  for (let i = 0; i < pictures.length; i += per) out.push(pictures.slice(i, i + per));
  return out;
}
