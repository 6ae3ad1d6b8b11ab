/**
 * `dit forward --weights W.safetensors --config C.json --inputs IO.safetensors --output OUT.safetensors
 *              [--cfg S] [--cfg-channels 3|all] [--intermediates]`
 */
import { parseDitConfig } from '../model/config.ts';
import { toFloat32, toInt32 } from '../weights/safetensors.ts';
import type { BrowserHost } from '../host/browser-host.ts';
import { numberOption, parseArgs, required, UsageError } from './args.ts';
import { checkFinite, checkOutputPath, checkWeightsFile, readJson, readSafetensors, writeTensors } from './files.ts';

export const FORWARD_OPTIONS = { values: ['weights', 'config', 'inputs', 'output', 'cfg', 'cfg-channels', 'chromium'], flags: ['intermediates', 'quiet', 'verbose'] };

export async function forwardCommand(argv: string[], startHost: () => Promise<BrowserHost>): Promise<void> {
  const a = parseArgs(argv, FORWARD_OPTIONS);
  const weightsPath = required(a, 'weights');
  const output = required(a, 'output');
  checkOutputPath(output);
  const config = parseDitConfig(readJson(required(a, 'config'), 'config'));
  const io = readSafetensors(required(a, 'inputs'), 'inputs');
  for (const name of ['x', 't', 'y']) if (!io.has(name)) throw new Error(`inputs file has no tensor "${name}"`);
  const x = { shape: io.entry('x').shape, data: io.float32('x') };
  const t = toFloat32(io.raw('t'));
  const y = (() => {
    try {
      return toInt32(io.raw('y'));
    } catch (e) {
      throw new Error(`inputs y: ${(e as Error).message}`);
    }
  })();
  checkFinite('inputs x', x.data);
  checkFinite('inputs t', t);
  const cfg = numberOption(a, 'cfg');
  const channels = a.values.get('cfg-channels') ?? '3';
  if (channels !== '3' && channels !== 'all') throw new UsageError(`--cfg-channels must be 3 or all, got "${channels}"`);
  await checkWeightsFile(weightsPath, 'weights'); // validate the header before starting the browser

  const host = await startHost();
  try {
    const id = await host.api.engine.loadDit(host.serveFile(weightsPath), config);
    const result = await host.api.engine.ditForward(id, x, t, y, {
      cfgScale: cfg, cfgChannels: channels === 'all' ? 'all' : 3, intermediates: a.flags.has('intermediates'),
    });
    writeTensors(output, result);
  } finally {
    await host.close();
  }
}
