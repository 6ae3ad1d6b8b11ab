/**
 * `dit sample --weights W --config C --labels 3,7 --respacing STR --sampler ddpm|ddim|dpm++ --cfg S
 *             [--cfg-channels 3|all] (--noise N.safetensors | --seed K) --output OUT.safetensors`
 */
import { classLabelError } from '../model/class-label.ts';
import { parseDitConfig } from '../model/config.ts';
import type { BrowserHost } from '../host/browser-host.ts';
import { SpacedDiffusion } from '../sampling/schedule.ts';
import { isSamplerKind, SAMPLER_KINDS, type SamplerKind } from '../sampling/sampler-kind.ts';
import type { DitSampleRequest } from '../engine/engine.ts';
import type { NoiseSpec } from '../sampling/noise-source.ts';
import type { HostTensorF32 } from '../gpu/host-tensor.ts';
import { numberOption, parseArgs, required, UsageError } from './args.ts';
import { checkOutputPath, checkWeightsFile, readJson, readSafetensors, writeTensors } from './files.ts';

export function parseSampler(name: string): SamplerKind {
  if (!isSamplerKind(name)) throw new UsageError(`unknown sampler "${name}" (expected ${SAMPLER_KINDS.join(', ')})`);
  return name;
}

export function parseLabels(text: string, numClasses: number): Int32Array {
  const labels = text.split(',').map((s) => s.trim());
  return Int32Array.from(labels, (s) => {
    const n = Number(s);
    if (s === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--labels must be comma-separated class ids, got "${text}"`);
    const error = classLabelError(n, numClasses);
    if (error) throw new UsageError(error);
    return n;
  });
}

export function readNoiseFile(path: string): NoiseSpec {
  const file = readSafetensors(path, 'noise');
  if (!file.has('z')) throw new Error(`noise file ${path} has no tensor "z"`);
  const z: HostTensorF32 = { shape: file.entry('z').shape, data: file.float32('z') };
  const stepNoise = file.has('step_noise') ? { shape: file.entry('step_noise').shape, data: file.float32('step_noise') } : undefined;
  return { z, stepNoise };
}

export async function sampleCommand(argv: string[], startHost: () => Promise<BrowserHost>): Promise<void> {
  const a = parseArgs(argv, {
    values: ['weights', 'config', 'labels', 'respacing', 'sampler', 'cfg', 'cfg-channels', 'noise', 'seed', 'output', 'eta', 'chromium'],
    flags: ['quiet', 'verbose'],
  });
  const weightsPath = required(a, 'weights');
  const output = required(a, 'output');
  checkOutputPath(output);
  const config = parseDitConfig(readJson(required(a, 'config'), 'config'));
  const labels = parseLabels(required(a, 'labels'), config.num_classes);
  const respacing = required(a, 'respacing');
  SpacedDiffusion.fromRespacing(respacing); // a malformed string fails before the browser starts
  const sampler = parseSampler(required(a, 'sampler'));
  const cfgScale = numberOption(a, 'cfg') ?? (() => { throw new UsageError('--cfg is required'); })();
  const channels = a.values.get('cfg-channels') ?? '3';
  if (channels !== '3' && channels !== 'all') throw new UsageError(`--cfg-channels must be 3 or all, got "${channels}"`);
  const eta = numberOption(a, 'eta');
  if (eta !== undefined && eta < 0) throw new UsageError(`--eta must be 0 or more, got ${eta}`);
  if (a.values.has('noise') === a.values.has('seed')) throw new UsageError('give exactly one of --noise FILE and --seed K');
  let noise: NoiseSpec;
  if (a.values.has('noise')) {
    noise = readNoiseFile(a.values.get('noise')!);
    const want = [labels.length, config.in_channels, config.input_size, config.input_size];
    const z = (noise as { z: HostTensorF32 }).z;
    if (z.shape.join() !== want.join()) throw new Error(`noise z has shape [${z.shape}], expected [${want}] for ${labels.length} labels and this config`);
  } else {
    const seed = numberOption(a, 'seed')!;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
    noise = { seed };
  }
  await checkWeightsFile(weightsPath, 'weights');

  const host = await startHost();
  try {
    const id = await host.api.engine.loadDit(host.serveFile(weightsPath), config);
    const req: DitSampleRequest = {
      labels, respacing, sampler, cfgScale, cfgChannels: channels === 'all' ? 'all' : 3, eta, noise, keepSamples: true,
    };
    const result = await host.api.engine.ditSample(id, req);
    writeTensors(output, { final: result.final, samples: result.samples! });
  } finally {
    await host.close();
  }
}
